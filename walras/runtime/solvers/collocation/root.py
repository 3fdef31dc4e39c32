"""A square-root map at a state constraint. Where a state constraint binds (the borrowing limit of
a household in its low income state) the drift of the state vanishes like the square root of the
distance s to the edge, so consumption grows like √s and the value has a term s^(3/2): a series
in the state converges only algebraically. The axis is mapped as s = ((z + 1)/2)² (the edge at
z = −1; mirrored at an upper edge), in which such a solution is smooth: the expansion is a series
in √s. Its derivative in s, P'(z)·dz/ds = 2P'(z)/(z + 1), is again a series, the quotient of P' by
(z + 1), finite at the edge, where P'(−1) = 0 (the slope in the state is finite there:
`side_conditions.edge_rows` impose it), so the face's HJB is evaluated at the limit (l'Hôpital), and
nested derivatives stay series evaluations (a custom JVP rule, as `chebyshev.series`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero
from numpy.polynomial import chebyshev as npcheb

from . import chebyshev as cheb


@dataclass(frozen=True)
class Root:
    """An axis mapped as s = ((1 + side·z)/2)², s the distance to the constrained edge (the lower
    one, side = 1, or the upper one, side = −1) as a share of the range."""

    side: float = 1.0


def is_root(f) -> bool:
    return isinstance(f, Root)


def sides(maps) -> tuple[float, ...]:
    """Per axis: the side of its constrained edge (1 lower, −1 upper), 0 where not mapped so."""
    return tuple(f.side if is_root(f) else 0.0 for f in maps)


def to_box(z, lo, hi, side: float):
    """Points z of [−1, 1] on the axis [lo, hi] with its constrained edge at `side`."""
    s = ((1 + side * z) / 2) ** 2
    where = jnp.where if isinstance(s, jax.Array) else np.where
    return where(side > 0, lo + (hi - lo) * s, hi - (hi - lo) * s)


def share(x, lo, hi, side: float):
    """The distance of x to the constrained edge as a share of the range (s, in [0, 1])."""
    s = jnp.where(side > 0, x - lo, hi - x) / (hi - lo)
    return s + jax.lax.stop_gradient(jnp.clip(s, 0.0, 1.0) - s)  # its slope at the edges too


def to_unit(s, side: float):
    """z in [−1, 1] from the share s (the inverse of `to_box`'s s)."""
    return side * (2 * jnp.sqrt(s) - 1)


@cache
def slope_matrix(n: int, side: float) -> np.ndarray:
    """K with (K a) the coefficients of d/ds Σ a_k T_k(z(s)) = 2P'(z)/(1 + side·z)·side, the
    quotient of P' by (1 + side·z) with its remainder P'(−side) dropped (0 where the expansion has
    a finite slope at the edge). Degree n − 1 in, padded to n out, as `derivative_matrix`."""
    product = np.zeros((n, n))
    for k in range(n - 1):  # (1 + z)·T_k, and the remainder's constant in the last column
        times = npcheb.chebadd(np.eye(n)[k], npcheb.chebmulx(np.eye(n)[k]))
        product[: len(times), k] = times
    product[0, n - 1] = 1.0
    quotient = np.linalg.solve(product, np.eye(n))
    quotient[n - 1] = 0.0
    if side < 0:  # p(z)/(1 − z) is q(−z) for q = p(−z)/(1 + z)
        flip = np.diag((-1.0) ** np.arange(n))
        quotient = flip @ quotient @ flip
    return 2 * side * quotient @ cheb.derivative_matrix(n)


def _z(w, axes: tuple[float, ...]):
    side = jnp.asarray(axes)
    return jnp.where(side != 0, side * (2 * jnp.sqrt(jnp.abs(w)) - 1), w)


@cache
def rooted(axes: tuple[float, ...]):
    """Σ_α c_α Π_i T_{α_i}(z_i) with z_i = w_i on ordinary axes and z_i from the share w_i = s_i
    on the axes of `axes` (their sides, 0 where ordinary), differentiable in w at s = 0."""

    @jax.custom_jvp
    def evaluate(coef, w):
        return cheb.series(coef, _z(w, axes))

    def jvp(primals, tangents):
        coef, w = primals
        dcoef, dw = tangents
        terms = [] if isinstance(dcoef, SymbolicZero) else [evaluate(dcoef, w)]
        if not isinstance(dw, SymbolicZero):
            for i, side in enumerate(axes):
                n = coef.shape[i]
                K = jnp.asarray(
                    slope_matrix(n, side) if side else cheb.derivative_matrix(n), coef.dtype
                )
                dcoef_i = jnp.moveaxis(jnp.tensordot(K, coef, axes=([1], [i])), 0, i)
                slope = evaluate(dcoef_i, w)
                if side:
                    slope = slope + _remainder(coef, w, axes, i)
                terms.append(slope * dw[i])
        out = evaluate(coef, w)
        return out, sum(terms[1:], terms[0]) if terms else jnp.zeros_like(out)

    evaluate.defjvp(jvp, symbolic_zeros=True)
    return evaluate


def _remainder(coef, w, axes: tuple[float, ...], i: int):
    """side·r/√s, r = ∂P/∂z at the constrained edge of axis i: the part of the slope in s that
    the quotient (`slope_matrix`) drops. The edge rows make r vanish for the unknowns, but not for
    their slopes: where a constraint binds, the slope grows like √s (the value like s^(3/2)) and
    the curvature is a series plus this term, like 1/√s. 0 at the edge itself, where the
    equations multiply the curvature by a volatility that vanishes."""
    side = axes[i]
    r = cheb.end_derivative(coef, i, 1, -side)
    others = [j for j in range(len(axes)) if j != i]
    r = series(r, w[np.array(others, int)], tuple(axes[j] for j in others)) if others else r
    share = jnp.abs(w[i])
    inside = share > 0
    return jnp.where(inside, side * r / jnp.sqrt(jnp.where(inside, share, 1.0)), 0.0)


def series(coef, w, axes: tuple[float, ...]):
    """`chebyshev.series` at w, in the share s along the axes with a constrained edge (`axes`:
    their sides, 0 elsewhere; none: w is z)."""
    return rooted(axes)(coef, w) if any(axes) else cheb.series(coef, w)


def end_slope(coef: jax.Array, axis: int, side: float) -> jax.Array:
    """∂P/∂z at the constrained edge (z = −side) along `axis`: 0 where the expansion's slope in
    the state is finite there."""
    return cheb.end_derivative(coef, axis, 1, -side)


def constrained(problem) -> dict[int, float]:
    """The states (their indices) with a state constraint at an edge, and its side (1 at the
    lower edge, −1 at the upper one); a state constrained at both edges keeps its lower one."""
    out: dict[int, float] = {}
    for b in problem.compiled.model.boundaries:
        i = problem.compiled.states.index(b.state)
        state = problem.states[i]
        if b.constraint is None or state.discrete:
            continue
        out.setdefault(i, 1.0 if b.at == state.lo else -1.0)
    return out


def amplified(system) -> bool:
    """Whether the system has a constrained edge: there the decay of the coefficients understates
    the truncation error of the residuals, since the slope in the state is the slope in z times
    dz/ds ∝ 1/√s, which multiplies it next to the edge wherever the drift does not vanish there
    (in the income state that saves at the limit). The degree then rises on the residuals, not
    on the coefficients."""
    return any(sides(system.maps))
