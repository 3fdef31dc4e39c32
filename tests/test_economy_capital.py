"""Production economies (capital, investment, Tobin's q) against closed forms, the hand-written
brusan_log and its ODE reference."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from references import BrusanLog

import walras
from walras.api import LIBRARY
from walras.grammar.diagnostics import EconError
from walras.grammar.unparse import unparse

jax.config.update("jax_enable_x64", True)

AK = """model ak "one log agent holding capital"
parameter phi = {phi}, a = {a}, rho = {rho}, delta = 0.03, sigma = 0.1
shock Z
capital k: investment = log(phi*iota + 1)/phi, depreciation = delta, vol[Z] = sigma*k
asset claim: capital = k, supply = 1
agent owner: utility = log, discount = rho, trades = [claim], productivity = a
"""


def scalar(ds, name):
    return float(np.asarray(ds[name]))


@pytest.mark.parametrize("phi, a, rho", [(10.0, 0.1, 0.05), (2.0, 0.2, 0.03), (25.0, 0.08, 0.04)])
def test_one_log_agent_holding_capital_is_the_ak_closed_form(phi, a, rho):
    """Φ(ι) = log(φι + 1)/φ has Φ'(ι) = 1/(φι + 1), so Φ'(ι) q = 1 gives ι = (q − 1)/φ. The log
    agent consumes ρ of its wealth q K, and the goods market ρ q K = a K − ι K reads
    ρ q = a − (q − 1)/φ, so q (ρ + 1/φ) = a + 1/φ: q = (1 + φ a)/(1 + φ ρ). Capital grows at
    Φ(ι) − δ = log(q)/φ − δ; holding all capital (θ = 1, σ_q = 0), the agent's first-order
    condition μ_R − r = σ² with μ_R = (a − ι)/q + Φ − δ = ρ + Φ − δ gives r = ρ + Φ − δ − σ²."""
    model = walras.load(AK.format(phi=phi, a=a, rho=rho))
    assert model.states == ()
    ds = walras.solve(model, method="neural", steps=0, polish=50).dataset
    q = (1 + phi * a) / (1 + phi * rho)
    growth = np.log(q) / phi - 0.03
    assert abs(scalar(ds, "q") - q) < 1e-10
    assert abs(scalar(ds, "iota") - (q - 1) / phi) < 1e-10
    assert abs(scalar(ds, "mu_K") - growth) < 1e-10
    assert abs(scalar(ds, "r") - (rho + growth - 0.1**2)) < 1e-10
    assert abs(scalar(ds, "risk_premium") - 0.1**2) < 1e-12


def test_households_out_of_capital_price_it_by_the_goods_market():
    """Experts hold all capital (households trade the bond only), so the goods market alone
    gives q: (ρ_e η + ρ_h (1 − η)) q = a − (q − 1)/φ, q(η) = (1 + φa)/(1 + φ ρ̄(η)) with
    ρ̄ = ρ_e η + ρ_h (1 − η). With ψ = 1 the wealth share moves by σ_η = (1 − η) σ_R and
    σ_R = σ + q'/q σ_η, so σ_R = σ / (1 − (1 − η) q'/q). The closed form q as the field gives a
    zero goods residual and these volatilities."""
    text = AK.format(phi=10.0, a=0.1, rho=0.05).replace("rho = 0.05,", "rho = 0.05, rho_h = 0.03,")
    text = text.replace("trades = [claim]", "trades = [bond, claim]") + (
        "asset bond: riskless, supply = 0\n"
        "agent saver: utility = log, discount = rho_h, trades = [bond]\n"
    )
    compiled = walras.load(text).compile()
    assert compiled.states == ("eta_owner",)
    phi, a, rho_e, rho_h, sigma = 10.0, 0.1, 0.05, 0.03, 0.1
    q = lambda x: (1 + phi * a) / (1 + phi * (rho_e * x[0] + rho_h * (1 - x[0])))
    eta = np.linspace(0.05, 1.0, 20)
    out = compiled.outputs({"q": q}, compiled.params, jnp.asarray(eta[:, None]))
    q_eta = (1 + phi * a) / (1 + phi * (rho_e * eta + rho_h * (1 - eta)))
    slope = -q_eta * phi * (rho_e - rho_h) / (1 + phi * (rho_e * eta + rho_h * (1 - eta)))
    sigma_R = sigma / (1 - (1 - eta) * slope / q_eta)
    assert np.max(np.abs(np.asarray(out["residual_goods"]))) < 1e-14
    np.testing.assert_allclose(out["sigma_R"], sigma_R, rtol=1e-12)
    np.testing.assert_allclose(out["sigma_eta_owner"], (1 - eta) * sigma_R, rtol=1e-12)
    np.testing.assert_allclose(out["theta_saver"], 0.0, atol=0)


# --- brusan_economy against the hand-written brusan_log ------------------------------------


def trial_fields():
    """Smooth positive functions that are not a solution: both models must agree on them."""
    return {
        "q": lambda x: 1.04 + 0.05 * jnp.sin(2 * x[0]) + 0.02 * x[0] ** 2,
        "psi": lambda x: 0.1 + 0.7 * x[0] + 0.05 * jnp.cos(5 * x[0]),
    }


@pytest.fixture(scope="module")
def brusan_pair():
    return walras.load("brusan_economy").compile(), walras.load("brusan_log").compile()


def test_brusan_economy_lowers_to_brusan_log(brusan_pair):
    """The two models have the same unknowns (q, the experts' capital share) and the same
    equations written alike: the goods market, the capital market as a complementarity with
    ψ ≤ 1, the law of motion of η and the condition at η = 0. The layer writes the capital
    market as σ_R²(θ_e − θ_h) ≤ (a_e − ι)/q − (a_h − ι)/q + δ_h − δ_e, which is brusan_log's
    (σ + σ_q)²(ψ/η − (1 − ψ)/(1 − η)) ≤ (a − a_h)/q + δ_h − δ_e rearranged (θ_e = ψ/η,
    θ_h = (1 − ψ)/(1 − η)), so the residuals agree to rounding."""
    econ, hand = brusan_pair
    trial = trial_fields()
    f_econ = {"q": trial["q"], "psi_expert": trial["psi"]}
    eta = jnp.linspace(0.0, 1.0, 26)[:, None]  # the edges too, where both divide by 0
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    p_hand = {**params, "r": params["rho_h"], "rho": params["rho_e"], "a": params["a_e"]}
    p_hand = {k: v for k, v in p_hand.items() if k in hand.params}
    a = econ.outputs(f_econ, params, eta)
    b = hand.outputs(trial, p_hand, eta)
    pairs = {
        "iota": b["iota"],
        "sigma_q": b["sigma_q"],
        "mu_eta_expert": eta[:, 0] * b["mu_eta"],
        "sigma_eta_expert": eta[:, 0] * b["sig_eta"],
        "residual_goods": b["residual_goods"],
        "residual_capital_household": b["residual_capital"],
    }
    for name, ref in pairs.items():  # inside: brusan_log divides by η in vol(η) at η = 0
        np.testing.assert_allclose(a[name][1:-1], ref[1:-1], rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(a["sigma_q"], b["sigma_q"], rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(a["sigma_q"])) and np.all(np.isfinite(a["sigma_eta_expert"]))
    parts_a = econ.complementarity_parts(f_econ, params, eta)
    parts_b = hand.complementarity_parts(trial, p_hand, eta)
    for (x, y), (u, v) in zip(parts_a.values(), parts_b.values(), strict=True):
        np.testing.assert_allclose(x[1:-1], u[1:-1], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(y, v, rtol=1e-10, atol=1e-12)
    edge = jnp.zeros((1, 1))
    (ba,) = econ.boundary_residuals(f_econ, params, {"boundary_eta_expert_lo": edge}).values()
    (bb,) = hand.boundary_residuals(trial, p_hand, {"boundary_eta_lo": edge}).values()
    np.testing.assert_allclose(ba, bb, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def brusan_solved():
    return walras.solve("brusan_economy", method="collocation"), BrusanLog().solve()


@pytest.mark.slow
def test_brusan_economy_solves_to_the_ode_reference(brusan_solved):
    solution, ref = brusan_solved
    assert solution.converged, solution.message
    ds = solution.dataset
    assert abs(float(ds["free_boundary_eta_expert"]) - ref.eta_star) < 1e-6
    eta = np.linspace(1e-3, 1 - 1e-3, 501)
    values = solution.evaluate(eta[:, None])
    assert np.max(np.abs(values["q"].values - ref.q(eta))) < 1e-7
    assert np.max(np.abs(values["psi_expert"].values - ref.psi(eta))) < 1e-6


@pytest.mark.slow
def test_brusan_economy_wealth_shares_move_together(brusan_solved):
    """What the layer derives beyond brusan_log, checked on the solution: the households' wealth
    share follows from their own budget, and the two shares, which sum to one, must move
    together: μ_η summed over agents is zero by the goods market and the capital market (the
    households' first-order condition where they hold capital), and so are the volatilities.
    Above η* households hold no capital (θ_h = 0)."""
    solution, ref = brusan_solved
    eta = np.linspace(0.02, 0.98, 97)
    v = solution.evaluate(eta[:, None])
    drifts = v["mu_eta_expert"].values + v["mu_eta_household"].values
    vols = v["sigma_eta_expert"].values + v["sigma_eta_household"].values
    assert np.max(np.abs(drifts)) < 1e-8 and np.max(np.abs(vols)) < 1e-12
    assert np.max(np.abs(v["theta_household"].values[eta > ref.eta_star + 1e-3])) < 1e-12


def test_round_trip_of_the_lowered_model(brusan_pair):
    """`--emit econ` text parses, checks, and compiles to the same residual functions."""
    econ, _ = brusan_pair
    text = unparse(walras.load("brusan_economy").lowered)
    again = walras.load(text)
    assert unparse(again.lowered) == text
    trial = trial_fields()
    f = {"q": trial["q"], "psi_expert": trial["psi"]}
    x = jnp.linspace(0.05, 0.95, 7)[:, None]
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    a = econ.residuals(f, params, x)
    b = again.compile().residuals(f, params, x)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-13, atol=1e-15)


# --- errors ----------------------------------------------------------------------------------

BRUSAN = (LIBRARY / "brusan_economy.econ").read_text()


@pytest.mark.parametrize(
    "old, new, code, snippet",
    [
        ("utility = log, discount = rho_h", "utility = crra(2), discount = rho_h", "E230", "crra"),
        ("asset bond", "endowment y: drift = 0.02*y, vol[Z] = 0.1*y\nasset bond", "E230", "endow"),
        ("investment = (sqrt(1 + 2*kappa*iota) - 1)/kappa, ", "", "E231", "capital k"),
        ("vol[Z] = sigma*k", "vol[Z] = sigma", "E231", "sigma"),
        ("vol[Z] = sigma*k", "vol[W] = sigma*k", "E231", "vol[W]"),
        ("(sqrt(1 + 2*kappa*iota) - 1)/kappa", "sqrt(kappa)", "E231", "sqrt(kappa)"),
        (
            "(sqrt(1 + 2*kappa*iota) - 1)/kappa",
            "log(kappa*iota + 1)/kappa - iota^5",
            "E232",
            "log(kappa",
        ),
        ("(sqrt(1 + 2*kappa*iota) - 1)/kappa", "iota - iota^3/3", "E232", "iota - iota^3"),
        ("productivity = a_h, depreciation = delta_h", "depreciation = delta_h", "E233", "agent"),
        (
            "trades = [bond, claim], productivity = a_h",
            "trades = [bond], productivity = a_h",
            "E233",
            "agent household",
        ),
        ("capital = k", "capital = kk", "E233", "kk"),
    ],
)
def test_mistakes_are_reported_at_the_statement(old, new, code, snippet):
    assert old in BRUSAN
    with pytest.raises(EconError) as err:
        walras.load(BRUSAN.replace(old, new)).lowered  # noqa: B018
    text = str(err.value)
    d = next(d for d in err.value.diagnostics if d.code == code)
    line = d.span.source.line(d.span.line)
    assert snippet in line[d.span.column - 1 :], text
    assert f"{d.span.source.name}:{d.span.line}:{d.span.column}" in text and "^" in text


def test_production_fields_without_capital_are_refused():
    text = (LIBRARY / "basak_cuoco.econ").read_text()
    text = text.replace("trades = [bond, stock]", "trades = [bond, stock], productivity = 0.1")
    with pytest.raises(EconError, match="E233"):
        walras.load(text).lowered  # noqa: B018
