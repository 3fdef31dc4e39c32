"""Chebyshev expansions on boxes: Gauss nodes, tensor-product approximants (equinox Modules, so
nested `jax.jvp` and `jax.vmap` go through them), interpolation and coefficient decay."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def nodes(n: int) -> np.ndarray:
    """The n Gauss-Chebyshev points of (−1, 1), ascending: the edges stay off the grid."""
    return -np.cos(np.pi * (2 * np.arange(n) + 1) / (2 * n))


def basis(t: jax.Array, n: int) -> jax.Array:
    """T_0(t), …, T_{n−1}(t) by the three-term recurrence (differentiable at ±1, unlike cos∘arccos)."""
    def step(carry, _):
        a, b = carry
        return (b, 2 * t * b - a), a
    _, T = jax.lax.scan(step, (jnp.ones_like(t), t), None, length=n)
    return T


def basis_matrix(z: np.ndarray, n: int) -> np.ndarray:
    """V[i, k] = T_k(z_i) in numpy (for fitting coefficients to values)."""
    return np.cos(np.outer(np.arccos(np.clip(z, -1, 1)), np.arange(n)))


class Chebyshev(eqx.Module):
    """u(x) = Σ c_k T_k(z) with z the affine map of the box [lo, hi] onto [−1, 1]^d, one axis of
    `coef` per state (a 0-d `coef` is a scalar unknown). `lo`, `hi` are arrays, so a box edge
    (a free boundary) may itself be an unknown that derivatives flow through."""

    coef: jax.Array
    lo: jax.Array
    hi: jax.Array

    def __call__(self, x: jax.Array) -> jax.Array:
        out = self.coef
        if out.ndim == 0:
            return out
        z = (2 * x - (self.lo + self.hi)) / (self.hi - self.lo)
        for i in reversed(range(out.ndim)):
            out = out @ basis(z[i], out.shape[i])
        return out

    def reference(self, x: np.ndarray) -> np.ndarray:
        """Points of the box mapped to [−1, 1]^d."""
        lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        return (2 * np.asarray(x) - (lo + hi)) / (hi - lo)


def box_nodes(lo, hi, n: int) -> np.ndarray:
    """Tensor Gauss-Chebyshev nodes of the box [lo, hi], shape (n^d, d) (ij order)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    z = nodes(n)
    axes = [a + (b - a) * (z + 1) / 2 for a, b in zip(lo, hi)]
    if not axes:
        return np.zeros((1, 0))
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], -1)


def fit(values: np.ndarray, n: int) -> np.ndarray:
    """Coefficients of the interpolant of values at tensor Gauss nodes (shape (n,)*d)."""
    values = np.asarray(values, float)
    inverse = np.linalg.inv(basis_matrix(nodes(n), n))
    for axis in range(values.ndim):
        values = np.moveaxis(np.tensordot(inverse, values, axes=([1], [axis])), 0, axis)
    return values


def interpolate(f, lo, hi, n: int) -> np.ndarray:
    """Chebyshev coefficients (n per axis) of a callable of points (m, d) -> (m,) on the box."""
    d = len(lo)
    x = box_nodes(lo, hi, n)
    return fit(np.asarray(f(x)).reshape((n,) * d), n)


def decay(coef: np.ndarray) -> np.ndarray:
    """max |c_α| over multi-indices whose largest index is k, for k = 0 … n−1: spectral decay."""
    coef = np.abs(np.asarray(coef))
    if coef.ndim == 0:
        return coef[None]
    level = np.zeros(coef.shape, int)
    for axis, size in enumerate(coef.shape):
        shape = [1] * coef.ndim
        shape[axis] = size
        level = np.maximum(level, np.arange(size).reshape(shape))
    return np.array([coef[level == k].max() for k in range(max(coef.shape))])
