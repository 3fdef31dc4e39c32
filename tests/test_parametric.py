"""Parametric solutions (parameters solved over a range) and calibration against closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from references import lucas_pd, lucas_r

import walras
from walras.cli import main
from walras.grammar.diagnostics import EconError
from walras.runtime import calibrate as cal
from walras.runtime.family import Family, lobatto, weights


@pytest.fixture(scope="module")
def lucas_over_gamma():
    return walras.solve("lucas_economy", over={"gamma": (2, 8)}, method="collocation")


@pytest.fixture(scope="module")
def lucas_over_two():
    over = {"gamma": (2, 8), "rho": (0.02, 0.08)}
    return walras.solve("lucas_economy", over=over, method="collocation", degree=16)


def test_parametric_lucas_matches_the_closed_form_at_random_gamma(lucas_over_gamma):
    sol = lucas_over_gamma
    assert sol.converged
    gamma = np.random.default_rng(16).uniform(2, 8, 20)
    ds = sol.evaluate(gamma)
    np.testing.assert_allclose(ds.pd.values, lucas_pd(gamma=gamma), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ds.r.values, lucas_r(gamma=gamma), rtol=0, atol=1e-8)
    assert "gamma" in sol.dataset.dims and "gamma" not in sol.params
    assert sol.dataset.attrs["parametric"] == '["gamma"]'


@pytest.mark.slow
def test_parametric_equation_level_lucas_over_gamma():
    """The checked model gets gamma as a state without dynamics: pd(y, gamma); no new warning."""
    model = walras.load("lucas")
    over = model.solved_over(gamma=(2, 8))
    assert over.checked.unknowns[0].args == ("y", "gamma")
    assert "gamma" not in over.params and "gamma" not in over.checked.processes
    assert [w.code for w in over.warnings] == [w.code for w in model.warnings]
    sol = walras.solve(over, method="collocation", degree=10)
    gamma = np.random.default_rng(1).uniform(2, 8, 20)
    y = np.random.default_rng(2).uniform(0.5, 2.0, 20)
    pd = sol.evaluate(np.c_[y, gamma]).pd.values
    np.testing.assert_allclose(pd, lucas_pd(gamma=gamma), rtol=0, atol=1e-5)


def test_two_parameters_and_calibration_recovers_them(lucas_over_two):
    sol = lucas_over_two
    gamma, rho = np.random.default_rng(3).uniform((2, 0.02), (8, 0.08), (20, 2)).T
    ds = sol.evaluate(np.c_[gamma, rho])
    np.testing.assert_allclose(ds.pd.values, lucas_pd(gamma=gamma, rho=rho), atol=1e-5)
    truth = {"gamma": 4.3, "rho": 0.035}
    targets = cal._tables(
        {
            "parameters": {"gamma": [2, 8], "rho": [0.02, 0.08]},
            "targets": {"pd": lucas_pd(**truth), "r": lucas_r(**truth)},
        },
        None,
    )
    fit = cal.calibrate(sol, targets)
    assert fit.mode == "point"
    for name, value in truth.items():
        assert abs(fit.parameters[name] - value) < 1e-4 * value
    # sensitivity: d r / d gamma = mu - (2 gamma + 1) sigma^2 / 2, d r / d rho = 1
    r_gamma = 0.02 - (2 * 4.3 + 1) * 0.05**2 / 2
    np.testing.assert_allclose(fit.jacobian[1], [r_gamma, 1.0], rtol=1e-6)
    h = 1e-6
    pd_gamma = (lucas_pd(gamma=4.3 + h, rho=0.035) - lucas_pd(gamma=4.3 - h, rho=0.035)) / 2 / h
    np.testing.assert_allclose(fit.jacobian[0, 0], pd_gamma, rtol=1e-5)


def test_bad_ranges_are_told(capsys):
    with pytest.raises(EconError, match="E138.*'gama' is not a parameter"):
        walras.load("lucas").solved_over(gama=(2, 8))
    with pytest.raises(EconError, match="E138.*must be finite and not empty"):
        walras.load("lucas").solved_over(gamma=(8, 2))
    assert main(["solve", "lucas", "--over", "gamma=3"]) == 1
    assert "E138" in capsys.readouterr().err


def test_targets_file_errors(tmp_path, capsys):
    missing = tmp_path / "none.toml"
    with pytest.raises(EconError, match="E139.*cannot read"):
        cal.read_targets(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets]\npd = 1\nr = \n")
    with pytest.raises(EconError) as e:
        cal.read_targets(bad)
    assert "E139" in str(e.value) and "bad.toml:3:5" in str(e.value)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[parameters]\ngamma = [2, 8]\n[targets]\npd = 20\nrr = 0.02\n")
    assert main(["calibrate", "lucas_economy", "--target", str(wrong)]) == 1
    text = capsys.readouterr().err
    assert "E139" in text and "wrong.toml:5:1" in text and "did you mean 'r'" in text
    odd = tmp_path / "odd.toml"
    odd.write_text("[parameters]\ngamma = 2\n[targets]\npd = 'x'\n")
    with pytest.raises(EconError) as e:
        cal.read_targets(odd)
    assert str(e.value).count("E139") == 3  # the range, the value, no [parameters] left


OU_MEAN = """model ou "Ornstein-Uhlenbeck around m"
parameter kappa = 0.5, s = 0.2, m = 0.1
state x in [-1.5, 1.5]
shock Z
process x: drift = kappa*(m - x), vol[Z] = s
unknown f(x)
equation level: f = x
"""


def test_calibration_to_stationary_means():
    """The stationary mean of an OU state is m (a Gaussian of sd 0.2, truncated seven sd away
    from the mean): calibration to the mean of x recovers m, with d mean / d m = 1."""
    model = walras.load(OU_MEAN).solved_over(m=(-0.2, 0.2))
    sol = walras.solve(model, method="collocation", degree=4)
    targets = cal._tables({"parameters": {"m": [-0.2, 0.2]}, "targets": {"x": 0.07}}, None)
    fit = cal.calibrate(sol, targets)
    assert fit.mode == "stationary"
    assert abs(fit.parameters["m"] - 0.07) < 1e-4 * 0.07
    np.testing.assert_allclose(fit.jacobian, [[1.0]], rtol=1e-4)


@pytest.mark.slow  # nine to seventeen one-state solves, and five reference solves
def test_parametric_brusan_log_over_sigma_matches_separate_solves():
    """The kink eta*(sigma) moves with sigma: the family (one-state solves at Chebyshev-Lobatto
    nodes of sigma, interpolated at fixed distance to the kink) gives q and psi within 1e-4 of
    separate collocation solves at five random sigma, and eta* within 1e-4 of theirs."""
    family = walras.solve("brusan_log", over={"sigma": (0.05, 0.15)}, method="collocation")
    assert family.converged, family.message
    eta = np.linspace(0.01, 0.99, 99)
    for sigma in np.random.default_rng(1).uniform(0.05, 0.15, 5):
        ref = walras.solve(walras.load("brusan_log", sigma=float(sigma)), method="collocation")
        assert ref.converged, ref.message
        got = family.evaluate(np.c_[eta, np.full_like(eta, sigma)])
        want = ref.evaluate(eta)
        for u in ("q", "psi"):
            np.testing.assert_allclose(got[u].values, want[u].values, rtol=0, atol=1e-4)
        q = family.fields["q"]  # the kink is interpolated in sigma like the unknowns
        kink = float(weights(q.nodes, np.array([sigma])) @ q.kinks)
        assert abs(kink - float(ref.extra["free_boundary_eta"])) < 1e-4


def test_family_interpolates_at_fixed_distance_to_a_moving_kink():
    """Members max(x - k_j, 0) with kinks k(θ) = 0.2 + 0.5 θ at the Lobatto nodes of θ: read at
    fixed straightened coordinate the family equals max(x - k(θ), 0) between the nodes (to
    rounding: each side is linear in θ there); at fixed x, across the kink, it is not."""
    nodes = lobatto(0.0, 1.0, 8)
    kinks = 0.2 + 0.5 * nodes

    def member(k):
        return lambda x: jnp.maximum(x[0] - k, 0.0)

    members = tuple(member(k) for k in kinks)
    fam = Family(members, (tuple(nodes),), jnp.asarray(kinks), 0.0, 1.0)
    rng = np.random.default_rng(0)
    x, theta = rng.uniform(0, 1, (2, 200))
    got = np.asarray(jax.vmap(fam)(jnp.asarray(np.c_[x, theta])))
    np.testing.assert_allclose(got, np.maximum(x - 0.2 - 0.5 * theta, 0), atol=1e-13)
    flat = Family(members, (tuple(nodes),), None, 0.0, 1.0)
    got = np.asarray(jax.vmap(flat)(jnp.asarray(np.c_[x, theta])))
    assert np.abs(got - np.maximum(x - 0.2 - 0.5 * theta, 0)).max() > 1e-3
    # Lagrange weights reproduce a polynomial of the degree exactly
    w = weights((tuple(nodes),), jnp.array([0.37]))
    assert float(w @ nodes**8) == pytest.approx(0.37**8, abs=1e-14)
