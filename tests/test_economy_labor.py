"""Production from capital and labor (`output = z*k^alpha*labor^(1 - alpha)`, `labor = ell`):
competitive factor prices, the deterministic steady state in closed form, and the derived
equations against derivatives of a trial q(k) taken here with jax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError

jax.config.update("jax_enable_x64", True)

LABOR = """model labor
parameter alpha = 0.3, z = 1.2, phi = 10, delta = 0.05, rho = 0.05, sigma = 0.1, ell = 1.4
shock Z
capital k: investment = log(phi*iota + 1)/phi, depreciation = delta, vol[Z] = sigma*k,
    output = z*k^alpha*labor^(1 - alpha)
state k in [1, 5]
asset bond: riskless, supply = 0
asset claim: capital = k, supply = 1
agent worker: utility = {utility}, discount = rho, trades = [bond, claim], labor = ell
"""
P = dict(alpha=0.3, z=1.2, phi=10.0, delta=0.05, rho=0.05, sigma=0.1, ell=1.4)


def compiled(utility="log", **params):
    return walras.load(LABOR.format(utility=utility)).with_params(**params).compile()


def evaluate(model, q, k):
    params = {n: jnp.asarray(v) for n, v in model.params.items()}
    x = jnp.asarray(k)[:, None]
    fields = {"q": q}
    return model.outputs(fields, params, x), model.residuals(fields, params, x)


def steady_state():
    """Without risk: Φ(ι*) = δ, q* = 1/Φ'(ι*) = e^(φδ), and capital's return covers ρ:
    ∂y/∂K = ρ q* + ι*, so K* = (α z L^(1−α)/(ρ q* + ι*))^(1/(1−α))."""
    q = np.exp(P["phi"] * P["delta"])
    iota = (q - 1) / P["phi"]
    a = P["alpha"]
    k = (a * P["z"] * P["ell"] ** (1 - a) / (P["rho"] * q + iota)) ** (1 / (1 - a))
    return q, iota, k


def test_factor_prices_and_the_steady_state_are_the_closed_form():
    q, iota, kss = steady_state()
    model = compiled(sigma=0.0)
    k = np.array([1.0, 2.0, kss, 4.5])
    out, res = evaluate(model, lambda x: q + 0 * x[0], k)
    y = P["z"] * k ** P["alpha"] * P["ell"] ** (1 - P["alpha"])
    np.testing.assert_allclose(out["output"], y, rtol=1e-13)
    np.testing.assert_allclose(out["wage"] * P["ell"], (1 - P["alpha"]) * y, rtol=1e-12)
    np.testing.assert_allclose(out["mpk"] * k, P["alpha"] * y, rtol=1e-12)
    np.testing.assert_allclose(out["iota"], iota, rtol=1e-13)
    np.testing.assert_allclose(out["mu_K"], 0, atol=1e-15)
    np.testing.assert_allclose(out["consumption"], y - iota * k, rtol=1e-13)
    # at K* (the third point) nothing grows, r = ρ and capital's return equals it
    np.testing.assert_allclose(out["r"][2], P["rho"], rtol=1e-13)
    assert abs(float(res["capital_worker"][2])) < 1e-13
    assert np.all(np.abs(np.asarray(res["capital_worker"])[[0, 1, 3]]) > 1e-3)


@pytest.mark.parametrize("utility, gamma", [("log", 1.0), ("crra(3)", 3.0)])
def test_the_equations_are_itos_lemma_on_a_trial_price(utility, gamma):
    """With risk, on q(k) = 1.5 + 0.2 sin(k) (not a solution): consumption c = y − ιk, its
    drift and volatility by Itô's lemma with derivatives from jax, r from the bond's Euler
    equation and the capital equation μ_R − r = γ σ_R σ_c."""
    model = compiled(utility)
    a, z, phi, delta, rho, sigma, ell = (
        P[n] for n in ("alpha", "z", "phi", "delta", "rho", "sigma", "ell")
    )

    def q(k):
        return 1.5 + 0.2 * jnp.sin(k)

    def iota(k):
        return (q(k) - 1) / phi

    def mu_K(k):
        return jnp.log(phi * iota(k) + 1) / phi - delta

    def c(k):
        return z * k**a * ell ** (1 - a) - iota(k) * k

    def ito(f, k):
        d1, d2 = jax.grad(f)(k), jax.grad(jax.grad(f))(k)
        return (d1 * mu_K(k) * k + d2 * (sigma * k) ** 2 / 2) / f(k), d1 * sigma * k / f(k)

    ks = np.array([1.3, 2.2, 3.7, 4.9])
    out, res = evaluate(model, lambda x: q(x[0]), ks)
    for i, k in enumerate(ks):
        mu_c, sigma_c = ito(c, k)
        mu_q, sigma_q = ito(q, k)
        r = rho + gamma * mu_c - gamma * (gamma + 1) / 2 * sigma_c**2
        mpk = a * z * k ** (a - 1) * ell ** (1 - a)
        mu_R = (mpk - iota(k)) / q(k) + mu_K(k) + mu_q + sigma * sigma_q
        premium = gamma * (sigma + sigma_q) * sigma_c
        np.testing.assert_allclose(out["r"][i], r, rtol=1e-11)
        np.testing.assert_allclose(out["mu_R"][i], mu_R, rtol=1e-11)
        np.testing.assert_allclose(res["capital_worker"][i], mu_R - r - premium, atol=1e-13)


AK = """model ak_crra
parameter a = 0.1, phi = 10, delta = 0.03, sigma = 0.1, rho = 0.04, gamma = 3
shock Z
capital k: investment = log(phi*iota + 1)/phi, depreciation = delta, vol[Z] = sigma*k,
    output = a*k
state k in [1, 3]
asset bond: riskless, supply = 0
asset claim: capital = k, supply = 1
agent saver: utility = crra(gamma), discount = rho, trades = [bond, claim]
"""


def test_one_crra_agent_in_an_ak_economy_is_the_closed_form():
    """Output a·K (no labor): q is constant, consumption grows with capital (μ_c = Φ − δ,
    σ_c = σ), and the capital equation is (a − ι)/q = ρ + (γ − 1)(Φ(ι) − δ − γσ²/2) with
    ι = (q − 1)/φ, Φ = log(q)/φ, solved here with brentq (γ = 1 gives the log closed form
    q = (1 + φa)/(1 + φρ))."""
    from scipy.optimize import brentq

    a, phi, delta, sigma, rho, gamma = 0.1, 10.0, 0.03, 0.1, 0.04, 3.0

    def gap(q):
        iota, growth = (q - 1) / phi, np.log(q) / phi - delta
        return (a - iota) / q - rho - (gamma - 1) * (growth - gamma * sigma**2 / 2)

    q = brentq(gap, 1.0 + 1e-9, 1 + phi * a - 1e-9, xtol=1e-15)
    model = walras.load(AK).compile()
    k = np.array([1.0, 1.7, 3.0])
    out, res = evaluate(model, lambda x: q + 0 * x[0], k)
    growth = np.log(q) / phi - delta
    np.testing.assert_allclose(res["capital_saver"], 0, atol=1e-13)
    np.testing.assert_allclose(out["mu_c_saver"], growth, rtol=1e-12)
    r = rho + gamma * growth - gamma * (gamma + 1) / 2 * sigma**2
    np.testing.assert_allclose(out["r"], r, rtol=1e-12)
    _, off = evaluate(model, lambda x: 1.01 * q + 0 * x[0], k)
    assert np.all(np.abs(np.asarray(off["capital_saver"])) > 1e-4)


def error(text: str):
    with pytest.raises(EconError) as e:
        walras.load(text).lowered
    return e.value.diagnostics[0]


BASE = LABOR.format(utility="log")


@pytest.mark.parametrize(
    "old, new, code, words",
    [
        ("state k in [1, 5]\n", "", "E236", "its domain"),
        ("output = z*k^alpha*labor^(1 - alpha)", "output = z*k^alpha", "E236", "constant returns"),
        ("output = z*k^alpha*labor^(1 - alpha)", "output = z*labor", "E236", "function of capital"),
        (", labor = ell", "", "E236", "no agent supplies labor"),
        ("z*k^alpha*labor^(1 - alpha)", "z*k", "E236", "supplies labor that output"),
        (", labor = ell", ", labor = ell, productivity = z", "E236", "has a productivity"),
        (
            "labor = ell\n",
            "labor = ell\nagent other: utility = log, discount = rho, trades = [bond, claim]\n",
            "E230",
            "second agent holding capital",
        ),
        (
            "labor = ell\n",
            "labor = ell\nagent other: utility = log, discount = rho, trades = [bond], "
            "depreciation = delta\n",
            "E236",
            "has a depreciation and holds no capital",
        ),
        (",\n    output = z*k^alpha*labor^(1 - alpha)", "", "E236", "output does not use it"),
        (
            "asset bond: riskless, supply = 0\n",
            "",
            "E204",
            "not a declared asset",
        ),
        ("trades = [bond, claim]", "trades = [bond]", "E233", "no agent holds 'claim'"),
        ("labor = ell", "labor = ell\nconstraint worker: share(claim) <= 2", "E230", "constraint"),
    ],
)
def test_mistakes_are_located(old, new, code, words):
    assert old in BASE
    d = error(BASE.replace(old, new))
    assert d.code == code and words in d.message, d


def test_a_second_agent_without_a_bond_is_told_to_declare_one():
    text = BASE.replace("asset bond: riskless, supply = 0\n", "").replace(
        "[bond, claim]", "[claim]"
    )
    text += "agent saver: utility = log, discount = rho, trades = [bond], labor = ell\n"
    with pytest.raises(EconError) as e:
        walras.load(text).lowered
    codes = [d.code for d in e.value.diagnostics]
    assert sorted(codes) == ["E204", "E210"], codes
