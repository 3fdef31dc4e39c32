"""The Jacobian of a collocation system in its coefficients.

By columns: forward mode, a chunk of columns at a time (`columns`). From the pointwise partials
(`split.Split`): a residual row at a point depends on the coefficients only through each
unknown's value and derivatives up to second order at that point, so J = Σ_k diag(∂r/∂s^(k)) B^(k),
with s^(k) the k-th derivative of an unknown's series (its logarithm's, for a positive unknown) at
the rows' points and B^(k) its matrix in the coefficients. The partials take one forward-mode
direction per unknown and derivative (6 per unknown with two states) through the model's equations,
where the columns take one per coefficient (3 × 400 for di_tella at degree 19); B goes through the
series alone. It applies (`applies`) to systems without discrete states whose equations hold only
values, gradients and second derivatives at the point (no jumps); other systems use the columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ... import domain
from ...pytree import pytree
from . import chebyshev as cheb
from . import root

if TYPE_CHECKING:
    from .problem import System

COLUMNS = 512  # Jacobian columns computed at once, at most: forward mode holds every intermediate
# of the residual once per column it carries (di_tella at degree 23, 3 × 576 columns: 6.8 GB)
MEMORY = 2**30  # bytes the columns of one forward pass may hold (1 GiB): two pooled households
# of ggp_production at 2,736 coefficients hold 44-70 MB a column (21 GB at 512 columns)


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


def chunk_for(f: Callable, *args) -> int:
    """Columns per forward pass: as many as MEMORY allows, 1 to COLUMNS, each column holding
    about what one evaluation of f holds (XLA's temporary and output buffers of f compiled alone
    at the shapes of `args`; measured, not traced: fusion makes the traced sizes 15 times too
    large on ggp_production)."""
    shapes = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(jnp.shape(a), a.dtype), args)
    held = jax.jit(f).lower(*shapes).compile().memory_analysis()
    if held is None:  # (a backend that does not say)
        return COLUMNS
    per = held.temp_size_in_bytes + held.output_size_in_bytes
    return int(min(COLUMNS, max(1, MEMORY // max(per, 1))))


def applies(system: System) -> bool:
    """Whether every row depends on the unknowns only at its own point, to second order: no
    discrete state, and only values, derivatives and curvatures as atoms (a jump, or an atom
    this module does not know, evaluates an unknown elsewhere: `Outline.local`)."""
    if any(v is not None for v in system.values):
        return False
    return system.compiled.outline.local


@pytree
class Taylor:
    """An unknown near a point `centre`, from its series' value, gradient and upper Hessian
    triangle there (`local`: what `taylor` returns): its value and derivatives to second order
    at the centre are the expansion's (exp of the series for a `positive` unknown; `positive`
    may be a traced flag, so one compiled function serves both expansions)."""

    local: jax.Array
    centre: jax.Array
    positive: jax.Array | bool = False

    def __call__(self, y: jax.Array) -> jax.Array:
        m = self.centre.shape[0]
        h = y - self.centre
        s = self.local[0] + self.local[1 : 1 + m] @ h
        if m:
            j, k = np.triu_indices(m)
            s = s + self.local[1 + m :] @ (h[j] * h[k] * np.where(j == k, 0.5, 1.0))
        if self.positive is False:
            return s
        return jnp.where(self.positive, jnp.exp(jnp.where(self.positive, s, 0.0)), s)


def taylor(series: Callable, x: jax.Array) -> jax.Array:
    """A series' value, gradient and upper Hessian triangle at a point."""
    m = x.shape[0]
    if not m:
        return series(x)[None]
    j, k = np.triu_indices(m)
    hessian = jax.jacfwd(jax.jacfwd(series))(x)
    return jnp.concatenate([series(x)[None], jax.jacfwd(series)(x), hessian[j, k]])


def plain(field) -> Callable:
    """An unknown's expansion without the exponential of a positive unknown."""
    if getattr(field, "positive", False):
        return dataclasses.replace(field, positive=False)
    return field


def local_matrix(series, coef: jax.Array, x: jax.Array) -> jax.Array:
    """(points, K, coefficients): the local series at the points as linear maps of the
    coefficients (the series is linear in them). A tensor expansion is a product of one-axis
    factors (`_tensor_matrix`), in the stick-breaking coordinates of its simplices
    (`_simplex_matrix`)."""
    if type(series) is cheb.Chebyshev and coef.ndim:
        return _simplex_matrix(series, x) if series.simplices else _tensor_matrix(series, x)

    def local(flat):
        same = dataclasses.replace(series, coef=flat.reshape(coef.shape))
        return jax.vmap(lambda y: taylor(same, y))(x)

    flat = jnp.ravel(coef)
    return jax.jacfwd(local)(flat)


def _tensor_matrix(series: cheb.Chebyshev, x: jax.Array) -> jax.Array:
    """`local_matrix` of a tensor expansion: along each axis, the value, first and second
    derivative of each one-axis basis function at the points' coordinate (`_axis_factor`); the
    local series' entries are their products (the derivatives' orders per axis as `taylor`
    orders them)."""
    m = series.coef.ndim
    factors = [_axis_factor(series, a, x[:, a]) for a in range(m)]
    orders = [np.zeros(m, int)] + [np.eye(m, dtype=int)[j] for j in range(m)]
    orders += [
        np.eye(m, dtype=int)[j] + np.eye(m, dtype=int)[k] for j, k in zip(*np.triu_indices(m))
    ]
    rows = []
    for order in orders:
        product = factors[0][:, order[0]]
        for a in range(1, m):
            product = (product[:, :, None] * factors[a][:, order[a]][:, None, :]).reshape(
                x.shape[0], -1
            )
        rows.append(product)
    return jnp.stack(rows, axis=1)


def _axis_factor(series: cheb.Chebyshev, a: int, y: jax.Array) -> jax.Array:
    """(points, 3, n): the value, first and second derivative at y of each basis function of
    the expansion's axis a (a one-axis expansion of the same map): by the basis' recurrence
    (`Chebyshev.basis`, O(n) a point), or along an axis with a constrained edge as the series'
    values at the unit vectors (the series is linear in its coefficients; O(n²) a point)."""
    n = series.coef.shape[a]
    one = dataclasses.replace(
        series,
        coef=jnp.zeros(n, y.dtype),
        lo=series.lo[a : a + 1],
        hi=series.hi[a : a + 1],
        log=series.log[a : a + 1],
    )
    if not root.is_root(one.log[0]):
        return jax.vmap(one.basis)(y)
    local = lambda c: jax.vmap(lambda t: taylor(dataclasses.replace(one, coef=c), t))(y[:, None])  # noqa: E731
    return jnp.moveaxis(jax.vmap(local)(jnp.eye(n, dtype=y.dtype)), 0, -1)


def _simplex_matrix(series: cheb.Chebyshev, x: jax.Array) -> jax.Array:
    """`local_matrix` of a tensor expansion in the stick-breaking coordinates y(x) of its
    simplices: the one-axis factors' matrix at y, then the chain rule to second order at each
    point, a K × K map of the local series in y onto those in x (the local series in x of the
    quadratic in y that has the local series in y)."""
    cube = dataclasses.replace(series, simplices=())

    def to_cube(x):
        for group in series.simplices:
            x = domain.to_cube(x, group)
        return x

    y = to_cube(x)
    k = 1 + x.shape[1] + x.shape[1] * (x.shape[1] + 1) // 2

    def chain(x, y):
        local = lambda s: taylor(lambda z: Taylor(s, y)(to_cube(z)), x)  # noqa: E731
        return jax.jacfwd(local)(jnp.zeros(k, x.dtype))

    return jnp.einsum("pkj,pjc->pkc", jax.vmap(chain)(x, y), _tensor_matrix(cube, y))
