"""The Jacobian of a collocation system in its coefficients: forward mode, a chunk of columns at
a time."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

COLUMNS = 512  # Jacobian columns computed at once: forward mode holds every intermediate of the
# residual once per column it carries (di_tella at degree 23, 3 × 576 columns: 6.8 GB at once)


def columns(f: Callable, theta: jax.Array, chunk: int = COLUMNS) -> jax.Array:
    """The Jacobian of f at θ by forward mode, `chunk` columns at a time (one pass, as
    `jax.jacfwd`, where θ has no more)."""
    n = theta.shape[0]
    if n <= chunk:
        return jax.jacfwd(f)(theta)
    blocks = -(-n // chunk)
    eye = jnp.eye(blocks * chunk, n, dtype=theta.dtype).reshape(blocks, chunk, n)
    push = jax.vmap(lambda v: jax.jvp(f, (theta,), (v,))[1])
    found = jax.lax.map(push, eye)  # (blocks, chunk, rows)
    return found.reshape(blocks * chunk, -1)[:n].T
