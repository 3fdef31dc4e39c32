"""Checkpoints: the arrays of a training state and a small JSON header, written atomically."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def save(path: str | Path, state, meta: dict) -> None:
    """Write the array leaves of `state` (any pytree) and `meta` to `path`, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(eqx.filter(state, eqx.is_array))]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        **{f"leaf{i}": x for i, x in enumerate(leaves)},
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, path)


def load(path: str | Path, like):
    """Read a checkpoint into the structure of `like`; returns (state, meta)."""
    with np.load(path) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        leaves = [jnp.asarray(data[f"leaf{i}"]) for i in range(len(data.files) - 1)]
    arrays, static = eqx.partition(like, eqx.is_array)
    treedef = jax.tree_util.tree_structure(arrays)
    shapes = [x.shape for x in jax.tree_util.tree_leaves(arrays)]
    if shapes != [x.shape for x in leaves]:
        raise ValueError("it was written for a different model or network")
    return eqx.combine(jax.tree_util.tree_unflatten(treedef, leaves), static), meta
