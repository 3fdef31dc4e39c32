"""The economy layer against closed forms and an independent hand-written equation-level model."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from references import lucas_pd, lucas_r, two_trees_v

import walras
from walras.api import LIBRARY
from walras.grammar.unparse import unparse

jax.config.update("jax_enable_x64", True)

LUCAS = dict(rho=0.05, gamma=5.0, mu_y=0.02, sigma_y=0.05)


def scalar(ds, name):
    return float(np.asarray(ds[name]))


@pytest.mark.parametrize(
    "params", [{}, dict(gamma=2.0, mu_y=0.01, sigma_y=0.1, rho=0.03), dict(gamma=1.0)]
)
def test_one_agent_is_the_lucas_closed_form(params):
    model = walras.load("lucas_economy", **params)
    assert model.states == ()
    p = {**LUCAS, **params}
    ref = dict(rho=p["rho"], gamma=p["gamma"], mu=p["mu_y"], sigma=p["sigma_y"])
    ds = walras.solve(model, method="neural", steps=0, polish=50).dataset
    assert abs(scalar(ds, "pd") - lucas_pd(**ref)) < 1e-10
    assert abs(scalar(ds, "omega_investor") - 1 / lucas_pd(**ref)) < 1e-10
    assert abs(scalar(ds, "r") - lucas_r(**ref)) < 1e-10
    assert abs(scalar(ds, "risk_premium") - p["gamma"] * p["sigma_y"] ** 2) < 1e-12
    assert abs(scalar(ds, "theta_investor") - 1) < 1e-12


def test_supply_and_a_zero_discount_rate_keep_the_lucas_closed_form():
    """Results are ratios, so a supply of 2 changes nothing (and says so, W220); with gamma = 5
    a zero discount rate still has a finite price, 1/((gamma - 1)(mu - gamma sigma^2/2))."""
    text = (LIBRARY / "lucas_economy.econ").read_text()
    model = walras.load(text.replace("supply = 1", "supply = 2")).with_params(rho=0.0)
    assert [w.code for w in model.warnings] == ["W220"]
    ds = walras.solve(model, method="neural", steps=0, polish=50).dataset
    ref = dict(rho=0.0, gamma=LUCAS["gamma"], mu=LUCAS["mu_y"], sigma=LUCAS["sigma_y"])
    assert abs(scalar(ds, "pd") - lucas_pd(**ref)) < 1e-10
    assert abs(scalar(ds, "r") - lucas_r(**ref)) < 1e-10


# --- basak_cuoco against the hand-written equation-level model ------------------------------


def trial_fields():
    """Smooth positive functions that are not a solution: the two models must agree on them."""
    return (
        {
            "omega_expert": lambda x: 0.08 + 0.03 * jnp.sin(3 * x[0]) + 0.01 * x[0] ** 2,
            "omega_household": lambda x: 0.06 + 0.02 * jnp.cos(2 * x[0]),
        },
        {
            "omega_e": lambda x: 0.08 + 0.03 * jnp.sin(3 * x[0]) + 0.01 * x[0] ** 2,
            "omega_h": lambda x: 0.06 + 0.02 * jnp.cos(2 * x[0]),
        },
    )


@pytest.fixture(scope="module")
def basak_pair():
    econ = walras.load("basak_cuoco").compile()
    hand = walras.load("basak_cuoco_equations").compile()
    return econ, hand


def test_basak_cuoco_equals_the_hand_written_model(basak_pair):
    econ, hand = basak_pair
    f_econ, f_hand = trial_fields()
    eta = np.linspace(0.05, 0.95, 19)
    y = np.linspace(0.6, 1.9, 19)[::-1]
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    a = econ.outputs(f_econ, params, jnp.asarray(eta[:, None]))
    b = hand.outputs(f_hand, params, jnp.asarray(np.stack([eta, y], -1)))
    pairs = {
        "pd": b["q"] / y,
        "sigma_R": b["sigma_q"],
        "theta_expert": b["theta_e"],
        "risk_premium": b["risk_premium"],
        "r": b["r"],
        "mu_eta_expert": b["drift_eta"],
        "sigma_eta_expert": b["vol_eta"],
        "residual_euler_expert": b["residual_expert_euler"],
        "residual_euler_household": b["residual_household_euler"],
    }
    for name, ref in pairs.items():
        np.testing.assert_allclose(a[name], ref, rtol=1e-10, atol=1e-12, err_msg=name)
    assert np.all(np.asarray(a["theta_household"]) == 0)


def test_round_trip_of_the_lowered_model(basak_pair):
    """`--emit econ` text parses, checks, and compiles to the same residual functions."""
    econ, _ = basak_pair
    text = unparse(walras.load("basak_cuoco").lowered)
    again = walras.load(text)
    assert unparse(again.lowered) == text
    f_econ, _ = trial_fields()
    x = jnp.linspace(0.05, 0.95, 7)[:, None]
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    a = econ.residuals(f_econ, params, x)
    b = again.compile().residuals(f_econ, params, x)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-13, atol=1e-15)


def test_round_trip_solves_to_the_same_numbers():
    text = unparse(walras.load("lucas_economy").lowered)
    a = walras.solve(walras.load("lucas_economy"), method="neural", steps=0, polish=50).dataset
    b = walras.solve(walras.load(text), method="neural", steps=0, polish=50).dataset
    for k in ("pd", "r", "omega_investor", "risk_premium"):
        assert abs(scalar(a, k) - scalar(b, k)) < 1e-13


# --- log utility: closed forms whatever the constraints --------------------------------------

LOG = """model log_economy
parameter rho_e = 0.06, rho_h = 0.04, mu_y = 0.02, sigma_y = 0.05
shock Z
endowment y: drift = mu_y*y, vol[Z] = sigma_y*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
agent expert: utility = log, discount = rho_e, trades = [bond, stock]
agent household: utility = log, discount = rho_h, trades = [bond{extra}]
{constraint}
"""


def test_log_utility_experts_hold_all_equity():
    pytest.importorskip("walras.runtime.solvers.collocation")
    model = walras.load(LOG.format(extra="", constraint=""))
    ds = walras.solve(model, method="collocation", degree=8).dataset
    eta = ds.eta_expert.values
    np.testing.assert_allclose(ds.omega_expert, 0.06, atol=1e-8)
    np.testing.assert_allclose(ds.omega_household, 0.04, atol=1e-8)
    np.testing.assert_allclose(ds.pd, 1 / (0.06 * eta + 0.04 * (1 - eta)), rtol=1e-7)
    np.testing.assert_allclose(ds.risk_premium, ds.sigma_R**2 / eta, rtol=1e-5)


@pytest.mark.parametrize(
    "constraint, share", [("share(stock) <= 0.5", 0.5), ("share(bond) >= 0.7", 0.3)]
)
def test_log_utility_under_a_binding_constraint(constraint, share):
    """ω_i = ρ_i and the bound binding everywhere solve every equation and complementarity."""
    model = walras.load(
        LOG.format(extra=", stock", constraint=f"constraint household: {constraint}")
    )
    compiled = model.compile()
    fields = {
        "omega_expert": lambda x: 0.06 + 0 * x[0],
        "omega_household": lambda x: 0.04 + 0 * x[0],
        "theta_household": lambda x: share + 0 * x[0],
    }
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    x = jnp.linspace(0.01, 0.99, 41)[:, None]
    for name, r in compiled.residuals(fields, params, x).items():
        np.testing.assert_allclose(r, 0, atol=1e-14, err_msg=name)
    a, b = compiled.complementarity_parts(fields, params, x)["constraint_household"]
    assert np.all(np.asarray(a) > 1e-4) and np.allclose(b, 0)
    out = compiled.outputs(fields, params, x)
    np.testing.assert_allclose(out["pd"], 1 / (0.06 * x[:, 0] + 0.04 * (1 - x[:, 0])), rtol=1e-14)


# --- the volatility block, symbolically ------------------------------------------------------


def test_volatility_block_of_two_agents_is_the_hand_derivation():
    """Two CRRA agents trading both assets: σ_R from the compiler's solved linear cycle equals
    σ_R = σ_y (1 − k) / (1 − k − (p'/p) m), with A = η/γ₁ + (1−η)/γ₂,
    B = η ω₁'/ω₁ + (1−η) ω₂'/ω₂, k = η (B/(γ₁A) − ω₁'/ω₁), m = η (1/(γ₁A) − 1)."""
    import sympy as sp

    from walras.compiler.system import Assign, LinearSolve

    system = walras.load("risk_sharing").compile().system
    (cycle,) = system.cycles
    assert set(cycle) == {"sigma_R", "lambda", "vol[Z] of eta_bold"}
    eta, g1, g2, sy = sp.symbols("eta_bold gamma_bold gamma_cautious sigma_y")
    w1, w2, d1, d2 = sp.symbols(
        "omega_bold omega_cautious omega_bold__eta_bold omega_cautious__eta_bold"
    )
    total = w1 * eta + w2 * (1 - eta)
    known = {sp.Symbol("pd"): 1 / total, sp.Symbol("eta_cautious"): 1 - eta}
    solution = {}
    for step in system.steps:
        if isinstance(step, LinearSolve):  # a per-point solve, when the cycle is large
            solution.update(zip(step.symbols, step.A.LUsolve(step.b)))
        elif isinstance(step, Assign):
            solution[step.symbol] = step.expr
    derived = solution[sp.Symbol("sigma_R")].subs(known)
    A = eta / g1 + (1 - eta) / g2
    B = eta * d1 / w1 + (1 - eta) * d2 / w2
    k = eta * (B / (g1 * A) - d1 / w1)
    m = eta * (1 / (g1 * A) - 1)
    p_ratio = -(d1 * eta + w1 + d2 * (1 - eta) - w2) / total
    hand = sy * (1 - k) / (1 - k - p_ratio * m)
    assert sp.simplify(derived - hand) == 0
    lam = solution[sp.Symbol("lambda")].subs(known)
    sigma_eta = m * hand / (1 - k)
    assert sp.simplify(lam - (hand + B * sigma_eta) / A) == 0


# --- several shocks ---------------------------------------------------------------------------


def two_shocks(text: str) -> str:
    """The same economy with the endowment's risk split over two shocks of equal total variance."""
    return text.replace("shock Z", "shock Z, W").replace(
        "vol[Z] = sigma_y*y", "vol[Z] = 0.6*sigma_y*y, vol[W] = 0.8*sigma_y*y"
    )


def test_two_shocks_one_agent_is_the_lucas_closed_form():
    text = two_shocks((walras.api.LIBRARY / "lucas_economy.econ").read_text())
    ds = walras.solve(walras.load(text), method="neural", steps=0, polish=50).dataset
    assert abs(scalar(ds, "pd") - lucas_pd()) < 1e-10
    assert abs(scalar(ds, "r") - lucas_r()) < 1e-10
    assert ds["sigma_R"].dims[-1] == "shock"  # one variable over shocks
    assert abs(float(ds["sigma_R"].sel(shock="W").values.ravel()[0]) - 0.8 * 0.05) < 1e-12


@pytest.mark.parametrize("name", ["basak_cuoco", "leverage_cap"])
def test_splitting_a_shock_changes_nothing(name, basak_pair):
    """Rotation invariance: every scalar output and residual is the same on trial fields."""
    text = (walras.api.LIBRARY / f"{name}.econ").read_text()
    one, two = walras.load(text).compile(), walras.load(two_shocks(text)).compile()
    fields, _ = trial_fields()
    fields = {**fields, "theta_expert": lambda x: 1.2 + 0.3 * x[0]}
    params = {k: jnp.asarray(v) for k, v in one.params.items()}
    x = jnp.linspace(0.05, 0.95, 11)[:, None]
    a, b = one.outputs(fields, params, x), two.outputs(fields, params, x)
    for k in (
        "pd",
        "r",
        "risk_premium",
        "theta_household",
        "mu_eta_expert",
        "mu_R",
        *[k for k in a if k.startswith("residual_")],
    ):
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_allclose(b["sigma_R_W"], 0.8 * a["sigma_R"], rtol=1e-12)


# --- a leverage cap that binds on part of the state space -----------------------------------


def test_leverage_cap_solves_with_defaults_to_the_experts_lucas_price():
    """From the economy layer's start for θ_e (the market portfolio within the cap, not the
    constant 0.5 inside the bound) leverage_cap converges with defaults by collocation (it
    exited 2 after walks and degree raises): the cap binds below a free boundary and is slack
    above it, and where the households vanish the price is that of the experts' Lucas economy,
    within the solver's estimate."""
    sol = walras.solve("leverage_cap", method="collocation")
    assert sol.converged, sol.message
    p, ds = sol.params, sol.dataset
    at_one = 1 / float(sol.fields["omega_expert"](jnp.array([1.0])))  # goods market at η = 1
    ref = lucas_pd(p["rho"], p["gamma_e"], p["mu_y"], p["sigma_y"])
    assert abs(at_one / ref - 1) <= max(sol.errors.values()) + 1e-12
    eta, theta = ds.eta_expert.values, ds.theta_expert.values
    binds = np.isclose(theta, p["cap"], atol=1e-9)
    star = eta[~binds][0]
    assert binds[0] and 0.1 < star < 0.9 and np.all(binds[eta < star])
    assert np.all(theta[eta >= star] < p["cap"])


def test_a_users_guess_replaces_the_derived_start():
    """The economy layer derives a start for a constrained share; a `guess` of the user's for it
    replaces it (no second guess)."""
    text = (LIBRARY / "leverage_cap.econ").read_text()
    derived = walras.load(text).emit("econ")
    assert "guess theta_expert = min(1, cap)" in derived
    mine = walras.load(text + "\nguess theta_expert = 1.2\n")
    lines = [s for s in mine.emit("econ").splitlines() if s.startswith("guess theta_expert")]
    assert lines == ["guess theta_expert = 1.2"]
    assert mine.compile().unknowns == walras.load(text).compile().unknowns


@pytest.mark.slow
def test_leverage_cap_binds_below_a_threshold():
    """Collocation with a continuation from the same economy without the cap (`risk_sharing`
    with the households' risk aversion): the free solution violates the cap for small η, and the
    capped one binds exactly up to a free boundary and is slack above it."""
    solvers = pytest.importorskip("walras.runtime.solvers")
    from walras.api import settings_for

    free = walras.solve(
        walras.load("risk_sharing", gamma_cautious=6.0), method="collocation", degree=24
    )
    params = {k: jnp.asarray(v) for k, v in free.params.items()}
    theta = lambda x: free.compiled.outputs(free.fields, params, x[None])["theta_bold"][0]
    guess = {
        "omega_expert": free.fields["omega_bold"],
        "omega_household": free.fields["omega_cautious"],
        "theta_expert": theta,
    }
    model = walras.load("leverage_cap")
    compiled = model.compile()
    sol = solvers.solve(
        compiled,
        settings_for(model, method="collocation", degree=24),
        compiled.params,
        guess=guess,
        quiet=True,
    )
    ds = sol.dataset
    assert max(abs(v) for v in sol.validation.values()) < 1e-10
    eta, theta = ds.eta_expert.values, ds.theta_expert.values
    assert free.dataset.theta_bold.values[0] > 1.5
    binds = np.isclose(theta, 1.5, atol=1e-9)
    assert binds[0] and not binds[-1]
    star = eta[~binds][0]
    assert 0.1 < star < 0.9 and np.all(binds[eta < star]) and np.all(theta[eta >= star] < 1.5)
    gap = ds.risk_premium - 2.0 * ds.sigma_R * ds.sigma_c_expert
    assert np.all(gap.values[binds] > -1e-10) and np.allclose(gap.values[~binds], 0, atol=1e-7)


# --- many agents ------------------------------------------------------------------------------


def many(n: int) -> str:
    """n CRRA agents trading both assets (risk aversions 2, 5, 8, ...)."""
    agents = "\n".join(
        f"parameter gamma_{i} = {2 + 3 * i}\n"
        f"agent a{i}: utility = crra(gamma_{i}), discount = rho, "
        f"trades = [bond, stock]"
        for i in range(n)
    )
    return f"""model many
parameter rho = 0.05, mu_y = 0.02, sigma_y = 0.05
shock Z
endowment y: drift = mu_y*y, vol[Z] = sigma_y*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
{agents}
"""


def many_fields(n: int) -> dict:
    """Smooth positive trial functions of the n − 1 wealth shares, not a solution."""
    c = np.cos(np.outer(np.arange(n), 1 + np.arange(n - 1)))
    return {
        f"omega_a{i}": (lambda x, i=i: 0.05 + 0.01 * i + 0.02 * jnp.sin(x @ c[i] + i))
        for i in range(n)
    }


@pytest.mark.parametrize("n", [3, 6])
def test_many_agents_match_autodiff_of_the_trial_fields(n):
    """The volatility cycle (I + 1 members: solved symbolically for I = 3, per point for I = 6)
    and the drifts, against derivatives of pd(η) = 1/Σ ω_i η_i and of the ω_i taken here with
    jax.grad and jax.hessian: σ_R = σ_y + ∇log pd·σ_η, stock clearing Σ η_i θ_i = 1, each
    first-order condition μ_R − r = γ_i σ_R (∇log ω_i·σ_η + θ_i σ_R), μ_R by Itô's lemma on pd,
    and each μ_c,i − (r + σ_a,i λ − ω_i + σ_a,i ∇log ω_i·σ_η) = drift(ω_i)/ω_i."""
    compiled = walras.load(many(n)).compile()
    fields = many_fields(n)
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    x = jnp.asarray(np.random.default_rng(0).uniform(0.02, 1 / (n - 1) - 0.02, (4, n - 1)))
    out = {k: np.asarray(v) for k, v in compiled.outputs(fields, params, x).items()}
    shares = lambda e: jnp.append(e, 1 - e.sum())
    omega = lambda e: jnp.stack([fields[f"omega_a{i}"](e) for i in range(n)])
    pd = lambda e: 1 / (omega(e) @ shares(e))
    gamma = 2.0 + 3 * np.arange(n)
    for k, e in enumerate(x):
        at = lambda name: out[name][k]
        each = lambda name, m=n: np.array([at(f"{name}_a{i}") for i in range(m)])
        sig, mu = each("sigma_eta", n - 1), each("mu_eta", n - 1)
        vol_pd = jax.grad(lambda e: jnp.log(pd(e)))(e) @ sig
        vol_omega = jax.jacobian(lambda e: jnp.log(omega(e)))(e) @ sig
        drift = lambda f: (jax.grad(f)(e) @ mu + sig @ jax.hessian(f)(e) @ sig / 2) / f(e)
        sigma_R, theta = at("sigma_R"), each("theta")
        np.testing.assert_allclose(sigma_R, 0.05 + vol_pd, rtol=1e-11)
        np.testing.assert_allclose(theta @ shares(e), 1, rtol=1e-11)
        np.testing.assert_allclose(
            at("risk_premium"), gamma * sigma_R * (vol_omega + theta * sigma_R), rtol=1e-10
        )
        np.testing.assert_allclose(
            at("mu_R"), drift(pd) + 0.02 + 0.05 * vol_pd + 1 / pd(e), rtol=1e-10
        )
        sigma_a = each("sigma_a")
        np.testing.assert_allclose(
            each("mu_c") - (at("r") + sigma_a * at("lambda") - omega(e) + sigma_a * vol_omega),
            [drift(lambda e, i=i: omega(e)[i]) for i in range(n)],
            rtol=1e-9,
            atol=1e-13,
        )


def test_many_agents_program_grows_linearly():
    """The traced residual program grows by the same amount with every agent: the networks of
    the unknowns run as one vmapped call, velocities come from their gradients, and the cycle's
    matrix from one vmapped JVP, so no part of it is traced once per pair of agents."""
    from walras.runtime.solvers.neural.networks import make_field

    def size(n: int) -> int:
        compiled = walras.load(many(n)).compile()
        states = compiled.model.states
        keys = jax.random.split(jax.random.PRNGKey(0), n)
        fields = {
            u.name: make_field(
                k, [s.lo for s in states], [s.hi for s in states], (0.0, None), 8, 2, "tanh"
            )
            for u, k in zip(compiled.model.unknowns, keys)
        }
        arrays, rest = eqx.partition(fields, eqx.is_array)
        params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
        jaxpr = jax.make_jaxpr(lambda a, x: compiled.residuals(eqx.combine(a, rest), params, x))(
            arrays, jnp.full((2, n - 1), 0.01)
        ).jaxpr
        return len(jaxpr.eqns)

    a, b, c = size(4), size(8), size(16)
    assert c - b <= 2.2 * (b - a)


# --- several risky assets -------------------------------------------------------------------

TREES = dict(rho=0.04, mu1=0.02, mu2=0.02, sigma1=0.03, sigma2=0.03)


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_two_trees_price_like_the_quadrature(gamma):
    """Each tree's price over aggregate consumption against the quadrature of its expected
    discounted dividends; with one agent consuming the aggregate dividend, r has a closed form
    and the investor holds each tree in proportion to its value."""
    ds = walras.solve(walras.load("two_trees_economy", gamma=gamma), quiet=True).dataset
    s = ds.s_tree1.values[::10]
    v1 = (ds.pd_tree1 * ds.s_tree1).values[::10]
    v2 = (ds.pd_tree2 * ds.s_tree2).values[::10]
    # the trees have the same parameters, so tree 2's price is tree 1's at the mirrored share
    assert np.max(np.abs(v1 - [two_trees_v(x, gamma=gamma, **TREES) for x in s])) < 1e-8
    assert np.max(np.abs(v2 - [two_trees_v(1 - x, gamma=gamma, **TREES) for x in s])) < 1e-8
    assert np.max(np.abs(ds.omega_investor.values[::10] - 1 / (v1 + v2))) < 1e-12
    p = TREES
    growth = ds.s_tree1 * p["mu1"] + ds.s_tree2 * p["mu2"]
    variance = (ds.s_tree1 * p["sigma1"]) ** 2 + (ds.s_tree2 * p["sigma2"]) ** 2
    r = p["rho"] + gamma * growth - gamma * (gamma + 1) / 2 * variance
    assert float(np.max(np.abs(ds.r - r))) < 1e-9
    value_share = ds.pd_tree1 * ds.s_tree1 / ds.pd_market
    assert float(np.max(np.abs(ds.theta_investor_tree1 - value_share))) < 1e-9
    assert float(np.max(np.abs(ds.theta_investor_tree1 + ds.theta_investor_tree2 - 1))) < 1e-9
    assert ds.sigma_R_tree1.dims[-1] == "shock" and "pd" not in ds


def test_two_agents_with_one_discount_rate_price_two_trees_like_one():
    """Two log agents with one discount rate both hold the market and keep their wealth shares,
    so at every η the economy is the one-agent economy: its solution, lifted to (η, s), solves
    the two-agent model's equations, and each agent holds each tree in proportion to its value."""
    one = walras.solve(walras.load("two_trees_economy", gamma=1.0), quiet=True)
    text = (
        (LIBRARY / "two_trees_economy.econ")
        .read_text()
        .replace(
            "agent investor: utility = crra(gamma), discount = rho, trades = [bond, tree1, tree2]",
            "agent ann: utility = log, discount = rho, trades = [bond, tree1, tree2]\n"
            "agent bob: utility = log, discount = rho, trades = [bond, tree1, tree2]",
        )
    )
    two = walras.load(text).compile()
    assert [s.name for s in two.model.states] == ["eta_ann", "s_tree1"]
    lift = lambda f: lambda x: f(x[1:])
    rho = lambda x: jnp.asarray(TREES["rho"])
    fields = {
        "omega_ann": rho,
        "omega_bob": rho,
        "r": lift(one.fields["r"]),
        "pd_tree1": lift(one.fields["pd_tree1"]),
        "pd_tree2": lift(one.fields["pd_tree2"]),
    }
    eta, s = np.meshgrid(np.linspace(0.1, 0.9, 5), np.linspace(0.05, 0.95, 7))
    x = jnp.asarray(np.stack([eta.ravel(), s.ravel()], -1))
    params = {k: jnp.asarray(v) for k, v in two.params.items() if k != "gamma"}
    for name, r in two.residuals(fields, params, x).items():
        assert float(jnp.max(jnp.abs(r))) < 1e-8, name
    out = two.outputs(fields, params, x)
    share = out["pd_tree1"] * x[:, 1] / out["pd_market"]
    for agent in ("ann", "bob"):
        np.testing.assert_allclose(out[f"theta_{agent}_tree1"], share, atol=1e-9)
        np.testing.assert_allclose(out[f"mu_eta_{agent}"], 0, atol=1e-9)
