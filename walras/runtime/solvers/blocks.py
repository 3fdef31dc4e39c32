"""Host arrays by blocks of a fixed number of rows: a compiled function called on every block
has one shape, so it is compiled once, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np


def by_blocks(fn: Callable, rows, size: int):
    """`fn` of a pytree of host arrays with the same number of rows (`rows`), called on blocks
    of `size` rows (the last padded with the first row) and concatenated on the host."""
    rows = jax.tree.map(np.asarray, rows)
    n = jax.tree.leaves(rows)[0].shape[0]
    total = max(-(-n // size), 1) * size
    padded = jax.tree.map(lambda a: np.concatenate([a, np.repeat(a[:1], total - n, axis=0)]), rows)
    parts = [fn(jax.tree.map(lambda a: a[i : i + size], padded)) for i in range(0, total, size)]
    return jax.tree.map(lambda *p: np.concatenate([np.asarray(a) for a in p])[:n], *parts)
