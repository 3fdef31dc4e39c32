"""Several agents with labor income (`economy_labor_derive`): an expert who holds capital and a
bond-only household, each supplying labor. References: the riskless steady state in closed
form (permanent income), and Itô's lemma, the budget and the quotient rule written here with
derivatives of trial functions from jax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_economy_labor import LABOR

import walras
from walras.grammar import ast, unparse

jax.config.update("jax_enable_x64", True)

TWO = (
    LABOR.format(utility="log")
    .replace("model labor", "model labor_two")
    .replace("rho = 0.05, sigma = 0.1, ell = 1.4", "rho = 0.05, rho_h = 0.05,\n    sigma = 0.1")
    .replace(", labor = ell\n", ", labor = ell_e\n")
    .replace("agent worker", "agent expert")
    + "agent household: utility = crra(gamma_h), discount = rho_h, trades = [bond], "
    "labor = ell_h\nparameter gamma_h = 2, ell_e = 0.4, ell_h = 1.0\n"
)
P = dict(alpha=0.3, z=1.2, phi=10.0, delta=0.05, rho=0.05, rho_h=0.05, sigma=0.1)
P.update(gamma_h=2.0, ell_e=0.4, ell_h=1.0)


@pytest.fixture(scope="module")
def two():
    return walras.load(TWO).compile()


def evaluate(model, fields, x, **params):
    values = {**model.params, **params}
    values = {n: jnp.asarray(v) for n, v in values.items()}
    x = jnp.asarray(x)
    return model.outputs(fields, values, x), model.residuals(fields, values, x)


def test_the_riskless_steady_state_is_permanent_income(two):
    """σ = 0, one discount rate: at K* (Φ(ι*) = δ, q* = e^(φδ), ∂y/∂K = ρq* + ι*) nothing grows
    and r = ρ, and every wealth distribution is a steady state where each agent consumes its
    wage and the return on its wealth, c_i = w ℓ_i + ρ η_i q* K*. Trial functions with these
    values at K* (and any slopes) meet every equation there, and no equation elsewhere."""
    a, rho, phi, delta = P["alpha"], P["rho"], P["phi"], P["delta"]
    labor = P["ell_e"] + P["ell_h"]
    q_star = np.exp(phi * delta)
    iota = (q_star - 1) / phi
    k_star = (a * P["z"] * labor ** (1 - a) / (rho * q_star + iota)) ** (1 / (1 - a))
    wage = (1 - a) * P["z"] * k_star**a * labor ** (-a)

    def q(x):
        return q_star + (x[0] - k_star) * (0.3 + 0.1 * x[1])

    def c_household(x):
        closed = wage * P["ell_h"] + rho * (1 - x[1]) * q_star * k_star
        return closed + 0.2 * (x[0] - k_star) * (1 + x[1]) - 0.05 * (x[0] - k_star) ** 2

    fields = {"q": q, "c_household": c_household}
    etas = np.array([0.1, 0.5, 0.7, 0.93])
    x = np.stack([np.full(4, k_star), etas], axis=1)
    out, res = evaluate(two, fields, x, sigma=0.0)
    for name in ("capital_expert", "euler_household"):
        np.testing.assert_allclose(res[name], 0, atol=1e-14)
    np.testing.assert_allclose(out["r"], rho, rtol=1e-13)
    np.testing.assert_allclose(out["mu_eta_expert"], 0, atol=1e-15)
    c_expert = wage * P["ell_e"] + rho * etas * q_star * k_star
    np.testing.assert_allclose(out["c_expert"], c_expert, rtol=1e-13)
    _, off = evaluate(two, fields, x * np.array([[1.2, 1.0]]), sigma=0.0)
    assert np.all(np.abs(np.asarray(off["capital_expert"])) > 1e-4)


def trial_q(x):
    return 1.6 + 0.1 * jnp.sin(x[0]) + 0.15 * x[1] ** 2 - 0.05 * x[0] * x[1]


def trial_c(x):
    return 0.4 + 0.1 * x[0] ** 0.5 + 0.2 * (1 - x[1]) + 0.03 * x[0] * x[1]


def by_hand(x):
    """The rules of `economy_labor_derive`, at a point x = (K, η_expert), with the volatility
    of η solved from σ_R = σ + σ_q here, derivatives and Hessians from jax."""
    a, z, phi, delta, sigma = (P[n] for n in ("alpha", "z", "phi", "delta", "sigma"))
    ell_e, ell_h = P["ell_e"], P["ell_h"]
    labor = ell_e + ell_h
    k, eta = x

    def output(x):
        return z * x[0] ** a * labor ** (1 - a)

    def iota(x):
        return (trial_q(x) - 1) / phi

    def c_expert(x):
        return output(x) - iota(x) * x[0] - trial_c(x)

    q, grad_q = trial_q(x), jax.grad(trial_q)(x)
    sigma_R = (sigma + grad_q[0] * sigma * k / q) / (1 - grad_q[1] * (1 - eta) / q)
    vol = jnp.array([sigma * k, (1 - eta) * sigma_R])
    mu_K = jnp.log(phi * iota(x) + 1) / phi - delta
    mpk = a * output(x) / k
    wage = (1 - a) * output(x) / labor

    def growth(f, mu):
        return (jax.grad(f)(x) @ mu + vol @ jax.hessian(f)(x) @ vol / 2) / f(x)

    def vol_growth(f):
        return jax.grad(f)(x) @ vol / f(x)

    sigma_ce, sigma_ch = vol_growth(c_expert), vol_growth(trial_c)
    premium = sigma_R * sigma_ce  # log expert
    mu_eta = (
        eta * (mpk - iota(x)) / q
        + (1 - eta) * (premium - sigma_R**2)
        + (wage * ell_e - c_expert(x)) / (q * k)
    )
    mu = jnp.array([mu_K * k, mu_eta])
    r = P["rho"] + growth(c_expert, mu) - sigma_ce**2
    g = P["gamma_h"]
    euler_h = r - (P["rho_h"] + g * growth(trial_c, mu) - g * (g + 1) / 2 * sigma_ch**2)
    mu_R = (mpk - iota(x)) / q + mu_K + growth(trial_q, mu) + sigma * (sigma_R - sigma)
    return dict(
        sigma_R=sigma_R,
        mu_eta_expert=mu_eta,
        r=r,
        mu_R=mu_R,
        capital_expert=mu_R - r - premium,
        euler_household=euler_h,
        wage=wage,
        c_expert=c_expert(x),
    )


POINTS = np.array([[1.3, 0.2], [2.2, 0.55], [3.7, 0.8], [4.9, 0.95]])


def test_the_equations_are_itos_lemma_on_trial_functions(two):
    out, res = evaluate(two, {"q": trial_q, "c_household": trial_c}, POINTS)
    ref = jax.jit(jax.vmap(by_hand))(jnp.asarray(POINTS))
    for name in ("sigma_R", "mu_eta_expert", "r", "mu_R", "wage", "c_expert"):
        np.testing.assert_allclose(out[name], ref[name], rtol=1e-11, atol=1e-14)
    for name in ("capital_expert", "euler_household"):
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-10, atol=1e-13)


def test_markets_clear_and_the_wealth_shares_follow_the_budgets(two):
    """At trial functions (no solution): the wage bill is (1 − α)y, consumption and investment
    use up output, the wealth shares' drifts and volatilities sum to zero; and the drift of the
    household's share is Itô's quotient rule on its budget dN = (w ℓ + r N − c) dt over qK,
    whose return is μ_R less the dividend yield, up to the holder's first-order condition
    (which the derivation uses for the risk premium): the gap is −η_h times its residual."""
    out, res = evaluate(two, {"q": trial_q, "c_household": trial_c}, POINTS)
    k, eta = POINTS[:, 0], POINTS[:, 1]
    y = np.asarray(out["output"])
    labor = P["ell_e"] + P["ell_h"]
    np.testing.assert_allclose(out["wage"] * labor, (1 - P["alpha"]) * y, rtol=1e-12)
    spent = out["c_expert"] + trial_c(POINTS.T) + out["iota"] * k
    np.testing.assert_allclose(spent, y, rtol=1e-12)
    np.testing.assert_allclose(out["mu_eta_expert"] + out["mu_eta_household"], 0, atol=1e-12)
    np.testing.assert_allclose(out["sigma_eta_expert"] + out["sigma_eta_household"], 0, atol=1e-14)
    q, wealth = np.asarray(out["q"]), np.asarray(out["q"]) * k
    eta_h = 1 - eta
    sigma_R = np.asarray(out["sigma_R"])
    mu_qk = out["mu_R"] - (out["mpk"] - out["iota"]) / q
    mu_n = (out["wage"] * P["ell_h"] - trial_c(POINTS.T)) / (eta_h * wealth) + out["r"]
    budget = eta_h * (mu_n - mu_qk + sigma_R**2)  # σ_N = 0: the household holds bonds only
    gap = budget - out["mu_eta_household"]
    np.testing.assert_allclose(gap, -eta_h * res["capital_expert"], rtol=1e-10, atol=1e-14)
    assert np.all(np.abs(gap) > 1e-5)  # the trial functions are no solution


def test_one_worker_is_the_earlier_economy():
    """The same file with the household's labor moved to the expert and no household: one
    agent, whose consumption is output less investment (`test_economy_labor`'s economy)."""
    one = TWO.replace(
        "agent household: utility = crra(gamma_h), discount = rho_h, trades = [bond], "
        "labor = ell_h\n",
        "",
    ).replace("labor = ell_e", "labor = ell_e + ell_h")
    model = walras.load(one).compile()
    assert list(model.states) == ["k"]
    out, _ = evaluate(model, {"q": lambda x: trial_q(jnp.array([x[0], 0.0]))}, POINTS[:, :1])
    c = out["output"] - out["iota"] * POINTS[:, 0]
    np.testing.assert_allclose(out["consumption"], c, rtol=1e-14)
    np.testing.assert_allclose(out["omega_expert"], c / (out["q"] * POINTS[:, 0]), rtol=1e-14)


def saddle_path(labor=P["ell_e"] + P["ell_h"]):
    """The riskless economy with log utility and one discount rate, by scipy: its aggregate is
    the one-agent growth model (aggregate labor `labor`), whose saddle path q(K) and human
    wealth H(K) (the value of the wage bill, dH/dt = rH − wL) are integrated backwards in time
    from the steady state along the stable eigenvector; returned as Chebyshev fits on
    [0.6, 1.4]·K*."""
    from scipy.integrate import solve_ivp

    a, z, phi, delta, rho = (P[n] for n in ("alpha", "z", "phi", "delta", "rho"))

    def rhs(s):
        k, q, h = s
        iota, mu_k = (q - 1) / phi, jnp.log(q) / phi - delta
        y = z * k**a * labor ** (1 - a)
        mpk, c = a * y / k, y - iota * k
        # the capital equation μ_R = r = ρ + ċ/c, with ċ = (mpk − ι)K̇ − q̇K/φ, solved for q̇
        gap = rho + (mpk - iota) * mu_k * k / c - (mpk - iota) / q - mu_k
        q_dot = gap / (1 / q + k / (phi * c))
        r = rho + ((mpk - iota) * mu_k * k - q_dot * k / phi) / c
        return jnp.array([mu_k * k, q_dot, r * h - (1 - a) * y])

    q_star = np.exp(phi * delta)
    k_star = (a * z * labor ** (1 - a) / (rho * q_star + (q_star - 1) / phi)) ** (1 / (1 - a))
    star = np.array([k_star, q_star, (1 - a) * z * k_star**a * labor ** (1 - a) / rho])
    values, vectors = np.linalg.eig(np.asarray(jax.jacfwd(rhs)(jnp.asarray(star))))
    stable = vectors[:, np.argmin(values.real)].real
    lo, hi = 0.6 * k_star, 1.4 * k_star
    f = jax.jit(rhs)

    def leaves(t, s):
        return (s[0] - lo) * (s[0] - hi)

    leaves.terminal = True
    paths = []
    for side in (-1, 1):
        start = star + side * 1e-7 * k_star * stable / stable[0]
        path = solve_ivp(
            lambda t, s: np.asarray(f(jnp.asarray(s))),
            (0, -2000),
            start,
            method="DOP853",
            rtol=1e-12,
            atol=1e-14,
            events=leaves,
        )
        assert path.status == 1  # reached an edge of the range
        paths.append(path.y)
    k, q, h = np.concatenate(paths, axis=1)
    fit = np.polynomial.chebyshev.Chebyshev
    return k_star, fit.fit(k, q, 20, domain=[lo, hi]), fit.fit(k, h, 20, domain=[lo, hi])


def clenshaw(series, k):
    """A Chebyshev series evaluated with jax (so the compiler can differentiate it)."""
    lo, hi = series.domain
    t = (2 * k - lo - hi) / (hi - lo)
    b1 = b2 = 0.0
    for c in series.coef[:0:-1]:
        b1, b2 = c + 2 * t * b1 - b2, b1
    return series.coef[0] + t * b1 - b2


def test_two_log_agents_without_risk_solve_the_scipy_saddle_path(two):
    """Off the steady state: with one discount rate and log utility the aggregate is the
    growth model (q = q(K) on the saddle path, aggregate consumption ρ(qK + H)), and each
    agent consumes ρ times its financial and human wealth, c_h = ρ(η_h qK + H ℓ_h/L). These
    functions of (K, η) from scipy meet the two agents' equations at points away from K*."""
    k_star, q_fit, h_fit = saddle_path()
    share = P["ell_h"] / (P["ell_e"] + P["ell_h"])

    def q(x):
        return clenshaw(q_fit, x[0])

    def c_household(x):
        return P["rho"] * ((1 - x[1]) * q(x) * x[0] + share * clenshaw(h_fit, x[0]))

    x = np.array([[0.65, 0.2], [0.85, 0.5], [1.15, 0.8], [1.35, 0.35]]) * [k_star, 1]
    out, res = evaluate(two, {"q": q, "c_household": c_household}, x, sigma=0.0, gamma_h=1.0)
    wealth = out["q"] * x[:, 0] + h_fit(x[:, 0])
    # the reference's own accuracy (DOP853 at rtol 1e-12 over the path, a degree-20 fit): 1e-11
    # relative on one processor, 1.01e-11 on another
    np.testing.assert_allclose(out["consumption"], P["rho"] * wealth, rtol=1e-10)
    np.testing.assert_allclose(res["capital_expert"], 0, atol=1e-10)
    np.testing.assert_allclose(res["euler_household"], 0, atol=1e-10)
    assert np.all(np.abs(np.asarray(out["mu_eta_expert"])) > 1e-4)  # the shares move


def test_an_array_of_working_households_lowers_to_one_equation_each():
    """`agent household[3]`: the expert and three households, the wealth shares of the first
    three agents on the simplex beside capital, and one consumption and Euler equation per
    household."""
    text = TWO.replace("agent household:", "agent household[3]:")
    module = walras.load(text).lowered
    states = {s.name: s for s in module.statements if isinstance(s, ast.StateDecl)}
    shares = ("eta_expert", "eta_household_1", "eta_household_2")
    assert list(states) == ["k", *shares]
    assert all(states[n].simplex == shares for n in shares)
    kinds = (ast.UnknownDecl, ast.EquationDecl)
    names = [s.name for s in module.statements if isinstance(s, kinds)]
    households = [f"household_{i}" for i in (1, 2, 3)]
    assert names == ["q", *(f"c_{h}" for h in households), "capital_expert"] + [
        f"euler_{h}" for h in households
    ]
    labor = next(s for s in module.statements if getattr(s, "name", None) == "labor")
    assert unparse.expr(labor.expr) == "ell_e + ell_h + ell_h + ell_h"
