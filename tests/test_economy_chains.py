"""Labor endowment chains (`economy_chains`, `economy_chains_derive`): an expert who holds
capital beside households whose labor switches between two values at Poisson rates. References:
Itô's lemma with the jump terms of the chains written out here with jax on trial functions;
and, with rates 0, the riskless economy's saddle path from scipy (`test_economy_labor_agents`),
where each regime is the economy without idiosyncratic risk."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_economy_labor_agents import TWO, P, clenshaw, evaluate, saddle_path

import walras
from walras.grammar import ast, unparse
from walras.grammar.diagnostics import EconError

jax.config.update("jax_enable_x64", True)

CHAINS = (
    TWO.replace("model labor_two", "model labor_chains").replace("labor = ell_h\n", "labor = ell\n")
    + "parameter ell_low = 0.3, ell_high = 1.7, up = 0.4, down = 0.3\n"
    "chain ell: values = [ell_low, ell_high], rate[1, 2] = up, rate[2, 1] = down\n"
)
P = {**P, "ell_low": 0.3, "ell_high": 1.7, "up": 0.4, "down": 0.3}


@pytest.fixture(scope="module")
def chains():
    return walras.load(CHAINS).compile()


def test_each_agent_follows_its_own_chain():
    """`agent household[2]` with `labor = ell`: two discrete states, two shocks each (rate
    `up` where the household is at the first value), a bond state per household; q, r and the
    households' consumption depend on all of them."""
    module = walras.load(CHAINS.replace("agent household:", "agent household[2]:")).lowered
    states = {s.name: s for s in module.statements if isinstance(s, ast.StateDecl)}
    assert list(states) == ["k", "s_household_1", "s_household_2", "b_household_1", "b_household_2"]
    assert states["s_household_1"].values is not None
    shocks = [s.name for s in module.statements if isinstance(s, ast.ShockDecl) and s.rate]
    assert shocks == [f"ell_household_{i}_{a}_{b}" for i in (1, 2) for a, b in ((1, 2), (2, 1))]
    unknowns = {
        s.name: [n.id for n in s.args] for s in module.statements if isinstance(s, ast.UnknownDecl)
    }
    assert list(unknowns) == ["q", "r", "c_household_1", "c_household_2"]
    assert all(set(args) == set(states) for args in unknowns.values())


def test_latex_prints_the_jump_terms_of_the_chain():
    """Each Euler equation and capital's pricing carry one term per switch, the unknowns read
    in the other labor state; the bonds' drift is the budget over K."""
    rows = walras.load(CHAINS).emit("latex").splitlines()
    euler = next(r for r in rows if r.endswith(r"\text{(euler\_household)} \\"))
    for shock in ("ell\\_household\\_1\\_2", "ell\\_household\\_2\\_1"):
        assert rf"\lambda_{{\mathit{{{shock}}}}} \left(\xi_{{\text{{household}}}}\left(k, " in euler
    bonds = next(r for r in rows if r.startswith(r"\mu^{b_{\text{household}}}"))
    assert r"\mathit{wage} \mathit{ell\_household} - c_{\text{household}}" in bonds


def trial(x):
    """Trial q, r and c_household at x = (K, s, b): different in the two regimes."""
    k, s, b = x
    q = 1.6 + 0.1 * jnp.sin(k) + 0.15 * b**2 - 0.05 * k * b + 0.07 * s * (1 + 0.1 * k)
    r = 0.04 + 0.01 * jnp.cos(k + b) - 0.006 * s * b
    c = 0.3 + 0.1 * k**0.5 + 0.2 * b + 0.03 * k * b + 0.25 * s * (1 - 0.1 * b)
    return q, r, c


def by_hand(x, log_holder=False, quadratic=False):
    """The equations at x = (K, s, b): the generator with the chain's jump term,
    λ_s (f(K, 1 − s, b) − f(K, s, b)), and Itô's lemma on the continuous states (K, b). The
    expert consumes what the goods market leaves, or, as a `log_holder` without labor, ρ of
    its wealth (q − b)K; then q solves the goods market where Φ = log(φι + 1)/φ (ι linear in q),
    while with the `quadratic` Φ = (√(1 + 2φι) − 1)/φ (ι = (q² − 1)/(2φ)) q is the trial's and
    the goods market a residual."""
    a, z, phi, delta, sigma, rho = (P[n] for n in ("alpha", "z", "phi", "delta", "sigma", "rho"))

    def economy(x):
        k, s, b = x
        q, r, c_h = trial(x)
        labor_h = jnp.where(s == 0, P["ell_low"], P["ell_high"])
        labor = labor_h if log_holder else P["ell_e"] + labor_h
        y = z * k**a * labor ** (1 - a)
        if log_holder and not quadratic:  # y − (q − 1)K/φ = ρ(q − b)K + c_h
            q = (k + phi * (y - c_h) + phi * rho * b * k) / (k * (1 + phi * rho))
        iota = (q**2 - 1) / (2 * phi) if quadratic else (q - 1) / phi
        c_e = rho * (q - b) * k if log_holder else y - iota * k - c_h
        if quadratic:
            mu_k = (jnp.sqrt(1 + 2 * phi * iota) - 1) / phi - delta
        else:
            mu_k = jnp.log(phi * iota + 1) / phi - delta
        wage = (1 - a) * y / labor
        mu_b = (wage * labor_h - c_h) / k + b * (r - mu_k + sigma**2)
        goods = y - iota * k - c_h - c_e
        mu = jnp.array([mu_k * k, mu_b])
        return dict(q=q, r=r, c_h=c_h, c_e=c_e, y=y, iota=iota, goods=goods, mu=mu)

    k, s, b = x
    e = economy(x)
    vol = jnp.array([sigma * k, -sigma * b])
    rate = jnp.where(s == 0, P["up"], P["down"])
    after = jnp.array([k, 1 - s, b])

    def generator(f):
        def on_continuous(kb):
            return f(jnp.array([kb[0], s, kb[1]]))

        kb = jnp.array([k, b])
        g, h = jax.grad(on_continuous)(kb), jax.hessian(on_continuous)(kb)
        return g @ e["mu"] + vol @ h @ vol / 2 + rate * (f(after) - f(x))

    def xi_e(x):
        return 1 / economy(x)["c_e"]

    def xi_h(x):
        return economy(x)["c_h"] ** -P["gamma_h"]

    def value(x):
        return xi_e(x) * economy(x)["q"] * x[0]

    mpk = a * e["y"] / k
    return dict(
        q=e["q"],
        euler_expert=generator(xi_e) / xi_e(x) + e["r"] - P["rho"],
        euler_household=generator(xi_h) / xi_h(x) + e["r"] - P["rho_h"],
        capital_expert=generator(value) / value(x) + (mpk - e["iota"]) / e["q"] - P["rho"],
        goods_market=e["goods"],
        c_expert=e["c_e"],
    )


POINTS = np.array([[1.3, 0, 0.2], [2.2, 1, 0.55], [3.7, 0, 0.8], [4.9, 1, 0.95]])


def test_the_equations_are_itos_lemma_with_the_chains_jumps(chains):
    fields = {
        n: (lambda i: lambda x: trial(x)[i])(i) for i, n in enumerate(("q", "r", "c_household"))
    }
    out, res = evaluate(chains, fields, POINTS)
    ref = jax.jit(jax.vmap(by_hand))(jnp.asarray(POINTS))
    np.testing.assert_allclose(out["c_expert"], ref["c_expert"], rtol=1e-13)
    for name in ("euler_expert", "euler_household", "capital_expert"):
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-10, atol=1e-13)
    # the jump terms matter: without them the equations would differ by more than 1e-3
    _, still = evaluate(chains, fields, POINTS, up=0.0, down=0.0)
    assert np.all(np.abs(np.asarray(still["euler_household"] - res["euler_household"])) > 1e-3)


SEED = CHAINS.replace("model labor_chains", "model seed_chains").replace(", labor = ell_e\n", "\n")
QUADRATIC = "investment = (sqrt(1 + 2*phi*iota) - 1)/phi"


def trial_fields(names):
    return {
        n: (lambda i: lambda x: trial(x)[i])(i)
        for i, n in enumerate(("q", "r", "c_household"))
        if n in names
    }


def test_a_log_holder_without_labor_consumes_rho_of_its_wealth():
    """Seed 001's expert (log utility, no labor income) consumes ρ(q − b)K, and q solves the
    goods market: the residuals are the equations written out by hand, and capital's pricing
    adds nothing. ξN = 1/ρ is constant, so drift(ξN) = 0, and with dN = qK dR − (wℓ + r bK −
    c_h) dt (the expert holds the capital and owes the household's bonds) that reads
    q·capital − b·euler = goods/K at any functions: where goods clear, capital's pricing is b/q
    times the bond's Euler equation (an identity at b = 0, where the latter alone sets r)."""
    model = walras.load(SEED).compile()
    assert model.unknowns == ("r", "c_household")
    assert model.equations == ("euler_expert", "euler_household")
    out, res = evaluate(model, trial_fields(model.unknowns), POINTS)
    ref = jax.jit(jax.vmap(lambda x: by_hand(x, log_holder=True)))(jnp.asarray(POINTS))
    np.testing.assert_allclose(out["q"], ref["q"], rtol=1e-13)
    np.testing.assert_allclose(out["c_expert"], ref["c_expert"], rtol=1e-13)
    for name in model.equations:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ref["goods_market"], 0, atol=1e-14)
    b, q = POINTS[:, 2], np.asarray(ref["q"])
    np.testing.assert_allclose(ref["capital_expert"], b / q * ref["euler_expert"], rtol=1e-9)
    assert np.all(np.abs(np.asarray(ref["euler_expert"])) > 1e-3)  # the trial is no solution


def test_where_sympy_cannot_solve_for_q_the_goods_market_is_its_equation():
    """With Φ = (√(1 + 2φι) − 1)/φ the goods market is quadratic in q: q stays an unknown and
    the goods market is its equation, against the same equations by hand; the identity
    q·capital − b·euler = goods/K holds at trial functions that do not clear goods."""
    model = walras.load(SEED.replace("investment = log(phi*iota + 1)/phi", QUADRATIC)).compile()
    assert model.equations == ("euler_expert", "euler_household", "goods_market")
    _, res = evaluate(model, trial_fields(model.unknowns), POINTS)
    ref = jax.jit(jax.vmap(lambda x: by_hand(x, log_holder=True, quadratic=True)))(POINTS)
    for name in model.equations:
        np.testing.assert_allclose(res[name], ref[name], rtol=1e-10, atol=1e-13)
    k, b, q = POINTS[:, 0], POINTS[:, 2], np.asarray(ref["q"])
    identity = q * ref["capital_expert"] - b * ref["euler_expert"]
    np.testing.assert_allclose(identity, ref["goods_market"] / k, rtol=1e-9, atol=1e-13)
    assert np.all(np.abs(np.asarray(ref["goods_market"])) > 1e-2)  # the trial does not clear


def test_the_log_holder_meets_the_riskless_saddle_path():
    """Rates 0, σ = 0, a log household in the high state and the expert without labor: on
    scipy's saddle path the expert consumes ρ(q − b)K (it has no human wealth): the goods
    market's root is the saddle path's q, and every equation holds."""
    model = walras.load(SEED).compile()
    fields, k_star, _, _ = saddle_fields(1, P["ell_high"], expert=0.0)
    x = np.column_stack([k_star * np.array([0.65, 0.9, 1.3]), np.ones(3), [0.1, 0.4, 0.2]])
    out, res = evaluate(model, fields, x, sigma=0.0, up=0.0, down=0.0, gamma_h=1.0)
    np.testing.assert_allclose(out["q"], [fields["q"](p) for p in x], rtol=1e-10)
    for name in model.equations:
        np.testing.assert_allclose(res[name], 0, atol=1e-10)


def saddle_fields(households: int, ell: float, expert: float = P["ell_e"]) -> tuple:
    """The riskless economy's solution with `households` households at labor `ell` and the
    expert's labor `expert` (scipy's saddle path): the fields q, r and c_<household>, K*, human
    wealth H(K) and labor L."""
    n = households
    names = ["household"] if n == 1 else [f"household_{i}" for i in range(1, n + 1)]
    a, z, phi, delta, rho = (P[name] for name in ("alpha", "z", "phi", "delta", "rho"))
    labor = expert + n * ell
    k_star, q_fit, h_fit = saddle_path(labor)

    def q(x):
        return clenshaw(q_fit, x[0])

    def human(k):
        return clenshaw(h_fit, k)

    def r(x):
        k = x[0]
        k_dot = (jnp.log(q(x)) / phi - delta) * k
        return (jax.grad(human)(k) * k_dot + (1 - a) * z * k**a * labor ** (1 - a)) / human(k)

    def consumption(share):
        return lambda x: rho * (share(x) * x[0] + human(x[0]) * ell / labor)

    fields = {"q": q, "r": r}
    for j, name in enumerate(names):
        fields[f"c_{name}"] = consumption(lambda x, j=j: x[1 + n + j])
    return fields, k_star, human, labor


def never_switching(model, riskless, households: int, ell: float, **params):
    """Rates 0, σ = 0, log utility and one discount rate, every household in the state whose
    labor is `ell`: that regime is the riskless economy of `test_economy_labor_agents` with
    the households' labor fixed, whose solution is scipy's saddle path: q(K), human wealth
    H(K), each agent consuming ρ times its financial and human wealth,
    c_j = ρ(b_j K + H ℓ_j/L), and r = (H'(K)K̇ + wL)/H. Those functions meet the chain
    economy's equations there, and r is the rate the economy without chains (`riskless`)
    derives at the same point (η_j = b_j/q)."""
    n = households
    names = ["household"] if n == 1 else [f"household_{i}" for i in range(1, n + 1)]
    rho = P["rho"]
    fields, k_star, human, labor = saddle_fields(n, ell)
    q = fields["q"]

    def consumption(share):
        return lambda x: rho * (share(x) * x[0] + human(x[0]) * ell / labor)

    s = float(ell == P["ell_high"])
    bonds = np.array([[0.1, 0.3], [0.4, 0.05], [0.2, 0.2]])[:, :n]
    x = np.column_stack([k_star * np.array([0.65, 0.9, 1.3]), np.full((3, n), s), bonds])
    out, res = evaluate(model, fields, x, sigma=0.0, up=0.0, down=0.0, **params)
    for name in ("euler_expert", "capital_expert", *(f"euler_{h}" for h in names)):
        np.testing.assert_allclose(res[name], 0, atol=1e-10)
    # the economy without chains at the same point: states K, η_expert and the first n − 1
    # households' shares; financial wealth η_j q K
    eta = x[:, 1 + n :] / np.asarray(out["q"])[:, None]
    y = np.column_stack([x[:, 0], 1 - eta.sum(axis=1), eta[:, :-1]])

    def eta_of(j):
        return lambda y: (y[2 + j] if j < n - 1 else 1 - jnp.sum(y[1:])) * q(y)

    old = {"q": q, **{f"c_{h}": consumption(eta_of(j)) for j, h in enumerate(names)}}
    base, base_res = evaluate(riskless, old, y, sigma=0.0, ell_low=ell, **params)
    np.testing.assert_allclose(base["r"], out["r"], rtol=1e-9)
    for name in ("capital_expert", *(f"euler_{h}" for h in names)):
        np.testing.assert_allclose(base_res[name], 0, atol=1e-10)


def test_the_borrowing_limit_binds_where_the_household_would_borrow(chains):
    """At b = 0 the household may not borrow: min(ρ − r − drift(ξ)/ξ, wℓ − c) = 0 there. With
    rates 0, σ = 0 and log utility, on scipy's saddle path the Euler equation holds, so the
    face's residual is min(0, wℓ − c) with c = ρHℓ/L (H discounted at r): 0 below K*, where
    r > ρ and the household saves, and wℓ − c < 0 above it, where r < ρ and it would borrow."""
    ell = P["ell_high"]
    fields, k_star, human, labor = saddle_fields(1, ell)
    k = k_star * np.array([0.6, 0.8, 0.95, 1.05, 1.3])
    x = np.column_stack([k, np.ones_like(k), np.zeros_like(k)])  # (k, s, b) at the face b = 0
    values = {**chains.params, "sigma": 0.0, "up": 0.0, "down": 0.0, "gamma_h": 1.0}
    values = {n: jnp.asarray(v) for n, v in values.items()}
    name = "boundary_b_household_lo"
    at_face = chains.boundary_residuals(fields, values, {name: jnp.asarray(x)}, only=name)[name]
    a, z = P["alpha"], P["z"]
    wage = (1 - a) * z * k**a * labor ** (-a)
    room = ell * (wage - P["rho"] * np.array([float(human(v)) for v in k]) / labor)
    assert np.all(room[:3] > 1e-3) and np.all(room[3:] < -1e-3)
    np.testing.assert_allclose(at_face, np.minimum(room, 0.0), atol=1e-10)


def without_chains(text: str):
    return text.replace("labor = ell\n", "labor = ell_low\n").replace("chain ell:", "# chain:")


def test_a_chain_that_never_switches_is_the_economy_without_idiosyncratic_risk(chains):
    """One household with log utility (γ_h = 1), in the high state."""
    riskless = walras.load(without_chains(CHAINS)).compile()
    never_switching(chains, riskless, 1, P["ell_high"], gamma_h=1.0)


@pytest.mark.slow
def test_households_whose_chains_never_switch_are_the_economy_without_idiosyncratic_risk():
    """Two households, both low and both high."""
    text = CHAINS.replace("agent household:", "agent household[2]:")
    model, riskless = (walras.load(t).compile() for t in (text, without_chains(text)))
    for ell in (P["ell_low"], P["ell_high"]):
        never_switching(model, riskless, 2, ell, gamma_h=1.0)


@pytest.mark.parametrize(
    "old, new, words, at",
    [
        ("rate[2, 1] = down", "rate[2, 3] = down", "positions 1 to 2", "rate[2, 3]"),
        ("rate[2, 1] = down", "rate[1, 1] = down", "switches a value to itself", "rate[1, 1]"),
        ("rate[2, 1] = down", "rate[1, 2] = down", "declared twice", "rate[1, 2] = down"),
        ("values = [ell_low, ell_high]", "values = [ell_low]", "needs two or more", "chain"),
        ("labor = ell\n", "labor = ell_low\n", "not the labor of any agent", "chain"),
        (",\n    output = z*k^alpha*labor^(1 - alpha)", "", "no capital stock's output", "chain"),
        (
            "household: utility = crra(gamma_h), discount = rho_h,",
            "household[i in 1:5]: utility = crra(gamma_h), discount = rho_h + 0.001*i,",
            "32 discrete states",
            "chain",
        ),
    ],
)
def test_mistakes_in_chains_are_located(old, new, words, at):
    """Each mistake is E237 (E238 for too many states) with the place it was made."""
    assert old in CHAINS
    text = CHAINS.replace(old, new)
    with pytest.raises(EconError) as e:
        walras.load(text).lowered
    code = "E238" if "states" in words else "E237"
    d = next(d for d in e.value.diagnostics if d.code == code)
    assert words in d.message, d
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1 :].startswith(at), (line, d.span)


ONE = """model one_chain
parameter alpha = 0.3, z = 1, phi = 10, delta = 0.05, rho = 0.05, sigma = 0
parameter ell_low = 0.8, ell_high = 1.2, up = 0.4, down = 0.4
shock Z
capital k: investment = log(phi*iota + 1)/phi, depreciation = delta, vol[Z] = sigma*k,
    output = z*k^alpha*labor^(1 - alpha)
state k in [1.8, 3.8]
chain ell: values = [ell_low, ell_high], rate[1, 2] = up, rate[2, 1] = down
asset bond: riskless, supply = 0
asset claim: capital = k, supply = 1
agent worker: utility = log, discount = rho, trades = [bond, claim], labor = ell
guess q = 1.49 + 0.39*s_worker - 0.25*(k - 2.8)
guess r = rho
"""


def one_worker_reference(degree=24):
    """One log agent who holds capital and whose labor switches (σ = 0): with V_s = q_s K/c_s,
    c_s = y_s − ι_s K, capital's pricing is V_s' μ_s K + λ_s (V_other − V_s) +
    ((∂y/∂K − ι_s)/q_s − ρ) V_s = 0 in each regime s, two ODEs coupled by the switches and
    singular where μ_s = Φ(ι_s) − δ vanishes. Written here with numpy and solved by Chebyshev
    collocation with scipy (Levenberg-Marquardt, then Powell's hybrid method to rounding);
    the drift of K points inward at both ends in both regimes, so no boundary condition."""
    from numpy.polynomial import chebyshev as cheb
    from scipy.optimize import root

    a, z, phi, delta, rho = 0.3, 1.0, 10.0, 0.05, 0.05
    ell, lam, lo, hi = (0.8, 1.2), (0.4, 0.4), 1.8, 3.8
    t = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
    k = lo + (hi - lo) * (t + 1) / 2

    def residuals(flat):
        coef = flat.reshape(2, degree + 1)
        v, parts = [], []
        for s in (0, 1):
            q = cheb.chebval(t, coef[s])
            dq = cheb.chebval(t, cheb.chebder(coef[s])) * 2 / (hi - lo)
            y = z * k**a * ell[s] ** (1 - a)
            iota, mu = (q - 1) / phi, np.log(q) / phi - delta
            c, dc = y - iota * k, a * y / k - iota - k * dq / phi
            v.append(q * k / c)
            parts.append(((dq * k + q) / c - q * k * dc / c**2, mu, (a * y / k - iota) / q))
        return np.concatenate(
            [
                dv * mu * k + lam[s] * (v[1 - s] - v[s]) + (dividend - rho) * v[s]
                for s, (dv, mu, dividend) in enumerate(parts)
            ]
        )

    start = np.zeros((2, degree + 1))
    start[:, 0] = np.exp(phi * delta)
    tight = dict(xtol=1e-14, ftol=1e-14, maxiter=20000)
    rough = root(residuals, start.ravel(), method="lm", options=tight)
    fine = root(residuals, rough.x, method="hybr", options=dict(xtol=1e-14))
    assert np.max(np.abs(residuals(fine.x))) < 1e-13
    coef = fine.x.reshape(2, degree + 1)
    return [cheb.Chebyshev(c, domain=[lo, hi]) for c in coef]


def one_worker_fields(series):
    def q(x):
        return jnp.where(x[1] == 0, clenshaw(series[0], x[0]), clenshaw(series[1], x[0]))

    return {"q": q, "r": lambda x: 0.0 * x[0]}


@pytest.mark.slow
def test_one_worker_with_a_chain_meets_the_scipy_reference():
    """The reference's q meets the lowered capital equation (the compiler's generator with the
    chain's jump term) in both regimes; the Euler equation then defines r."""
    series = one_worker_reference()
    model = walras.load(ONE).compile()
    x = np.array([[k, s] for k in (1.85, 2.4, 3.1, 3.75) for s in (0.0, 1.0)])
    _, res = evaluate(model, one_worker_fields(series), x)
    np.testing.assert_allclose(res["capital_worker"], 0, atol=1e-12)
    _, off = evaluate(model, one_worker_fields(series), x, up=0.0)
    assert np.max(np.abs(np.asarray(off["capital_worker"]))) > 1e-3  # the switches matter


@pytest.mark.slow
def test_one_worker_with_a_chain_solves_to_the_scipy_reference():
    """Collocation from the file's guess (from a constant start Newton finds a solution at the
    nodes whose coefficients do not decay) reaches the reference: q and r to 1e-9."""
    series = one_worker_reference()
    model = walras.load(ONE)
    solution = walras.solve(model, method="collocation", degree=16)
    assert solution.converged, solution.message
    x = np.array([[k, s] for k in np.linspace(1.8, 3.8, 41) for s in (0.0, 1.0)])
    values = solution.evaluate(x)
    q = np.where(x[:, 1] == 0, series[0](x[:, 0]), series[1](x[:, 0]))
    np.testing.assert_allclose(values["q"].values, q, rtol=1e-9)
    _, res = evaluate(model.compile(), one_worker_fields(series), x)
    np.testing.assert_allclose(values["r"].values, -np.asarray(res["euler_worker"]), atol=1e-9)


def test_ten_exchangeable_households_are_pooled():
    """`agent household[10]` with a two-state chain: 2^10 positions are too many, so the layer
    keeps the number at the high value (0 to 10) and two shocks per household; a switch swaps
    the switching household's bonds with the last high one's (down) or the first low one's
    (up)."""
    module = walras.load(CHAINS.replace("agent household:", "agent household[10]:")).lowered
    states = {s.name: s for s in module.statements if isinstance(s, ast.StateDecl)}
    assert len(states["n_ell"].values) == 11 and len(states) == 12
    processes = {s.state: s for s in module.statements if isinstance(s, ast.ProcessDecl)}
    assert len(processes["n_ell"].jumps) == 20
    first = {j.shock: unparse.expr(j.expr) for j in processes["b_household_1"].jumps}
    assert first["ell_household_3_down"] == "(n_ell == 1)*(b_household_3 - b_household_1)"
    assert first["ell_household_3_up"] == "(n_ell + 1 == 1)*(b_household_3 - b_household_1)"


def symmetric(x, names):
    """Trial q, r and households' consumption of the economy with every chain written out,
    symmetric in the two households ((s_1, b_1) and (s_2, b_2) exchanged exchanges c_1, c_2)."""
    v = dict(zip(names, x))
    k, s1, s2, b1, b2 = (
        v[n] for n in ("k", "s_household_1", "s_household_2", "b_household_1", "b_household_2")
    )

    def c(s, t, b, d):
        return 0.3 + 0.1 * k**0.5 + 0.2 * b - 0.05 * d + 0.25 * s + 0.04 * t * (1 + b)

    q = 1.6 + 0.1 * jnp.sin(k) + 0.07 * (s1 + s2) + 0.1 * b1 * b2 - 0.03 * (s1 * b1 + s2 * b2)
    r = 0.04 + 0.01 * jnp.cos(k) - 0.006 * (s1 * b2 + s2 * b1)
    return q, r, c(s1, s2, b1, b2), c(s2, s1, b2, b1)


@pytest.mark.slow
def test_pooled_households_meet_the_equations_of_households_written_out(monkeypatch):
    """Two households pooled (forced by a bound of 3 states) against the same two written out
    (four positions): at trial functions symmetric in the households, the pooled economy at
    (K, n, b) has the residuals of the written-out one at positions (n ≥ 1, n ≥ 2), the
    switches of the pooled one reading the other household's place after its bonds swap."""
    from walras.compiler import economy_chains

    text = CHAINS.replace("agent household:", "agent household[2]:")
    full = walras.load(text).compile()
    monkeypatch.setattr(economy_chains, "MAX_COMBINATIONS", 3)
    pooled = walras.load(text + "# pooled\n").compile()
    assert "n_ell" in pooled.states and "s_household_1" in full.states
    names = list(full.states)
    fields = {
        n: (lambda i: lambda x: symmetric(x, names)[i])(i)
        for i, n in enumerate(("q", "r", "c_household_1", "c_household_2"))
    }

    def written_out(x):
        """The point of the written-out economy where the pooled one is at x: positions
        (n ≥ 1, n ≥ 2), the same K and bonds."""
        v = dict(zip(pooled.states, x))
        v["s_household_1"], v["s_household_2"] = (v["n_ell"] >= 1) * 1.0, (v["n_ell"] >= 2) * 1.0
        return jnp.stack([v[m] for m in names])

    pooled_fields = {n: (lambda f: lambda x: f(written_out(x)))(f) for n, f in fields.items()}
    rows = [(1.3, 0, 0.2, 0.4), (2.2, 1, 0.45, 0.1), (3.1, 1, 0.05, 0.3), (4.4, 2, 0.3, 0.25)]
    order = {"k": 0, "n_ell": 1, "b_household_1": 2, "b_household_2": 3}
    x_pooled = np.array([[row[order[m]] for m in pooled.states] for row in rows])
    x_full = np.array([np.asarray(written_out(jnp.asarray(x))) for x in x_pooled])
    _, res_full = evaluate(full, fields, x_full)
    _, res_pooled = evaluate(pooled, pooled_fields, x_pooled)
    for name in ("euler_expert", "capital_expert", "euler_household_1", "euler_household_2"):
        np.testing.assert_allclose(res_pooled[name], res_full[name], rtol=1e-10, atol=1e-13)
        assert np.all(np.abs(np.asarray(res_full[name])) > 1e-4)  # no solution
