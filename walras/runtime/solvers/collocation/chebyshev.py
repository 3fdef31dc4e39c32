"""Chebyshev expansions on boxes: Gauss nodes, tensor-product approximants (equinox Modules, so
nested `jax.jvp` and `jax.vmap` go through them), interpolation and coefficient decay."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from ...domain import cube_to_simplices, to_cube
from ...pytree import pytree, static
from . import root


def nodes(n: int) -> np.ndarray:
    """The n Gauss-Chebyshev points of (−1, 1), ascending: the edges stay off the grid."""
    return -np.cos(np.pi * (2 * np.arange(n) + 1) / (2 * n))


def basis(t: jax.Array, n: int) -> jax.Array:
    """T_0(t), …, T_{n−1}(t) as cos(k·arccos t), t clipped to [−1, 1]. Never differentiated
    directly (`series` has its own derivative rule), so the endpoints are no trouble."""
    return jnp.cos(jnp.arange(n) * jnp.arccos(jnp.clip(t, -1.0, 1.0)))


def basis_derivatives(t: jax.Array, n: int) -> jax.Array:
    """(3, n): T_0, …, T_{n−1} at t clipped to [−1, 1] and their first and second derivatives
    (as `series`'s derivative rule, which ignores the clip too), by the recurrence
    differentiated, O(n): T_{k+1}^(j) = 2t·T_k^(j) + 2j·T_k^(j−1) − T_{k−1}^(j)."""
    t = jnp.clip(t, -1.0, 1.0)
    one, zero = jnp.ones_like(t), jnp.zeros_like(t)

    def step(pair, _):
        (a, da, dda), (b, db, ddb) = pair
        return (
            (b, db, ddb),
            (2 * t * b - a, 2 * b + 2 * t * db - da, 4 * db + 2 * t * ddb - dda),
        ), (a, da, dda)

    # eight steps a loop iteration: at the degrees of one-state models the loop's own cost
    # dominated (a block at degree 32: 0.29 ms a call with one step, 0.09 ms with eight)
    found = jax.lax.scan(step, ((one, zero, zero), (t, one, zero)), length=n, unroll=8)[1]
    return jnp.stack(found)


def basis_matrix(z: np.ndarray, n: int) -> np.ndarray:
    """V[i, k] = T_k(z_i) in numpy (for fitting coefficients to values)."""
    return np.cos(np.outer(np.arccos(np.clip(z, -1, 1)), np.arange(n)))


def derivative_matrix(n: int) -> np.ndarray:
    """D with (D a)_k the coefficients of d/dz Σ a_j T_j(z) (degree n − 1, padded to n)."""
    j, k = np.meshgrid(np.arange(n), np.arange(n))
    D = np.where((j > k) & ((j - k) % 2 == 1), 2.0 * j, 0.0)
    D[0] /= 2
    return D


@jax.custom_jvp
def series(coef: jax.Array, z: jax.Array) -> jax.Array:
    """Σ_α c_α Π_i T_{α_i}(z_i) for z in [−1, 1]^d (one axis of `coef` per coordinate)."""
    out = coef
    for i in reversed(range(coef.ndim)):
        out = out @ basis(z[i], coef.shape[i])
    return out


def _series_jvp(primals, tangents):
    """Derivatives in z are series of differentiated coefficients: nested JVPs (second
    derivatives, curvatures) stay a handful of series evaluations, never a JVP through the
    recurrence. A tangent that is zero (the coefficients' own, under a derivative in z) adds
    no term: no series of a zero matrix is evaluated (docs/results.md: XLA's CPU fusions
    got such a series wrong)."""
    coef, z = primals
    dcoef, dz = tangents
    out = series(coef, z)
    terms = [] if isinstance(dcoef, SymbolicZero) else [series(dcoef, z)]
    if not isinstance(dz, SymbolicZero):
        for i in range(coef.ndim):
            D = jnp.asarray(derivative_matrix(coef.shape[i]), coef.dtype)
            dcoef_i = jnp.moveaxis(jnp.tensordot(D, coef, axes=([1], [i])), 0, i)
            terms.append(series(dcoef_i, z) * dz[i])
    return out, sum(terms[1:], terms[0]) if terms else jnp.zeros_like(out)


series.defjvp(_series_jvp, symbolic_zeros=True)


@dataclass(frozen=True)
class Anchor:
    """An axis mapped affinely in log|x − at|, `at` a point beyond one edge of the box: points
    crowd geometrically towards that edge, the nearest at a distance of about |edge − at|."""

    at: float


@dataclass(frozen=True)
class Logit:
    """An axis of [0, 1] cut at both ends (the last stick-breaking coordinate of a simplex, whose
    upper end is the face where the last share vanishes), mapped affinely in log(x/(1 − x)):
    points crowd geometrically towards both cuts, as a log axis crowds them towards its one."""


LOGIT = Logit()


def _is_log(f) -> bool:
    return isinstance(f, Anchor) or f is True


def _anchors(log, lo, hi, xp=jnp):
    """Per axis of `log` (False: affine; True: a cut edge, log x; an `Anchor`): whether the axis
    is logarithmic, its anchor (0 for a cut edge), the side of it the box lies on, and the box's
    corners in the log coordinate."""
    flag = xp.asarray([_is_log(f) for f in log])
    at = xp.asarray([f.at if isinstance(f, Anchor) else 0.0 for f in log], float)
    side = xp.where(flag & (lo < at), -1.0, 1.0)
    a = xp.log(xp.where(flag, side * (lo - at), 1.0))
    b = xp.log(xp.where(flag, side * (hi - at), 1.0))
    return flag, at, side, a, b


def _affine_only(log) -> bool:
    return not any(isinstance(f, (Anchor, Logit, root.Root)) or f is True for f in log)


def _logit(x, xp=jnp):
    return xp.log(x) - xp.log1p(-x)


def _module(*arrays):
    """jax.numpy for JAX arrays and traced values; NumPy for host arrays, so that the solver's
    bookkeeping on the host (start values, evidence) compiles nothing."""
    return jnp if any(isinstance(a, jax.Array) for a in arrays) else np


def to_box(z, lo, hi, log=()):
    """Points z of [−1, 1]^d mapped onto the box [lo, hi]: affinely, or affinely in log x along
    the axes flagged True in `log` (a cut edge: their lower corner is > 0), which crowds points
    towards lo, or in log|x − at| along an axis with an `Anchor`, or in log(x/(1 − x)) along a
    `Logit` axis, or as the square of the distance to a constrained edge (`root.Root`). NumPy
    in, NumPy out."""
    affine = lo + (hi - lo) * (z + 1) / 2
    if _affine_only(log):
        return affine
    xp = _module(z, lo, hi)
    flag, at, side, a, b = _anchors(log, lo, hi, xp)
    out = xp.where(flag, at + side * xp.exp(a + (b - a) * (z + 1) / 2), affine)
    if any(root.sides(log)):
        sides = xp.asarray(root.sides(log))
        out = xp.where(sides != 0, root.to_box(z, lo, hi, sides), out)
    if not any(upper_cut_axes(log)):
        return out
    two = xp.asarray(upper_cut_axes(log))
    a, b = _logit(xp.where(two, lo, 0.5), xp), _logit(xp.where(two, hi, 0.5), xp)
    t = a + (b - a) * (z + 1) / 2
    return xp.where(two, jax.nn.sigmoid(t) if xp is jnp else np.exp(-np.logaddexp(0, -t)), out)


def to_unit(x, lo, hi, log=()):
    """The inverse of `to_box`."""
    affine = (2 * x - (lo + hi)) / (hi - lo)
    if _affine_only(log):
        return affine
    flag, at, side, a, b = _anchors(log, lo, hi)
    t = jnp.log(jnp.where(flag, side * (x - at), 1.0))
    out = jnp.where(flag, (2 * t - (a + b)) / (b - a), affine)
    if any(root.sides(log)):
        sides = jnp.asarray(root.sides(log))
        rooted = root.to_unit(root.share(x, lo, hi, jnp.where(sides != 0, sides, 1.0)), sides)
        out = jnp.where(sides != 0, rooted, out)
    if not any(upper_cut_axes(log)):
        return out
    two = jnp.asarray(upper_cut_axes(log))
    a, b = _logit(jnp.where(two, lo, 0.5)), _logit(jnp.where(two, hi, 0.5))
    t = _logit(jnp.clip(jnp.where(two, x, 0.5), 1e-300, 1 - 1e-16))
    return jnp.where(two, (2 * t - (a + b)) / (b - a), out)


def cut_axes(log) -> tuple[bool, ...]:
    """The axes of `log` that end at a cut edge below (True, `Logit`), not those with an
    `Anchor`."""
    return tuple(f is True or isinstance(f, Logit) for f in log)


def upper_cut_axes(log) -> tuple[bool, ...]:
    """The axes of `log` cut above too (`Logit`)."""
    return tuple(isinstance(f, Logit) for f in log)


@pytree
class Chebyshev:
    """u(x) = Σ c_α T_α(z) with z the map of the box [lo, hi] onto [−1, 1]^d (`to_unit`, each
    axis as `log` says), one axis of `coef` per state (a 0-d `coef` is a scalar unknown). `lo`,
    `hi` are arrays, so a box edge (a free boundary) may itself be an unknown that derivatives
    flow through. With `positive`, the series expands log u (u = exp Σ …): a power law in a log
    axis is then linear, and beyond the box along a cut edge's log axis the expansion continues
    linearly. Axes grouped in `simplices` lie on a simplex: the box there is in the
    stick-breaking coordinates of the unit cube (`domain.to_cube`)."""

    coef: jax.Array
    lo: jax.Array
    hi: jax.Array
    log: tuple = static(default=())
    positive: bool = static(default=False)
    simplices: tuple = static(default=())

    def _coordinates(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """z, the map of x onto [−1, 1]^d, and where the series is evaluated: z held at the cut
        edges, and along an axis with a constrained edge the share s (`root`), not z."""
        for group in self.simplices:
            x = to_cube(x, group)
        sides = root.sides(self.log)
        z = to_unit(x, self.lo, self.hi, tuple(False if v else f for f, v in zip(self.log, sides)))
        cut, upper = cut_axes(self.log), upper_cut_axes(self.log)
        inside = jnp.where(jnp.asarray(cut), jnp.maximum(z, -1.0), z)
        inside = jnp.where(jnp.asarray(upper), jnp.minimum(inside, 1.0), inside)
        if any(sides):
            s = root.share(x, self.lo, self.hi, jnp.asarray([v or 1.0 for v in sides]))
            inside = jnp.where(jnp.asarray(sides) != 0, s, inside)
        return z, inside

    def basis(self, y: jax.Array) -> jax.Array:
        """(3, n): the value, first and second derivative at the scalar y of each basis function
        of a one-axis expansion without a constrained edge, continued beyond a cut edge as the
        series is (the series, `positive` aside, is coef · basis(y)[0]); O(n)
        (`basis_derivatives`), where the series' values at the n unit vectors cost O(n²)
        through its derivative rule."""
        coordinates = lambda y: self._coordinates(y[None])  # noqa: E731
        slope = lambda y: jax.jvp(coordinates, (y,), (jnp.ones_like(y),))  # noqa: E731
        ((z, w), (dz, dw)), (_, (ddz, _)) = jax.jvp(slope, (y,), (jnp.ones_like(y),))
        b = basis_derivatives(w[0], self.coef.shape[0])
        # beyond the edge w is held (dw = 0), inside z − w = 0: no other term of the chain rule
        return jnp.stack(
            [b[0] + (z - w)[0] * b[1], b[1] * dz[0], b[2] * dw[0] ** 2 + b[1] * ddz[0]]
        )

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.coef.ndim == 0:
            return self.coef
        z, inside = self._coordinates(x)
        sides = root.sides(self.log)
        cut, upper = cut_axes(self.log), upper_cut_axes(self.log)
        out = root.series(self.coef, inside, sides)
        for axis in (i for i, flag in enumerate(cut) if flag):
            # beyond a cut edge, linear in z: the power law the edge condition imposes
            beyond = z[axis] - inside[axis]
            others = [j for j in range(z.shape[0]) if j != axis]
            rest, rest_sides = inside[np.array(others, int)], tuple(sides[j] for j in others)
            slope = root.series(end_derivative(self.coef, axis, 1), rest, rest_sides)
            if upper[axis]:
                above = root.series(end_derivative(self.coef, axis, 1, 1.0), rest, rest_sides)
                slope = jnp.where(beyond > 0, above, slope)
            out = out + beyond * slope
        return jnp.exp(out) if self.positive else out


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


def interpolate(
    f, lo, hi, n: int, log=(), positive: bool = False, simplices: tuple = ()
) -> np.ndarray:
    """Chebyshev coefficients (n per axis) of a callable of points (m, d) -> (m,) on the box
    (of its logarithm with `positive`), in the coordinates of `to_box` (on `simplices`, the
    stick-breaking coordinates of a cube)."""
    d = len(lo)
    u = to_box(
        box_nodes(-np.ones(d), np.ones(d), n), np.asarray(lo, float), np.asarray(hi, float), log
    )
    x = np.asarray(cube_to_simplices(u, simplices))
    values = np.asarray(f(x), float).reshape((n,) * d)
    return fit(np.log(values) if positive else values, n)


def end_derivative(coef: jax.Array, axis: int, order: int, end: float = -1.0) -> jax.Array:
    """Coefficients, over the other axes, of ∂^order/∂z^order of the series along `axis` at
    z = end (−1, the lower end, or 1)."""
    D = jnp.asarray(np.linalg.matrix_power(derivative_matrix(coef.shape[axis]), order), coef.dtype)
    moved = jnp.moveaxis(jnp.tensordot(D, coef, axes=([1], [axis])), 0, -1)
    return moved @ jnp.asarray(end ** np.arange(coef.shape[axis]), coef.dtype)


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
