"""Pieces of a collocation system: two expansions joined at a cut (`Piecewise`), the simplices
among an unknown's states, and the points of a face where a boundary condition is imposed."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...pytree import pytree
from . import chebyshev as cheb


@pytree
class Piecewise:
    """Expansions on [lo, s] and [s, hi] of the first argument, joined at s."""

    left: cheb.Chebyshev
    right: cheb.Chebyshev
    at: jax.Array

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.where(x[0] < self.at, self.left(x), self.right(x))


def local_simplices(simplices, args: list[int]) -> tuple[tuple[int, ...], ...]:
    """The simplices among an unknown's states, as positions in its arguments."""
    groups = (tuple(args.index(i) for i in g if i in args) for g in simplices)
    return tuple(g for g in groups if g)


def face_points(points: np.ndarray, axis: int) -> np.ndarray:
    """The distinct projections of reference points onto a face normal to `axis` (the compiler
    sets that coordinate)."""
    if points.shape[1] == 1:
        return np.zeros((1, 1))
    face = np.unique(np.delete(points, axis, axis=1), axis=0)
    return np.insert(face, axis, 0.0, axis=1)
