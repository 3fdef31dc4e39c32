"""The economy layer with a disaster endowment: prices, wealth shares and Euler equations with
jump terms, against closed forms, and the economies it refuses at their place."""

from __future__ import annotations

import numpy as np
import pytest
from references import disaster_pd

import walras
from walras.api import LIBRARY
from walras.compiler.emit import latex
from walras.grammar.diagnostics import EconError

DISASTERS = dict(rho=0.05, gamma=4.0, mu=0.025, sigma=0.02, lam=0.017, b=0.3)


def disaster_economy(gamma: float = 4.0) -> str:
    """lucas_economy with the disaster of lucas_disasters."""
    text = (LIBRARY / "lucas_economy.econ").read_text()
    text = text.replace("shock Z\n", "shock Z\nshock N: poisson, rate = lam\n", 1)
    text = text.replace("vol[Z] = sigma_y*y", "vol[Z] = sigma_y*y, jump[N] = -b*y", 1)
    text = text.replace("parameter mu_y = 0.02", "parameter lam = 0.017, b = 0.3, mu_y = 0.02")
    assert "jump[N]" in text and "poisson" in text
    p = DISASTERS
    return text.replace("rho = 0.05", f"rho = {p['rho']}").replace("gamma = 5", f"gamma = {gamma}")


def disaster_r(p) -> float:
    """The bond Euler equation of the representative agent, ρ = r − γμ + ½γ(γ+1)σ²
    + λ((1−b)^(−γ) − 1), solved for r."""
    g = p["gamma"]
    return (
        p["rho"]
        + g * p["mu"]
        - 0.5 * g * (g + 1) * p["sigma"] ** 2
        - p["lam"] * ((1 - p["b"]) ** (-g) - 1)
    )


@pytest.mark.parametrize("gamma", [4.0, 1.0])
def test_one_agent_with_disasters_is_the_closed_form(gamma):
    """One CRRA agent: pd is lucas_disasters' closed form and r solves the bond Euler equation."""
    model = walras.load(disaster_economy(gamma), mu_y=DISASTERS["mu"], sigma_y=DISASTERS["sigma"])
    assert model.states == ()
    ds = walras.solve(model, method="collocation").dataset
    p = {**DISASTERS, "gamma": gamma}
    assert abs(float(ds["pd"]) / disaster_pd(p) - 1) < 1e-8
    assert abs(float(ds["r"]) - disaster_r(p)) < 1e-10
    assert abs(float(ds["J_R_N"]) + p["b"]) < 1e-12
    # the stock's excess drift between disasters: γσ² for Brownian risk, λ(1−b)^(−γ) b for jumps
    premium = gamma * p["sigma"] ** 2 + p["lam"] * (1 - p["b"]) ** (-gamma) * p["b"]
    assert abs(float(ds["risk_premium"]) - premium) < 1e-10


def test_two_log_agents_with_disasters_are_the_closed_form():
    """Log agents consume ω_i = ρ_i of their wealth and, with one risk aversion, all hold the
    market (θ = 1), so the wealth share moves deterministically, dη = η(1/pd − ρ_patient) dt,
    and pd = 1/Σ ρ_i η_i by goods market clearing. The riskless rate: with consumption shares
    s_i = ρ_i η_i/Σ ρ_j η_j (which sum to one, so Σ s_i μ_c,i = μ), each log agent's bond Euler
    equation ρ_i = r − μ_c,i + σ² + λ((1−b)^(−1) − 1), weighted by s_i, gives
    r = Σ ρ_i² η_i/Σ ρ_i η_i + μ − σ² − λ b/(1 − b)."""
    model = walras.load("disasters_economy")
    p = model.compile().params
    ds = walras.solve(model, method="collocation", degree=8).dataset
    eta = ds["eta_patient"].values
    rho = np.array([p["rho_patient"], p["rho_impatient"]])
    shares = np.stack([eta, 1 - eta])
    np.testing.assert_allclose(ds["omega_patient"].values, rho[0], rtol=1e-10)
    np.testing.assert_allclose(ds["omega_impatient"].values, rho[1], rtol=1e-10)
    wealth_weighted = rho @ shares
    np.testing.assert_allclose(ds["pd"].values, 1 / wealth_weighted, rtol=1e-10)
    r = (rho**2 @ shares) / wealth_weighted + p["mu"] - p["sigma"] ** 2
    r -= p["lam"] * p["b"] / (1 - p["b"])
    np.testing.assert_allclose(ds["r"].values, r, rtol=1e-10)
    np.testing.assert_allclose(ds["theta_patient"].values, 1, atol=1e-10)
    drift = eta * (wealth_weighted - rho[0])
    np.testing.assert_allclose(ds["mu_eta_patient"].values, drift, atol=1e-12)
    np.testing.assert_allclose(ds["sigma_eta_patient"].values, 0, atol=1e-12)


@pytest.mark.slow  # the suite's time on two cores
def test_two_agents_with_one_risk_aversion_and_one_discount_rate_price_like_one():
    """Two CRRA agents alike in γ and ρ: every split of the wealth prices the tree as one agent
    does, pd = lucas_disasters' closed form and ω_i = 1/pd, and nobody's wealth share moves."""
    text = disaster_economy().replace(
        "agent investor:",
        "agent other: utility = crra(gamma), discount = rho, trades = [bond, tree]\n"
        "agent investor:",
    )
    model = walras.load(text, mu_y=DISASTERS["mu"], sigma_y=DISASTERS["sigma"])
    assert model.states == ("eta_other",)
    ds = walras.solve(model, method="collocation", degree=4).dataset
    pd = disaster_pd(DISASTERS)
    np.testing.assert_allclose(ds["pd"].values, pd, rtol=1e-10)
    np.testing.assert_allclose(ds["omega_investor"].values, 1 / pd, rtol=1e-10)
    np.testing.assert_allclose(ds["r"].values, disaster_r(DISASTERS), rtol=1e-10)
    np.testing.assert_allclose(ds["mu_eta_other"].values, 0, atol=1e-12)


def test_latex_prints_the_jump_terms():
    tex = latex(walras.load("disasters_economy").compile().system)
    for line in (
        r"J_{R,N} &= -b \\",
        r"M_{\text{patient},N} &= \left(1 + \theta_{\text{patient}} J_{R,N}\right)^{-1} \\",
        r"\mathit{jump\_premium} &= -\lambda_{N} M_{\text{patient},N} J_{R,N} \\",
        r"\lambda_{N} \left(M_{\text{impatient},N} - 1\right)",
    ):
        assert line in tex, line


def errors(text: str) -> list[tuple[str, int]]:
    with pytest.raises(EconError) as err:
        walras.load(text).checked  # noqa: B018
    return [(d.code, d.span.line if d.span else None) for d in err.value.diagnostics]


def line_of(text: str, start: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith(start))


BASAK = (LIBRARY / "basak_cuoco.econ").read_text()


@pytest.mark.parametrize(
    "text, old, new, code",
    [
        # bond-only households: the wealth shares would jump (E228)
        (BASAK, "vol[Z] = sigma_y*y", "vol[Z] = sigma_y*y, jump[N] = -0.3*y", "E228"),
        # several risk aversions: portfolios differ
        (
            BASAK.replace("trades = [bond]", "trades = [bond, stock]").replace(
                "household: utility = crra(gamma)", "household: utility = log"
            ),
            "vol[Z] = sigma_y*y",
            "vol[Z] = sigma_y*y, jump[N] = -0.3*y",
            "E228",
        ),
        (BASAK, "vol[Z] = sigma_y*y", "vol[Z] = sigma_y*y, jump[Z] = -0.3*y", "E125"),
        (BASAK, "vol[Z] = sigma_y*y", "vol[Z] = sigma_y*y, vol[N] = 0.1*y", "E124"),
    ],
)
def test_jump_economies_the_layer_refuses_at_their_place(text, old, new, code):
    text = text.replace("shock Z\n", "shock Z\nshock N: poisson, rate = 0.01\n", 1)
    text = text.replace(old, new, 1)
    assert new in text
    assert (code, line_of(text, "endowment")) in errors(text)


def test_a_disaster_that_takes_the_whole_endowment_is_refused():
    text = disaster_economy()
    line = line_of(text, "endowment")
    with pytest.raises(EconError) as err:
        walras.load(text, b=1.0).compile()
    assert [(d.code, d.span.line) for d in err.value.diagnostics] == [("E229", line)]


def test_an_infinite_price_with_disasters_is_refused():
    """ω* = ρ + (γ−1)(μ − γσ²/2) − λ((1−b)^(1−γ) − 1) ≤ 0: frequent large disasters."""
    with pytest.raises(EconError) as err:
        walras.load(disaster_economy(), lam=0.1, b=0.5).compile()
    assert [d.code for d in err.value.diagnostics] == ["E224"]
    assert "lam*((1 - b)^(1 - gamma) - 1)" in str(err.value)


def test_the_neural_solver_prices_disasters_with_one_agent():
    """No states: the network is a constant and the Levenberg-Marquardt polish solves the
    algebraic Euler equation."""
    model = walras.load(disaster_economy(), mu_y=DISASTERS["mu"], sigma_y=DISASTERS["sigma"])
    ds = walras.solve(model, method="neural", steps=0, polish=50).dataset
    assert abs(float(ds["pd"]) / disaster_pd(DISASTERS) - 1) < 1e-8
    assert abs(float(ds["r"]) - disaster_r(DISASTERS)) < 1e-10
