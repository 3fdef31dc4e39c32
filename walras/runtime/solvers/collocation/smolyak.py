"""Smolyak sparse grids for collocation: the hierarchical (disjoint-set) construction of Judd,
Maliar, Maliar and Valero (2014, "Smolyak method for solving dynamic economic models: Lagrange
interpolation, anisotropic grid and adaptive domain", JEDC 44), in which the basis functions and
the nodes match one to one, so interpolation is a square system.

In one dimension, level l ≥ 1 has the m_l = 3^(l−1) Gauss-Chebyshev points, nested under
tripling, and the basis T_0 … T_{m_l − 1}. (JMMV nest Chebyshev extrema under doubling; those
include the edges, where the stick-breaking coordinates of a simplex are singular and equations
divide by vanishing states. The Gauss points keep the edges off the grid, as the tensor basis
does.) The disjoint set of level l holds the points of level l missing at level l − 1 and the
polynomials T_{m_{l−1}} … T_{m_l − 1}. The sparse grid of level μ in d dimensions is the union,
over level vectors with Σ (l_k − 1) ≤ μ, of the products of disjoint sets: it contains every
one-dimensional expansion of degree 3^μ − 1 and far fewer mixed terms than the tensor product
(d = 4: 1473 coefficients at μ = 4, against 81^4 for the tensor product of the same degree)."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from ...domain import cube_to_simplices, to_cube
from ...pytree import pytree, static
from . import chebyshev as cheb


def degree_of(level: int) -> int:
    """The largest one-dimensional degree of a grid of level μ: 3^μ − 1."""
    return 3**level - 1


def level_for(degree: int) -> int:
    """The lowest level whose one-dimensional degree reaches `degree`."""
    level = 0
    while degree_of(level) < degree:
        level += 1
    return level


def degree_within(degree: int, d: int, cap: int, rounding: str = "") -> int:
    """The degree of a level of d-dimensional grids of at most `cap` coefficients: the level
    nearest `degree` (by ratio), or with `rounding` "up" the lowest that reaches it, "down" the
    highest that does not exceed it."""
    level = level_for(degree)
    if degree_of(level) > degree and level > 1:
        nearer_below = degree_of(level) / degree > degree / degree_of(level - 1)
        level -= rounding == "down" or (not rounding and nearer_below)
    while level > 1 and size(d, level) > cap:
        level -= 1
    return degree_of(max(level, 1))


def _disjoint(level: int) -> tuple[np.ndarray, np.ndarray]:
    """The one-dimensional disjoint set of a level (1-based): its polynomial degrees and nodes."""
    m = 3 ** (level - 1)
    below = 3 ** (level - 2) if level > 1 else 0
    points = cheb.nodes(m)
    if below:
        points = np.delete(points, np.arange(1, m, 3))  # the points of level − 1
    return np.arange(below, m), points


@dataclass(frozen=True, eq=False)
class SparseGrid:
    """The Smolyak grid of `level` in `d` dimensions: `index` (N, d), the Chebyshev degrees of
    each basis function, and `nodes` (N, d) in [−1, 1]^d, the node of each. One instance per
    (d, level) (`grid`), so identity is equality for JAX's static arguments."""

    d: int
    level: int
    index: np.ndarray
    nodes: np.ndarray

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def degree(self) -> int:
        return degree_of(self.level)

    def matrix(self, z: np.ndarray) -> np.ndarray:
        """B[i, j] = Π_k T_{index[j, k]}(z[i, k]) in numpy."""
        theta = np.arccos(np.clip(z, -1, 1))
        return np.prod(np.cos(theta[:, None, :] * self.index[None]), axis=-1)


@functools.cache
def grid(d: int, level: int) -> SparseGrid:
    """The Smolyak grid of `level` in `d` dimensions (cached)."""
    index, nodes = [], []
    for levels in itertools.product(range(1, level + 2), repeat=d):
        if sum(levels) - d > level:
            continue
        sets = [_disjoint(lv) for lv in levels]
        for combo in itertools.product(*(zip(*s) for s in sets)):
            index.append([k for k, _ in combo])
            nodes.append([z for _, z in combo])
    shape = (len(index), d)
    return SparseGrid(
        d, level, np.array(index, int).reshape(shape), np.array(nodes, float).reshape(shape)
    )


def size(d: int, level: int) -> int:
    return grid(d, level).size


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def series(coef: jax.Array, z: jax.Array, sparse: SparseGrid, orders: tuple = ()) -> jax.Array:
    """Σ_j c_j Π_k T_{index[j, k]}^{(orders[k])}(z_k) at one point z of [−1, 1]^d (`orders`:
    derivatives along each axis, none by default)."""
    n, index = sparse.degree + 1, sparse.index
    basis = 1.0
    for k in range(sparse.d):
        values = jnp.cos(jnp.arange(n) * jnp.arccos(jnp.clip(z[k], -1.0, 1.0)))
        if orders and orders[k]:  # T_j^{(o)} = Σ_i (D^o)[i, j] T_i
            power = np.linalg.matrix_power(cheb.derivative_matrix(n), orders[k])
            values = values @ jnp.asarray(power, z.dtype)
        basis = basis * values[jnp.asarray(index[:, k])]
    return basis @ coef


def _series_jvp(sparse, orders, primals, tangents):
    """Derivatives in z are series with one more derivative order along an axis, times the
    tangent's component: nothing of the size of the basis meets a tangent that depends on the
    coefficients (as the directions of the compiler's curvatures do)."""
    (coef, z), (dcoef, dz) = primals, tangents
    orders = orders or (0,) * sparse.d
    out = series(coef, z, sparse, orders)
    dout = jnp.zeros_like(out)
    if not isinstance(dcoef, SymbolicZero):
        dout = dout + series(dcoef, z, sparse, orders)
    if not isinstance(dz, SymbolicZero):
        for k in range(sparse.d):
            higher = orders[:k] + (orders[k] + 1,) + orders[k + 1 :]
            dout = dout + series(coef, z, sparse, higher) * dz[k]
    return out, dout


series.defjvp(_series_jvp, symbolic_zeros=True)


@pytree
class Smolyak(cheb.Chebyshev):
    """u(x) = Σ c_j B_j(z) on a Smolyak grid, z the map of the box [lo, hi] onto [−1, 1]^d, with
    the fields of `chebyshev.Chebyshev` (log axes continued linearly below the box, a positive
    unknown expanded as its logarithm, `simplices` in stick-breaking coordinates), with the
    coefficients a flat vector in the order of `sparse.index`."""

    sparse: SparseGrid = static(default=None)

    def __call__(self, x: jax.Array) -> jax.Array:
        for group in self.simplices:
            x = to_cube(x, group)
        z = cheb.to_unit(x, self.lo, self.hi, self.log)
        cut = cheb.cut_axes(self.log)
        inside = jnp.where(jnp.asarray(cut), jnp.maximum(z, -1.0), z)
        inside = jnp.where(
            jnp.asarray(cheb.upper_cut_axes(self.log)), jnp.minimum(inside, 1.0), inside
        )
        at = lambda z: series(self.coef, z, self.sparse)  # noqa: E731
        out = at(inside)
        for axis in (i for i, flag in enumerate(cut) if flag):
            # beyond a cut edge, linear in z: the power law the edge condition imposes
            e = jnp.zeros_like(z).at[axis].set(1.0)
            out = out + (z[axis] - inside[axis]) * jax.jvp(at, (inside,), (e,))[1]
        return jnp.exp(out) if self.positive else out


def interpolate(
    f, lo, hi, sparse: SparseGrid, log=(), positive: bool = False, simplices: tuple = ()
) -> np.ndarray:
    """Coefficients of the interpolant of a callable of points (m, d) -> (m,) at the grid's
    nodes (of its logarithm with `positive`), in the coordinates of `chebyshev.to_box`."""
    u = cheb.to_box(sparse.nodes, np.asarray(lo, float), np.asarray(hi, float), log)
    values = np.asarray(f(np.asarray(cube_to_simplices(u, simplices))), float).ravel()
    return fit(np.log(values) if positive else values, sparse)


def fit(values: np.ndarray, sparse: SparseGrid) -> np.ndarray:
    """Coefficients of the interpolant of values at the grid's nodes (a square system)."""
    return np.linalg.solve(sparse.matrix(sparse.nodes), np.asarray(values, float))


def edge_curvature(coef: jax.Array, sparse: SparseGrid, axis: int, end: float = -1.0) -> jax.Array:
    """∂²/∂z_axis² of the expansion at z_axis = end (−1, the lower end, or 1), at the grid's
    nodes projected onto that face (the rows a cut edge imposes)."""
    face = np.unique(np.delete(sparse.nodes, axis, axis=1), axis=0)
    face = jnp.asarray(np.insert(face, axis, end, axis=1))
    e = jnp.zeros(sparse.d).at[axis].set(1.0)
    slope = lambda z: jax.jvp(lambda z: series(coef, z, sparse), (z,), (e,))[1]  # noqa: E731
    return jax.vmap(lambda z: jax.jvp(slope, (z,), (e,))[1])(face)


def decay(coef: np.ndarray, sparse: SparseGrid) -> np.ndarray:
    """max |c_j| over basis functions whose largest degree is k, for k = 0 … the grid's degree."""
    coef, top = np.abs(np.asarray(coef)), sparse.index.max(axis=1)
    return np.array([coef[top == k].max() for k in range(sparse.degree + 1)])
