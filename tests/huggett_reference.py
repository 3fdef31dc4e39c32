"""The Huggett consumption-saving problem with two income states, by the implicit upwind
finite-difference scheme of Achdou, Han, Lasry, Lions and Moll (2022), numerical appendix: written
without walras, with numpy and scipy.sparse.

    ρ v_j(a) = max_c u(c) + v_j'(a) (z_j + r a − c) + λ_j (v_k(a) − v_j(a)),   u(c) = c^(1−γ)/(1−γ)

on a ∈ [a_min, a_max] with r < ρ. v' is the forward difference where the saving it implies is
positive, the backward one where that is negative, and u'(z_j + r a) where neither (zero saving);
the state constraint a ≥ a_min is the backward difference at a_min set to u'(z_j + r a_min), so
saving never points out of the domain. Each step solves ((ρ + 1/Δ) I − A(v)) v⁺ = u(c) + v/Δ
(A the generator of the upwind drift and the income switches) with a large Δ until v stops
moving. The scheme is first order in the grid step; `extrapolated` Richardson-extrapolates two
grids (step h and h/2) at the coarse grid's points: 2·fine − coarse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import spsolve

FLOOR = 1e-12  # the smallest slope of v used in an iteration


@dataclass(frozen=True)
class Huggett:
    """The parameters of the library model `huggett` (walras/models/huggett.econ)."""

    gamma: float = 2.0
    rho: float = 0.05
    r: float = 0.03
    z_lo: float = 0.1
    z_hi: float = 0.2
    lam_lo: float = 1.5  # rate of leaving the low state
    lam_hi: float = 1.0  # rate of leaving the high state
    a_min: float = -0.15
    a_max: float = 2.0


def solve(p: Huggett, points: int, delta: float = 1000.0, tol: float = 1e-12, steps: int = 200):
    """(a, v, c): the grid of `points` points and v, c of shape (points, 2) (low, high state)."""
    a = np.linspace(p.a_min, p.a_max, points)
    da = a[1] - a[0]
    z = np.array([p.z_lo, p.z_hi])
    income = z[None, :] + p.r * a[:, None]  # consumption at zero saving
    marginal = income ** (-p.gamma)
    u = lambda c: c ** (1 - p.gamma) / (1 - p.gamma)  # noqa: E731
    v = u(income) / p.rho
    switches = sparse.bmat(
        [
            [-p.lam_lo * sparse.eye(points), p.lam_lo * sparse.eye(points)],
            [p.lam_hi * sparse.eye(points), -p.lam_hi * sparse.eye(points)],
        ]
    )
    for _ in range(steps):
        forward, backward = marginal.copy(), marginal.copy()  # the edges: zero saving
        # a slope ≤ 0 on the way (never at the fixed point, where v increases) means unbounded
        # consumption: floored, it is a large dissaving, upwinded like any other
        forward[:-1] = backward[1:] = np.maximum(np.diff(v, axis=0) / da, FLOOR)
        save_f = income - forward ** (-1 / p.gamma)
        save_b = income - backward ** (-1 / p.gamma)
        up, down = save_f > 0, (save_b < 0) & ~(save_f > 0)
        slope = np.where(up, forward, np.where(down, backward, marginal))
        c = slope ** (-1 / p.gamma)
        lower = -np.minimum(save_b, 0) / da * down  # coefficient on v(a − da)
        upper = np.maximum(save_f, 0) / da * up  # on v(a + da)
        blocks = [
            sparse.diags(
                [lower[1:, j], -(lower[:, j] + upper[:, j]), upper[:-1, j]], [-1, 0, 1]
            ).tocsc()
            for j in range(2)
        ]
        generator = sparse.block_diag(blocks) + switches
        system = (p.rho + 1 / delta) * sparse.eye(2 * points) - generator
        rhs = (u(c) + v / delta).ravel(order="F")
        new = spsolve(system.tocsc(), rhs).reshape((points, 2), order="F")
        change = np.abs(new - v).max()
        v = new
        if change < tol * np.abs(v).max():
            return a, v, c
    raise RuntimeError(f"the finite-difference iteration did not settle (last change {change:g})")


def extrapolated(p: Huggett, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, v, c) on the grid of `points` points, Richardson-extrapolated from it and the grid of
    2·points − 1 (half the step): 2·fine − coarse at the coarse points."""
    a, v, c = solve(p, points)
    _, v2, c2 = solve(p, 2 * points - 1)
    return a, 2 * v2[::2] - v, 2 * c2[::2] - c
