"""Checkpoints: the arrays of a training state and a small JSON header, written atomically."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ....grammar.diagnostics import Diagnostic, EconError
from ...output import write_atomic


def save(path: str | Path, state, meta: dict) -> None:
    """Write the array leaves of `state` (any pytree) and `meta` to `path`, atomically."""
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(eqx.filter(state, eqx.is_array))]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        **{f"leaf{i}": x for i, x in enumerate(leaves)},
    )
    write_atomic(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()), "checkpoint")


def load(path: str | Path, like):
    """Read a checkpoint into the structure of `like`; returns (state, meta). A file that is
    not a whole checkpoint (cut short, or of another kind) is an error E181."""
    try:
        with np.load(path) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            leaves = [jnp.asarray(data[f"leaf{i}"]) for i in range(len(data.files) - 1)]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as err:
        raise EconError(
            [
                Diagnostic(
                    "E181",
                    f"cannot resume from {path}: it is damaged or not a checkpoint ({err})",
                    None,
                    "a run stopped while writing it leaves it cut short; start afresh "
                    "without --resume (the new run writes a new checkpoint)",
                )
            ]
        ) from None
    arrays, static = eqx.partition(like, eqx.is_array)
    treedef = jax.tree_util.tree_structure(arrays)
    shapes = [x.shape for x in jax.tree_util.tree_leaves(arrays)]
    if shapes != [x.shape for x in leaves]:
        raise ValueError("it was written for a different model or network")
    return eqx.combine(jax.tree_util.tree_unflatten(treedef, leaves), static), meta
