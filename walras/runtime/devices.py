"""Data parallelism on JAX's own engine: a one-axis `jax.sharding.Mesh` over the devices chosen,
batches of points (or periods) sharded along it, everything else replicated; XLA partitions the
computation and reduces across devices. The same code runs on one CPU, several GPUs, and several
hosts once `jax.distributed` is initialised (`WALRAS_DISTRIBUTED`), when `jax.devices()` lists
every host's devices.

How many: `--devices N` (the `devices` option), else `WALRAS_DEVICES`, else every device of the
default backend. Results do not depend on the count but through the order of floating-point sums.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..grammar.diagnostics import Diagnostic, EconError

ENV = "WALRAS_DEVICES"
DISTRIBUTED_ENV = "WALRAS_DISTRIBUTED"
AXIS = "batch"


@dataclass(frozen=True, eq=False)
class Devices:
    """A mesh of devices with one axis: `split` shards an array's leading axis over it, `whole`
    replicates, both inside jitted code; `replicate` and `put` place arrays from outside."""

    mesh: Mesh

    @property
    def count(self) -> int:
        return self.mesh.size

    def split(self, tree):
        """Every array of `tree` sharded along its leading axis (which need not divide evenly)."""

        def one(x):
            spec = PartitionSpec(AXIS, *(None,) * (x.ndim - 1))
            return jax.lax.with_sharding_constraint(x, NamedSharding(self.mesh, spec))

        return jax.tree_util.tree_map(one, tree)

    def whole(self, tree):
        """Every array of `tree` gathered whole on every device."""
        replicated = NamedSharding(self.mesh, PartitionSpec())
        return jax.tree_util.tree_map(
            lambda a: jax.lax.with_sharding_constraint(a, replicated), tree
        )

    def replicate(self, tree):
        """Every array of `tree` (JAX's or NumPy's) placed whole on every device of the mesh."""
        replicated = NamedSharding(self.mesh, PartitionSpec())
        return jax.tree_util.tree_map(
            lambda a: jax.device_put(a, replicated) if isinstance(a, jax.Array | np.ndarray) else a,
            tree,
        )


def choose(n: int | None = None) -> Devices:
    """The first `n` devices (by default `WALRAS_DEVICES`, else all) of the default backend."""
    distributed()
    available = jax.devices()
    if n is None and os.environ.get(ENV, "").strip():
        n = _count(os.environ[ENV].strip(), ENV)
    if n is None:
        n = len(available)
    if not 1 <= n <= len(available):
        raise _error(
            f"{n} device(s) asked for, {len(available)} available "
            f"({available[0].platform}: {len(available)} device(s))",
            f"ask for 1 to {len(available)}",
        )
    return _first(n)


@cache
def _first(n: int) -> Devices:
    """One `Devices` per count, so functions jitted with it as a static argument compile once."""
    return Devices(Mesh(jax.devices()[:n], (AXIS,)))


def placed(devices: int | Devices | None) -> Devices:
    """`devices` itself when it is a mesh already, else `choose(devices)`."""
    return devices if isinstance(devices, Devices) else choose(devices)


def each(devices: Devices) -> list[Devices]:
    """A one-device `Devices` per device of `devices` that this process drives (independent
    jobs, a seed each, run side by side); the mesh itself where other hosts hold devices."""
    if jax.process_count() > 1:
        return [devices]
    return [_single(d) for d in devices.mesh.devices.flat]


@cache
def _single(device) -> Devices:
    return Devices(Mesh([device], (AXIS,)))


def _count(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _error(f"{where}={text!r} is not a number of devices", "a whole number: 4") from None


def _error(message: str, hint: str) -> EconError:
    return EconError([Diagnostic("E141", message, None, hint)])


def distributed() -> None:
    """Join the processes of a multi-host run once, as `WALRAS_DISTRIBUTED` says: `auto` lets
    `jax.distributed.initialize()` read the cluster's variables (SLURM, Open MPI, ...);
    `HOST:PORT,PROCESSES,ID` names the coordinator, the number of processes and this one's id."""
    spec = os.environ.get(DISTRIBUTED_ENV, "").strip()
    if not spec or jax.distributed.is_initialized():
        return
    if spec == "auto":
        jax.distributed.initialize()
        return
    parts = spec.split(",")
    try:
        address, processes, index = parts[0], int(parts[1]), int(parts[2])
        assert len(parts) == 3 and ":" in address and 0 <= index < processes
    except (IndexError, ValueError, AssertionError):
        raise EconError(
            [
                Diagnostic(
                    "E142",
                    f"{DISTRIBUTED_ENV}={spec!r} is neither 'auto' nor HOST:PORT,PROCESSES,ID",
                    None,
                    "e.g. localhost:12345,2,0 for the first of two processes, or 'auto' under "
                    "SLURM",
                )
            ]
        ) from None
    jax.distributed.initialize(address, processes, index)


def is_writer() -> bool:
    """Whether this process writes files: the first of a multi-host run, or the only one."""
    return jax.process_index() == 0
