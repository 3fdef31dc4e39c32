"""The Jacobian of residual rows each of which depends on one point alone: one reverse pass per
point, the points taken in chunks so that what the passes of a chunk write stays within a memory
budget, read off the per-point program's trace (no compilation to measure it)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.extend import core

MEMORY = 2**28  # bytes the traced reverse passes of one chunk of points may write (256 MiB);
# XLA held 3.5 times the traced size on eleven log agents, a twentieth of it on `lucas`


def traced_bytes(jaxpr: core.Jaxpr) -> int:
    """The bytes a program's operations write, summed over them and its sub-programs: the size
    of its intermediates before the compiler fuses, frees or reuses any."""
    total = sum(
        v.aval.size * v.aval.dtype.itemsize
        for eqn in jaxpr.eqns
        for v in eqn.outvars
        if hasattr(v.aval, "dtype")
    )
    return total + sum(traced_bytes(sub) for sub in core.subjaxprs(jaxpr))


def chunk_size(per_point: int, points: int, memory: int | None = None) -> int:
    """How many points' reverse passes run at once: as many as `memory` allows, 1 to all."""
    memory = MEMORY if memory is None else memory
    return int(min(points, max(1, memory // max(per_point, 1))))


def jacobian(rows_of: Callable, theta: jax.Array, params, x, split: Callable = lambda a: a):
    """d rows_of(θ, params, xi)/dθ stacked over the points xi of x: (points × rows, weights).
    The per-point reverse pass is traced once; its chunks run in a loop (`lax.map`) over the
    points padded by the last one, each chunk's points vmapped (and placed by `split`)."""
    closed = jax.make_jaxpr(jax.jacrev(rows_of))(theta, params, x[0])
    chunk = chunk_size(traced_bytes(closed.jaxpr), x.shape[0])
    leaves = jax.tree_util.tree_leaves((theta, params))
    program = core.jaxpr_as_fun(closed)

    def at(xi):
        return program(*leaves, xi)[0]

    n = x.shape[0]
    padded = jnp.concatenate([x, jnp.repeat(x[-1:], -n % chunk, 0)])
    chunks = padded.reshape(padded.shape[0] // chunk, chunk, *x.shape[1:])  # x may have no state
    out = jax.lax.map(lambda xc: jax.vmap(at)(split(xc)), chunks)
    return out.reshape(-1, *out.shape[2:])[:n].reshape(-1, theta.size)
