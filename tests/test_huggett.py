"""The Huggett consumption-saving problem with two income states (walras/models/huggett.econ)
against the implicit upwind finite-difference reference of Achdou et al. (`huggett_reference`).

The reference, measured (max over the grid of 501 points on [a_min, a_max] = [−0.15, 2], the
model's parameters): the plain scheme is first order, its successive differences halve with the
step (v: 0.151, 0.079, 0.041, 0.021, 0.011, 0.0054 from 1001 to 32001 points; c: 1.0e-3 ...
4.5e-5); Richardson-extrapolated pairs converge like h^1.5 (the square-root behaviour of
consumption at the borrowing limit), their successive differences 8.5e-3, 3.0e-3, 1.1e-3,
3.6e-4, 1.2e-4 in v (|v| ≤ 134) and 2.0e-4, 7.9e-5, 3.4e-5, 1.1e-5, 3.8e-6 in c (c ≤ 0.29) from
2001 to 32001 points. The pair (4001, 8001) used here is then within about 1e-3 of the limit in v
(7e-6 relative to max |v|) and 2e-5 in c (7e-5 relative to max c).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from huggett_reference import Huggett, extrapolated, solve

import walras

DEGREE = 40  # of the Chebyshev fits (in x = sqrt(a − a_min)) that carry the reference into walras


@pytest.fixture(scope="module")
def reference():
    return extrapolated(Huggett(), 4001)


def test_the_reference_converges_under_refinement():
    """First order, halving differences; the state constraint holds exactly at a_min."""
    p = Huggett()
    grids = [solve(p, n) for n in (501, 1001, 2001)]
    c_gaps = [np.abs(fine[2][::2] - coarse[2]).max() for coarse, fine in zip(grids, grids[1:])]
    assert 1.6 < c_gaps[0] / c_gaps[1] < 2.4
    a, _, c = grids[-1]
    assert c[0, 0] == pytest.approx(p.z_lo + p.r * p.a_min, rel=1e-12)
    assert c[0, 1] < p.z_hi + p.r * p.a_min  # the high state saves at the limit


def _fields(reference, p: Huggett):
    """The reference as walras fields of (x, s): Chebyshev fits in x, one per income state."""
    a, v, c = reference
    x = np.sqrt(a - p.a_min)
    t = 2 * x / x[-1] - 1
    fits = {
        name: jnp.asarray(
            np.stack([np.polynomial.chebyshev.chebfit(t, f[:, s], DEGREE) for s in (0, 1)])
        )
        for name, f in (("c", c), ("v", v))
    }

    def field(coef):
        def f(point):
            u = 2 * point[0] / x[-1] - 1
            basis = jnp.cos(jnp.arange(DEGREE + 1) * jnp.arccos(jnp.clip(u, -1, 1)))
            return jnp.where(point[1] < 0.5, coef[0] @ basis, coef[1] @ basis)

        return f

    return {name: field(coef) for name, coef in fits.items()}


def test_the_model_equations_vanish_at_the_reference(reference):
    """walras's own residuals of huggett.econ, evaluated at the finite-difference solution: the
    Euler equation and the envelope form of the HJB, both over marginal utility, and the state
    constraint. The Euler equation's terms are of the size of x·ρ, the HJB's of c (measured:
    3.6e-6 and 1.8e-7, 5e-5 of x·ρ and 6e-7 of max c, the reference's accuracy in c' and c)."""
    p = Huggett()
    model = walras.load("huggett").compile()
    assert {k: model.params[k] for k in vars(p)} == vars(p)
    params = {k: jnp.asarray(v) for k, v in model.params.items()}
    fields = _fields(reference, p)
    # from a = a_min + 0.01 (x = 0.1) to just below a_max (where a fitted series' derivative
    # is taken at the edge of its interval)
    xs = np.linspace(0.1, 0.99 * np.sqrt(p.a_max - p.a_min), 30)
    points = jnp.asarray([[x, s] for x in xs for s in (0.0, 1.0)])
    residuals = model.residuals(fields, params, points)
    assert np.abs(np.asarray(residuals["euler"])).max() < 1e-4 * p.rho * xs.max()
    assert np.abs(np.asarray(residuals["hjb"])).max() < 1e-5 * reference[2].max()


@pytest.mark.slow
def test_the_library_model_solves_to_the_reference_with_defaults():
    """`walras.solve("huggett")`, default settings: the file's `guess` statements (c = z + r a +
    0.1 x − 0.05 s, dissaving near the limit in the low state and saving there in the high one;
    v = u(c)/ρ) and its `solver method = collocation`. Converges (degree 48, 1.5 to 4 minutes on
    two shared cores) to the reference: c within 1e-4 absolutely and v within 1e-4 of max |v| on
    the whole domain, the borrowing limit included (measured: c 3.6e-5, v 4.6e-6 of max |v|, near
    the reference's own error). From a constant start Newton does not find it (the docs page says
    why)."""
    p = Huggett()
    a, v_ref, c_ref = extrapolated(p, 4001)
    solution = walras.solve("huggett")
    assert solution.converged, solution.message
    x = np.sqrt(a - p.a_min)
    for s in (0, 1):
        found = solution.evaluate({"x": x, "s": np.array([float(s)])})
        assert np.abs(found["c"].values.ravel() - c_ref[:, s]).max() < 1e-4
        assert np.abs(found["v"].values.ravel() - v_ref[:, s]).max() < 1e-4 * np.abs(v_ref).max()


@pytest.mark.slow
def test_a_high_state_that_saves_at_the_top_is_refused():
    """γ = 5 on the file's domain: by the reference on the wider [a_min, 6] the high state still
    saves at a = 2 (1.2e-2), so with nothing imposed at a_max = 2 the equations' solution is a
    branch whose paths leave the domain (the upwind scheme on [a_min, 2] hits its floor, c = 251,
    at the top). walras solves the equations there and refuses, naming the edge (its estimate
    3.3e-9; the same parameters at a_max = 6 converge to the reference: the robustness matrix)."""
    wide = Huggett(gamma=5, a_max=6.0)
    a, _, c = extrapolated(wide, 4001)
    at = np.searchsorted(a, 2.0)
    assert wide.z_hi + wide.r * a[at] - c[at, 1] > 1e-2
    solution = walras.solve(walras.load("huggett", gamma=5))
    assert not solution.converged
    assert "points out of the domain at its upper edge" in solution.message


@pytest.mark.slow
def test_high_risk_aversion_on_a_wider_domain_converges_to_where_the_reference_tends():
    """γ = 8 (a_max = 20, where the high state no longer saves at the top): with the equations
    over marginal utility (1e8 at the limit) collocation converges with defaults, and its
    distance to the upwind reference shrinks as the reference refines (first order in its step,
    its Richardson pairs like h^1.5 at the limit), at least 1.6-fold a doubling of the grid, and
    the limit the distances tend to (Aitken's extrapolation of the three) is below a quarter of
    the last: what is left is the reference's. Measured: exit 0 at degree 108, estimate
    2.5e-13; the distance (relative to the largest c, v) in c 1.2e-4, 5.7e-5, 2.7e-5 and in v
    1.0e-3, 4.0e-4, 1.6e-4 at the pairs of 16001, 32001, 64001 points."""
    p = Huggett(gamma=8, a_max=20.0)
    solution = walras.solve(walras.load("huggett", gamma=8, a_max=20))
    assert solution.converged, solution.message
    assert max(solution.errors.values()) < 1e-10
    distances = []
    for n in (16001, 32001, 64001):
        a, v_ref, c_ref = extrapolated(p, n)
        x = np.sqrt(a - p.a_min)
        found = [solution.evaluate({"x": x, "s": np.array([float(s)])}) for s in (0, 1)]
        c = np.stack([f["c"].values.ravel() for f in found], 1)
        v = np.stack([f["v"].values.ravel() for f in found], 1)
        distances.append(
            (np.abs(c - c_ref).max() / c_ref.max(), np.abs(v - v_ref).max() / np.abs(v_ref).max())
        )
    for coarse, fine in zip(distances, distances[1:]):
        assert fine[0] < coarse[0] / 1.6 and fine[1] < coarse[1] / 1.6
    for d1, d2, d3 in zip(*distances):
        limit = d3 - (d3 - d2) ** 2 / ((d3 - d2) - (d2 - d1))
        assert abs(limit) < d3 / 4
