"""The collocation solver against closed forms, the ODE reference and a quadrature reference."""

import numpy as np
import pandas as pd
import pytest
from references import REFERENCES, BrusanLog, lucas_pd, lucas_r, two_trees_v

import walras
from walras.runtime import solvers
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import MAX_DEGREE, driver
from walras.runtime.solvers.collocation.start_values import interpolated
from walras.settings import Settings


@pytest.fixture(scope="module")
def brusan():
    compiled = walras.load("brusan_log").compile()
    solution = solvers.solve(compiled, Settings(method="collocation"), quiet=True)
    return compiled, solution, BrusanLog().solve()


def test_lucas_to_machine_precision():
    solution = walras.solve("lucas", method="collocation", degree=8)
    ds = solution.dataset
    assert solution.converged
    assert np.max(np.abs(ds["pd"].values - lucas_pd())) < 1e-12 * lucas_pd()
    assert np.max(np.abs(ds["r"].values - lucas_r())) < 1e-12
    assert ds.attrs["method"] == "collocation" and int(ds["degree"]) == 8


def test_brusan_log_free_boundary_and_prices(brusan):
    _, solution, ref = brusan
    assert solution.converged, solution.message
    ds = solution.dataset
    assert abs(float(ds["free_boundary_eta"]) - ref.eta_star) < 1e-8
    eta = np.concatenate(
        [np.linspace(1e-3, 1 - 1e-3, 2001), ref.eta_star + np.array([-1e-6, -1e-9, 1e-9, 1e-6])]
    )
    values = solution.evaluate(eta[:, None])
    assert np.max(np.abs(values["q"].values - ref.q(eta))) < 1e-8
    assert np.max(np.abs(values["psi"].values - ref.psi(eta))) < 1e-7
    assert np.all(values["psi"].values[eta > ref.eta_star + 1e-9] == pytest.approx(1.0, abs=1e-12))


def test_brusan_log_convergence_evidence(brusan):
    _, solution, _ = brusan
    ds = solution.dataset
    assert float(ds["residual_sup"].max()) < 1e-8
    for name in ("q", "psi"):
        decay = ds[f"chebyshev_{name}"].values  # (piece, degree)
        assert decay.shape == (2, 33)
        assert np.all(decay[:, -4:].max(axis=1) < 1e-10 * decay.max(axis=1))
    # the same layout as the neural solver: states as coordinates, every output, the history
    for name in ("q", "psi", "sigma_q", "mu_eta", "residual_capital", "loss"):
        assert name in ds
    assert ds["q"].dims == ("eta",) and ds["loss"].dims == ("step",)


def test_a_solve_from_two_pieces_goes_to_the_exact_stage_at_once(brusan, monkeypatch):
    """The error estimate's solve at another degree starts from the two-piece solution: it reads
    the active set off that start and solves the exact stage at once
    (`active_set.from_known`), ending where both stages end (the same start, the same
    equations) to rounding."""
    from walras.runtime.solvers.collocation import active_set

    compiled, solution, _ = brusan
    used, at_once = [], active_set.from_known

    def spy(*args):
        used.append(at_once(*args))
        return used[-1]

    monkeypatch.setattr(active_set, "from_known", spy)
    again = solvers.solve(compiled, Settings(method="collocation"), quiet=True)
    assert used and all(u is not None for u in used)
    monkeypatch.setattr(active_set, "from_known", lambda *a: None)
    both = solvers.solve(compiled, Settings(method="collocation"), quiet=True)
    for u in ("q", "psi"):
        assert np.array_equal(again.dataset[u].values, solution.dataset[u].values)
        scale = np.max(np.abs(both.dataset[u].values))
        assert np.max(np.abs(again.dataset[u].values - both.dataset[u].values)) < 1e-12 * scale
        assert again.errors[u] == pytest.approx(both.errors[u], rel=1e-6, abs=1e-15)


def test_homotopy_reaches_a_hard_parameter(brusan):
    compiled, _, _ = brusan
    params = {**compiled.params, "sigma": 0.07}
    walked = solvers.solve(
        compiled, Settings(method="collocation", homotopy="sigma=0.1", homotopy_steps=2), params
    )
    assert walked.converged, walked.message
    ref = BrusanLog(sigma=0.07).solve()
    assert abs(float(walked.dataset["free_boundary_eta"]) - ref.eta_star) < 1e-8
    eta = walked.dataset["eta"].values
    assert np.max(np.abs(walked.dataset["q"].values - ref.q(eta))) < 1e-8


@pytest.mark.slow  # the suite's time on two cores
def test_too_low_degree_is_raised(brusan):
    """Degree 16 cannot follow q to the tolerance: the solver raises the degree by half at a time
    until the coefficients decay, and reaches the reference."""
    compiled, _, ref = brusan
    solution = solvers.solve(compiled, Settings(method="collocation", degree=16))
    assert solution.converged, solution.message
    assert "raised the degree from 16 to 24" in solution.message
    assert "switches" not in solution.message  # a failed attempt's notes are not the result's
    eta = solution.dataset["eta"].values
    assert np.max(np.abs(solution.dataset["q"].values - ref.q(eta))) < 1e-8


def test_raised_degrees_stay_within_what_the_setting_allows():
    """One state may have 4095 coefficients, but `degree` allows 1024: a raise by half from 819
    (to 1228) stops at 1024, which the settings accept, not at a value error."""
    problem = Problem.build(walras.load("lucas").compile(), None)
    systems = driver.Systems(problem, "tensor")
    assert systems.degree(819 + 819 // 2, "up") == MAX_DEGREE == 1024
    assert Settings(method="collocation").replace(degree=systems.degree(5000)).degree == 1024
    assert systems.degree(300) == 300


def test_no_equilibrium_is_reported():
    # rho + (gamma - 1) mu - gamma (gamma - 1) sigma^2 / 2 < 0: the price would be infinite
    solution = walras.solve(
        walras.load("lucas", rho=0.01, gamma=0.5, mu=0.05), method="collocation", degree=8
    )
    assert not solution.converged
    assert "no equilibrium" in solution.message
    assert "sum of squared residuals" in solution.message


def test_bad_homotopy_is_a_user_error(brusan):
    compiled, _, _ = brusan
    with pytest.raises(walras.EconError, match="homotopy"):
        solvers.solve(compiled, Settings(method="collocation", homotopy="sigm=0.1"))


@pytest.mark.slow  # the suite's time on two cores
def test_two_state_two_trees():
    solution = walras.solve("two_trees", method="collocation", degree=16)
    assert solution.converged, solution.message
    s = np.array([0.02, 0.1, 0.3, 0.7, 0.95])
    reference = np.array([two_trees_v(si) for si in s])
    for y in (0.6, 1.7):
        values = solution.evaluate(np.stack([s, np.full_like(s, y)], -1))["v"].values
        assert np.max(np.abs(values - reference)) < 1e-8
    decay = solution.dataset["chebyshev_v"].values[0]
    assert decay[-2:].max() < 1e-8 * decay.max()


@pytest.mark.slow
def test_basak_cuoco_cuts_the_singular_edge():
    """γ = 5: the experts' consumption-wealth ratio diverges like a power of η at 0, so the whole
    [0, 1] fails and the edge is cut, with power laws below the cut. The result converges
    spectrally, solves the independently hand-written equation-level model, and its estimated
    error (a solve at another degree, and the cut moved tenfold) bounds its error against the
    finite-difference reference."""
    solution = walras.solve(
        "basak_cuoco", method="collocation", degree=48, homotopy="gamma=1", edge=1e-4
    )
    ds = solution.dataset
    assert "zero edges cut at 0.0001" in solution.message
    for u in ("omega_expert", "omega_household"):
        decay = ds[f"chebyshev_{u}"].values[0]
        assert decay[-4:].max() < 1e-8 * decay.max()
    by_hand = walras.load("basak_cuoco_equations").compile()
    eta = np.linspace(0.01, 0.99, 99)
    x = np.stack([eta, np.full_like(eta, 1.3)], -1)
    fields = {
        "omega_e": solution.fields["omega_expert"],
        "omega_h": solution.fields["omega_household"],
    }
    residuals = by_hand.residuals(fields, by_hand.params, x)
    assert max(np.max(np.abs(r)) for r in residuals.values()) < 1e-7
    # where the cut stops mattering: a tenfold move changes ω_expert by < 1e-5 above η = 0.2
    change = ds["edge_change_omega_expert"].sel(eta_expert=slice(0.2, None)).values
    assert np.nanmax(change) < 1e-5
    reference = pd.read_csv(REFERENCES / "bc_gamma5_ref.csv")
    at = solution.evaluate(reference.eta.values)
    for u in ("omega_expert", "omega_household"):  # relative, as the estimate, to the largest
        error = np.abs(at[u].values - reference[u].values).max()  # size where results are given
        assert error / np.nanmax(np.abs(ds[u].values)) <= solution.errors[u]
    assert solution.converged == (max(solution.errors.values()) <= 1e-4)


def test_basak_cuoco_finds_its_degree_and_cut_without_detours():
    """basak_cuoco (γ = 5) with defaults. At degree 32 the cut walk holds at the nodes but not
    off them, its coefficients not decayed: the degree fell short, not the start, so the degree
    is raised before any walk from γ = 1 (which ended where the direct walk did). At degree 48
    the cut walks down to 1e-5 and cannot move to 1e-6, but the cuts 1e-3, 1e-4 and 1e-5 show
    it already leaves less than tol_error (their changes shrink 7.5-fold a decade), so no
    higher degree is tried to move it (72 and 108 were, and neither moved it): a warm solve in
    7 s instead of 12. The solve converges and its estimate bounds its error against the
    finite-difference reference."""
    solution = walras.solve("basak_cuoco", method="collocation", quiet=True)
    assert solution.converged, solution.message
    assert "so it stays at 1e-05" in solution.message
    assert "did not help" not in solution.message
    assert "walked from gamma" not in solution.message
    assert int(solution.dataset["degree"]) == 48
    reference = pd.read_csv(REFERENCES / "bc_gamma5_ref.csv")
    at = solution.evaluate(reference.eta.values)
    for u in ("omega_expert", "omega_household"):
        error = np.abs(at[u].values - reference[u].values).max()
        assert error / np.nanmax(np.abs(solution.dataset[u].values)) <= solution.errors[u]


@pytest.mark.slow  # the suite's time on two cores
def test_risk_sharing_meets_the_bold_agents_lucas_economy():
    """Complete markets, γ = 2 and 8. The bold agent is levered as her share η → 0, so the nodes
    crowd towards that edge; where she holds all wealth (η = 1) the economy is the Lucas economy
    with γ = 2: pd and r there within 1e-8 of its closed form (3.2e-12 and 2.2e-13 measured), and
    within the solver's own estimate (3.1e-11; 1.1e-6 when the edge was cut at 1e-5, with pd and
    r 2.6e-9 and 1.7e-10 off)."""
    solution = walras.solve("risk_sharing", method="collocation")
    assert solution.converged, solution.message
    at_one = solution.evaluate({"eta_bold": np.array([1.0])})
    estimate = max(solution.errors.values())
    pd_error = abs(float(at_one["pd"][0]) / lucas_pd(gamma=2) - 1)
    r_error = abs(float(at_one["r"][0]) - lucas_r(gamma=2))
    assert pd_error < min(1e-8, estimate)
    assert r_error < min(1e-8, estimate)


def test_below_a_cut_edge_the_expansion_is_a_power_law():
    """Along a log axis, below the box the expansion is its edge value plus the edge slope in
    log x, in value and in derivative (numpy's Chebyshev series gives the edge value and slope)."""
    import jax
    import jax.numpy as jnp
    from numpy.polynomial import chebyshev as C

    from walras.runtime.solvers.collocation.chebyshev import Chebyshev

    coef = np.array([0.3, -0.7, 0.2, 0.05])
    lo, hi = 1e-3, 1.0
    u = Chebyshev(jnp.asarray(coef), jnp.asarray([lo]), jnp.asarray([hi]), log=(True,))
    edge, slope = C.chebval(-1.0, coef), C.chebval(-1.0, C.chebder(coef))
    dz_dlogx = 2 / (np.log(hi) - np.log(lo))
    for x in (1e-5, 1e-4, 5e-4):
        z = -1 + dz_dlogx * (np.log(x) - np.log(lo))
        value, dvalue = jax.jvp(u, (jnp.asarray([x]),), (jnp.asarray([1.0]),))
        assert abs(float(value) - (edge + slope * (z + 1))) < 1e-12
        assert abs(float(dvalue) / (slope * dz_dlogx / x) - 1) < 1e-12


def test_systems_at_other_cuts_share_their_compiled_functions():
    """A system whose edge is cut elsewhere reuses another's traced residual and evaluation (the
    cut is an argument, not a constant): its residuals and evidence are those of a system built
    alone at that cut, and differ from the other cut's."""
    import jax
    import jax.numpy as jnp

    from walras.runtime.solvers.base import Problem
    from walras.runtime.solvers.collocation.problem import System

    compiled = walras.load("basak_cuoco").compile()
    problem = Problem.build(compiled)
    first = System(problem, 8, 1, 1e-3)
    shared, alone = System(problem, 8, 1, 1e-5, shared=first), System(problem, 8, 1, 1e-5)
    assert shared.residual == first.residual and alone.residual != first.residual
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    theta = interpolated(alone, lambda u, y: 0.1 + y[:, 0])
    found = shared.residual(theta, params, shared.plan({}))
    built = alone.residual(theta, params, alone.plan({}))
    other = first.residual(theta, params, first.plan({}))
    assert np.max(np.abs(found - built)) <= 1e-14 * np.max(np.abs(built))
    assert np.max(np.abs(other - built)) > 1e-3 * np.max(np.abs(built))
    for a, b in zip(
        jax.tree.leaves(shared.evaluate(theta, params)),
        jax.tree.leaves(alone.evaluate(theta, params)),
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-14, atol=1e-300)


def test_the_cut_error_sums_the_decades_below_the_cut():
    """A solution that a cut at ε shifts by C·ε^p·g(x): the error the cut leaves is C·ε^p·g,
    recovered exactly from the changes of two tenfold moves (and infinite when they grow)."""
    import xarray as xr

    from walras.runtime.solvers.collocation.cut_edge import cut_error

    x = np.linspace(0.01, 1, 50)
    g, C, p, eps = np.exp(-5 * x), 0.3, 0.8, 1e-5
    shift = lambda e: C * e**p * g  # noqa: E731
    change = xr.DataArray(shift(10 * eps) - shift(eps), dims=["x"])
    further = xr.DataArray(shift(100 * eps) - shift(10 * eps), dims=["x"])
    error, q = cut_error(change, further, noise=0.0)
    assert q == pytest.approx(10**p, rel=1e-12)
    np.testing.assert_allclose(error.values, shift(eps), rtol=1e-10)
    growing, _ = cut_error(further, change, noise=0.0)
    assert np.isinf(growing.values).all()


def test_a_stalled_newton_suggests_a_guess_for_the_unknowns_without_one():
    """Newton stalled (residuals far from 0 even at the nodes): the advice names the unknowns
    that start from a constant for lack of a `guess` (Bolton-Chen-Wang without one: p' = 0 at
    the start, investment infinite, a sum of squares of 2.6e25), and says nothing of guesses
    when every unknown has one."""
    from types import SimpleNamespace

    from walras.runtime.solvers.collocation.evidence import Evidence
    from walras.runtime.solvers.collocation.report import _advice

    ev = Evidence(
        {"hjb": 1.0},
        {"hjb": np.zeros(1)},
        {"hjb": 1.0},
        np.zeros((1, 0), bool),
        np.zeros((1, 1)),
        [],
    )
    settings = SimpleNamespace(residual_tol=1e-8)
    (advice,) = _advice(ev, {}, [0.9], settings, ["p", "m"])
    assert advice.startswith("Newton stalled")
    assert "a guess for p, m (`guess p = ...`" in advice
    (advice,) = _advice(ev, {}, [0.9], settings, [])
    assert "guess" not in advice
    slow = {"pH": np.array([[1.0, 1e-2, 1e-6, 1e-6, 1e-6]])}  # last/first 1e-6
    small = Evidence({"hjb": 1e-4}, {"hjb": np.zeros(1)}, {"hjb": 1e-8}, ev.binds, ev.x, [])
    (advice,) = _advice(small, slow, [1e-20], settings, [])
    assert advice.endswith("have not decayed (last/first 1.0e-06): raise the degree")
    (advice,) = _advice(small, slow, [1e-20], settings, [], exhausted=True)
    assert "higher degrees did not help" in advice and "raise the degree" not in advice


HADDAD = """model haddad "Haddad's concentrated ownership, written by a new user from EconPDEs.jl"
parameter mu_bar = 0.018, v_bar = 0.00052
parameter kappa_mu = 0.3, nu_mu = 0.456, kappa_v = 0.012, nu_v = 0.00472
parameter alpha_bar = 1.2, lambda = 0.018, rho = 0.0132, gamma = 10, psi = 1.5
state mu in [-0.0234841, 0.0594841]
state v in [0, 0.00521684]
shock Z_mu, Z_v
process mu: drift = kappa_mu*(mu_bar - mu), vol[Z_mu] = nu_mu*sqrt(v)
process v: drift = kappa_v*(v_bar - v), vol[Z_v] = nu_v*sqrt(v)
unknown p(mu, v) > 0
let sigma_p2 = (vol(p, Z_mu)/p)^2 + (vol(p, Z_v)/p)^2
let alpha_star = max(0, min(1, alpha_bar - sqrt(lambda*alpha_bar/(0.5*gamma*(v + sigma_p2)))))
let excess = 1/p - rho + (1 - 1/psi)*(mu - 0.5*gamma*v*(1 - (alpha_star - 1)^2)) + drift(p)/p
    + (0.5*(1/psi - gamma)/(1 - 1/psi) + 0.5*gamma*(1 - 1/psi)*(alpha_star - 1)^2)*sigma_p2
equation pricing: excess = 0
boundary at v = 0: excess = 0
boundary at mu = -0.0234841: d(p, mu) = 0
boundary at mu = 0.0594841: d(p, mu) = 0
boundary at v = 0.00521684: d(p, v) = 0
"""


def test_a_solve_that_stalls_at_its_start_is_not_converged():
    """From the constant start p = 1 the square root's derivative at v = 0 is not finite, and
    every Levenberg-Marquardt solve stalls where it starts (sum of squares 2.0; the new user's
    finite differences put p between 95 and 126). The coarse start's solves ended there 'with no
    further decrease', which had counted as reaching the collocation solution: exit 0 with an
    estimate of 3e-15 and p = 1 everywhere. Now that is no solution, and the message says so."""
    solution = walras.solve(walras.load(HADDAD), method="collocation", quiet=True)
    assert not solution.converged
    assert "Newton stalled" in solution.message
