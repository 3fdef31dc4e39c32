"""The Huggett consumption-saving problem with two income states (walras/models/huggett.econ)
against its solution by ODEs in consumption (`huggett_reference.shooting`: the Euler equations
from the limit, a boundary value problem to where the high state turns from saving to
dissaving, and on from there), which the implicit upwind finite-difference scheme of Achdou et
al. (`huggett_reference.solve`, written independently) converges to at first order.

The shooting solution does not depend on where its pieces leave their singular points (from
1e-6 or 4e-6 off them: c 4.3e-11 of max c, v 2.2e-13 of max |v| apart on 20,001 points and
200 next to a_min; across the robustness matrix's variants and γ = 8, 1e-10 at most), so its
accuracy is about 1e-10.
The upwind scheme is within 2.2e-3 of it in c and v (v relative to max |v|) at 501 points and
3.4e-4 at 4001, the distance falling by 1.8 to 2.0 a doubling.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from huggett_reference import Huggett, distances, shooting, solve

import walras

DEGREE = 40  # of the Chebyshev fits (in x = sqrt(a − a_min)) that carry the reference into walras


@pytest.fixture(scope="module")
def reference():
    p = Huggett()
    a = np.linspace(p.a_min, p.a_max, 4001)
    return (a, *shooting(p)(a))


def test_the_upwind_scheme_converges_to_the_shooting_solution(reference):
    """The two references agree: the upwind scheme's distance to the shooting solution (c, and
    v relative to max |v|) falls by 1.6 to 2.4 with each halving of its step, from 2.2e-3 at
    501 points (first order); the state constraint holds exactly at a_min in both, and the
    high state saves there."""
    p = Huggett()
    ref = shooting(p)
    gaps = []
    for n in (501, 1001, 2001):
        a, v, c = solve(p, n)
        v_ref, c_ref = ref(a)
        gaps.append([np.abs(c - c_ref).max(), np.abs(v - v_ref).max() / np.abs(v_ref).max()])
    for coarse, fine in zip(gaps, gaps[1:]):
        assert all(1.6 < g / h < 2.4 for g, h in zip(coarse, fine))
    assert max(gaps[0]) < 3e-3
    _, v_ref, c_ref = reference
    assert c[0, 0] == pytest.approx(p.z_lo + p.r * p.a_min, rel=1e-12)
    assert c_ref[0, 0] == pytest.approx(p.z_lo + p.r * p.a_min, rel=1e-12)
    assert c_ref[0, 1] < p.z_hi + p.r * p.a_min


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
    """walras's own residuals of huggett.econ, evaluated at the shooting solution (fitted by
    Chebyshev series of degree 40): the Euler equation and the envelope form of the HJB, both
    over marginal utility. The Euler equation's terms are of the size of x·ρ, the HJB's of c
    (measured: 8.1e-11 of x·ρ and 9.1e-13 of max c, the fits' accuracy; at the upwind scheme's
    solution of 4001 points, Richardson-extrapolated, 5e-5 and 6e-7)."""
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
    assert np.abs(np.asarray(residuals["euler"])).max() < 1e-9 * p.rho * xs.max()
    assert np.abs(np.asarray(residuals["hjb"])).max() < 1e-11 * reference[2].max()


@pytest.mark.slow
def test_the_library_model_solves_to_the_reference_with_defaults():
    """`walras.solve("huggett")`, default settings: the file's `guess` statements (c = z + r a +
    0.1 x − 0.05 s, dissaving near the limit in the low state and saving there in the high one;
    v = u(c)/ρ) and its `solver method = collocation`. Converges to the shooting solution on
    the whole domain, the borrowing limit included, within ten times its estimate and the
    reference's 1e-9 (measured: c 8e-13 of max c, v 1.6e-13 of max |v|; estimate 3.3e-13).
    From a constant start Newton does not find it (the docs page says why)."""
    solution = walras.solve("huggett")
    assert solution.converged, solution.message
    for name, gap in distances(solution, Huggett()).items():
        assert gap <= 10 * solution.errors[name] + 1e-9


@pytest.mark.slow
def test_a_high_state_that_saves_at_the_top_is_refused():
    """γ = 5 on the file's domain: by the reference on the wider [a_min, 6] the high state still
    saves at a = 2 (1.2e-2), so with nothing imposed at a_max = 2 the equations' solution is a
    branch whose paths leave the domain (the upwind scheme on [a_min, 2] hits its floor, c = 251,
    at the top). walras solves the equations there and refuses, naming the edge (its estimate
    3.3e-9; the same parameters at a_max = 6 converge to the reference: the robustness matrix)."""
    wide = Huggett(gamma=5, a_max=6.0)
    _, c = shooting(wide)(np.array([2.0]))
    assert wide.z_hi + wide.r * 2.0 - c[0, 1] > 1e-2
    solution = walras.solve(walras.load("huggett", gamma=5))
    assert not solution.converged
    assert "points out of the domain at its upper edge" in solution.message


@pytest.mark.slow
def test_high_risk_aversion_on_a_wider_domain_converges_to_the_shooting_solution():
    """γ = 8 (a_max = 20, where the high state no longer saves at the top): with the equations
    over marginal utility (1e8 at the limit) collocation converges with defaults to the
    shooting solution: c within ten times its estimate and the reference's 1e-9 (measured
    6.2e-12, estimate 1.2e-12), v within 2e-9 of max |v| (measured 7.6e-10 at a_min, a relative
    offset of v that its estimate, the truncation's 4e-15, does not see: the HJB over u'(c)
    holds there to 1e-12, and v enters it times c^γ ~ 1e-8, so v is not pinned further). The
    upwind scheme's Richardson pair of 16001 points is 1.2e-4 of max c from it."""
    solution = walras.solve(walras.load("huggett", gamma=8, a_max=20))
    assert solution.converged, solution.message
    gaps = distances(solution, Huggett(gamma=8, a_max=20.0))
    assert gaps["c"] <= 10 * solution.errors["c"] + 1e-9
    assert gaps["v"] <= 2e-9
