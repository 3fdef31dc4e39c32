"""Controls and HJBs with a max: the first-order conditions derived and solved symbolically,
checked against closed forms (neoclassical growth, Merton's portfolio problem), bounds as
constraints, and the errors of a control or a maximand that is wrong."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError
from walras.runtime.solvers.base import Problem

MERTON = """
model merton "Merton's consumption and portfolio choice"
parameter gamma = 3, rho = 0.05, r = 0.02, mu = 0.08, sigma = 0.2
state w in [0.5, 2]
shock Z
control c > 0                 "consumption"
control theta {bound}         "share of wealth in the risky asset"
unknown V(w)
process w: drift = r*w + theta*(mu - r)*w - c, vol[Z] = theta*sigma*w
equation hjb: rho*V = max(c, theta): c^(1 - gamma)/(1 - gamma)
    + d(V, w)*(r*w + theta*(mu - r)*w - c) + 0.5*d(V, w, w)*theta^2*sigma^2*w^2
"""


def _outputs(model, fields, points):
    compiled = model.compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    return {k: np.asarray(v) for k, v in compiled.outputs(fields, params, points).items()}


def _merton_closed_form(gamma, rho, r, mu, sigma, theta):
    """V = a w^(1-γ)/(1-γ) with c = a^(-1/γ) w, at a constant share θ: the HJB divided by
    w^(1-γ) gives a^(-1/γ) = (ρ - (1-γ)(r + θ(μ-r) - γθ²σ²/2))/γ."""
    m = (rho - (1 - gamma) * (r + theta * (mu - r) - gamma * theta**2 * sigma**2 / 2)) / gamma
    a = m ** (-gamma)
    return a, m


@pytest.mark.parametrize("bound, capped", [("", False), ("in [0, 0.5]", True)])
def test_merton_two_controls_solve_jointly_to_the_closed_form(bound, capped):
    """Consumption and the portfolio share from the joint first-order conditions: at Merton's
    value function the optimum is c = a^(-1/γ) w and θ = (μ - r)/(γσ²) = 0.5 (or the cap 0.5
    of `in [0, 0.5]` when it binds: here θ* = 0.5 exactly, so a cap at 0.4 is checked too), and
    the HJB's residual vanishes."""
    gamma, rho, r, mu, sigma = 3, 0.05, 0.02, 0.08, 0.2
    for cap in (0.5, 0.4) if capped else (None,):
        text = MERTON.format(bound=bound.replace("0.5", str(cap)) if cap else bound)
        model = walras.load(text)
        theta = (
            (mu - r) / (gamma * sigma**2)
            if cap is None
            else min(cap, (mu - r) / (gamma * sigma**2))
        )
        a, m = _merton_closed_form(gamma, rho, r, mu, sigma, theta)
        fields = {"V": lambda p: a * p[0] ** (1 - gamma) / (1 - gamma)}
        w = np.linspace(0.5, 2, 7)
        out = _outputs(model, fields, jnp.asarray(w[:, None]))
        np.testing.assert_allclose(out["c"], m * w, rtol=1e-12)
        np.testing.assert_allclose(out["theta"], theta, rtol=1e-12)
        assert np.abs(out["residual_hjb"]).max() < 1e-12 * np.abs(rho * a * w ** (1 - gamma)).max()


GROWTH = dict(gamma=5.0, alpha=0.3, A=1.0, delta=0.1, rho=0.05)


def _growth_closed_form(k, gamma, alpha, A, delta, rho):
    """With ρ = δ(αγ − 1): c = (1 − 1/γ) A k^α, V = ((1 − 1/γ)A)^(−γ) k^(1−αγ)/(1 − αγ)
    (docs/models/growth.md derives both)."""
    assert np.isclose(rho, delta * (alpha * gamma - 1))
    theta = 1 - 1 / gamma
    return theta * A * k**alpha, (theta * A) ** (-gamma) * k ** (1 - alpha * gamma) / (
        1 - alpha * gamma
    )


def test_growth_derives_consumption_from_the_first_order_condition():
    """growth.econ's control: c = (∂V/∂k)^(−1/γ), derived by the compiler; at the closed-form
    value function it is the closed-form consumption and the HJB's residual vanishes."""
    model = walras.load("growth")
    assert model.params == GROWTH
    assert "c = (1/V__k)**(1/gamma)" in model.emit("sympy")
    latex = model.emit("latex")
    assert r"\max_{c}" in latex and r"\text{(first-order condition)}" in latex
    k = np.linspace(1, 5, 9)
    c_ref, v_ref = _growth_closed_form(k, **GROWTH)
    g, al, A = GROWTH["gamma"], GROWTH["alpha"], GROWTH["A"]
    scale = ((1 - 1 / g) * A) ** (-g) / (1 - al * g)
    fields = {"V": lambda p: scale * p[0] ** (1 - al * g)}
    out = _outputs(model, fields, jnp.asarray(k[:, None]))
    np.testing.assert_allclose(out["c"], c_ref, rtol=1e-12)
    np.testing.assert_allclose(out["V"], v_ref, rtol=1e-12)
    assert np.abs(out["residual_hjb"]).max() < 1e-12 * np.abs(GROWTH["rho"] * v_ref).max()


def _errors(text: str) -> list[tuple[str, int]]:
    with pytest.raises(EconError) as err:
        walras.load(text).checked  # noqa: B018
    return [(d.code, d.span.line if d.span else None) for d in err.value.diagnostics]


HEAD = """model m
parameter rho = 0.05, gamma = 2
state k in [1, 2]
unknown V(k)
"""


@pytest.mark.parametrize(
    "body, code, line",
    [
        # a control that no max chooses
        (
            "control c > 0\nprocess k: drift = 1 - c\nequation hjb: rho*V = log(c) + drift(V)",
            "E160",
            5,
        ),
        # max over an unknown
        ("process k: drift = 1\nequation hjb: rho*V = max(V): drift(V)", "E161", 6),
        # linear in the control: no interior maximum
        (
            "control c > 0\nprocess k: drift = 1 - c\nequation hjb: rho*V = max(c): c + drift(V)",
            "E162",
            5,
        ),
        # convex in the control
        (
            "control c > 0\nprocess k: drift = 1 - c\nequation hjb: rho*V = max(c): c^2 + drift(V)",
            "E162",
            5,
        ),
        # first-order conditions with several roots, none excluded by a bound or concavity
        (
            "control c\nprocess k: drift = 1 - k\n"
            "equation hjb: rho*V = max(c): -(c^2 - 1)^2 - c*d(V, k) + drift(V)",
            "E163",
            7,
        ),
        # bounds reversed
        (
            "control c in [1, 0]\nprocess k: drift = 1 - c\n"
            "equation hjb: rho*V = max(c): log(c) + drift(V)",
            "E164",
            5,
        ),
        # a volatility that moves with the control, hidden inside drift(V)
        (
            "shock Z\ncontrol c > 0\nprocess k: drift = 1, vol[Z] = c\n"
            "equation hjb: rho*V = max(c): log(c) - c + drift(V)",
            "E165",
            8,
        ),
        # a cost |i| of trading: no derivative at i = 0, one branch would be taken everywhere
        (
            "control i\nprocess k: drift = i - k\n"
            "equation hjb: rho*V = max(i): -abs(i) - i^2 + drift(V)",
            "E163",
            7,
        ),
        # max spelt with another function
        (
            "control c > 0\nprocess k: drift = 1 - c\n"
            "equation hjb: rho*V = min(c): log(c) + drift(V)",
            "E013",
            7,
        ),
    ],
)
def test_control_errors_are_located(body, code, line):
    found = _errors(HEAD + body)
    assert (code, line) in found, found


def test_a_positive_control_inside_abs_is_not_a_kink():
    """abs(c) of a control declared > 0 is c: the maximand log(c) − abs(c) is differentiable, and
    c = 1/(1 + V_k) (the root of 1/c − 1 − V_k = 0)."""
    model = walras.load(
        HEAD
        + "control c > 0\nprocess k: drift = 1 - c - k\n"
        + "equation hjb: rho*V = max(c): log(c) - abs(c) + drift(V)"
    )
    out = _outputs(model, {"V": lambda p: 0.5 * p[0]}, jnp.asarray([[1.5]]))
    np.testing.assert_allclose(out["c"], 1 / 1.5, rtol=1e-14)


def test_a_bounded_control_is_clipped_where_the_bound_binds():
    """`control i in [0, 1]` with H = log(1 + i) − i·V_k: the root i = 1/V_k − 1 clipped to
    [0, 1] (the Kuhn-Tucker solution of a concave maximand)."""
    model = walras.load(
        HEAD
        + "control i in [0, 1]\nprocess k: drift = 1 - i - k\n"
        + "equation hjb: rho*V = max(i): log(1 + i) + drift(V)"
    )
    slopes = np.array([0.25, 0.6, 1.0, 2.0, 4.0])  # V = s k: V_k = s
    for s in slopes:
        out = _outputs(model, {"V": lambda p, s=s: s * p[0]}, jnp.asarray([[1.5]]))
        np.testing.assert_allclose(out["i"], np.clip(1 / s - 1, 0, 1), rtol=1e-14, atol=1e-15)


def test_the_stable_arm_reference_meets_the_closed_form():
    """The Euler-equation reference (tests/growth_reference.py) where the closed form holds, and
    its refinement in the step off the steady state where it does not (ρ = 0.04)."""
    from growth_reference import stable_arm

    k = np.linspace(1, 5, 41)
    c_ref, v_ref = _growth_closed_form(k, **GROWTH)
    c, v = stable_arm(k, **GROWTH)
    assert np.abs(c - c_ref).max() < 1e-10 and np.abs(v - v_ref).max() < 1e-9
    variant = dict(GROWTH, rho=0.04)
    (c1, v1), (c2, v2) = stable_arm(k, **variant), stable_arm(k, **variant, step=1e-5)
    assert np.abs(c1 - c2).max() < 1e-10 and np.abs(v1 - v2).max() < 1e-8


def test_growth_with_defaults_lands_on_the_stable_arm():
    """`walras solve growth` with defaults (collocation from the file's guess: consumption at the
    steady state's share of output, V' = u'(c0)): the closed form, c within 1e-9 and V within 1e-9
    of max |V| (measured: 9e-12, one Newton iteration: at the closed form the share is 1 − 1/γ)."""
    solution = walras.solve("growth")
    assert solution.converged, solution.message
    k = np.linspace(1, 5, 101)
    c_ref, v_ref = _growth_closed_form(k, **GROWTH)
    found = solution.evaluate({"k": k})
    assert np.abs(found["c"].values - c_ref).max() < 1e-9
    assert np.abs(found["V"].values - v_ref).max() < 1e-9 * np.abs(v_ref).max()


def test_a_stable_arm_that_leaves_the_domain_is_not_converged():
    """A = 2 puts the steady state at k* = 7.25, beyond the edge k = 5 where the file gives no
    condition: the stable arm saves there (its drift points out of the domain), so the solve is
    reported not converged, saying where, though it found the arm (c within 1e-8)."""
    from growth_reference import stable_arm

    solution = walras.solve(walras.load("growth", A=2))
    assert not solution.converged
    assert "drift of k points out of the domain at its upper edge k = 5" in solution.message
    k = np.linspace(1, 5, 41)
    c_ref, _ = stable_arm(k, **dict(GROWTH, A=2))
    assert np.abs(solution.evaluate({"k": k})["c"].values - c_ref).max() < 1e-8


def test_a_solve_that_does_not_converge_names_an_edge_its_drift_leaves():
    """The same economy (k* = 7.25 beyond k = 5), a neural solve cut short: not converged, and
    the message names the edge where the drift points out, a likely cause."""
    solution = walras.solve(walras.load("growth", A=2), method="neural", steps=200, polish=0)
    assert not solution.converged
    assert "drift of k points out of the domain at its upper edge k = 5" in solution.message
    assert "depend on what lies beyond it" in solution.message


def test_the_walk_in_pseudo_time_sees_the_time_derivative_of_an_hjb():
    """γ = 2, ρ = 0.01: from the file's start, a step of 0.01 in every coefficient made V' < 0
    somewhere, the consumption of the first-order condition NaN and the check of time
    derivatives false ("no equation holds a time derivative"); a relative step keeps V' > 0."""
    from walras.runtime.solvers.collocation import pseudo_time
    from walras.runtime.solvers.collocation.start_values import constant_guess, interpolated
    from walras.runtime.solvers.collocation.systems import Systems
    from walras.runtime.solvers.start import start_guess

    problem = Problem.build(walras.load("growth", gamma=2, rho=0.01).compile(), None)
    system = Systems(problem, "auto").get(32, 1, 0.0)
    params = {k: jnp.asarray(v) for k, v in problem.params.items()}
    start = start_guess(problem, problem.params, None, constant_guess(problem, problem.params))
    assert pseudo_time.stepper(system).dynamic(interpolated(system, start), params, system.plan({}))


@pytest.mark.slow
@pytest.mark.parametrize(
    "change",
    [
        {"rho": 0.03},
        {"rho": 0.07},
        {"gamma": 10},
        {"alpha": 0.36},
        {"delta": 0.05},
        {"gamma": 2, "rho": 0.01},
        {"gamma": 1.5, "rho": 0.03},
    ],
)
def test_growth_without_the_closed_form_matches_the_stable_arm(change):
    """Parameters where no closed form holds, defaults (4-45 s each), against the Euler-equation
    reference: c within 1e-8, V within 1e-8 of max |V| (measured: c 3e-12 to 3e-11). δ = 0.05
    (k* = 4.8, near the edge) and γ = 2 with ρ = 0.01 reach the arm by the walk in pseudo-time
    after a direct solve that fails (before: exit 2, a branch that saves at k = 5 and a kinked
    one)."""
    from growth_reference import stable_arm

    solution = walras.solve(walras.load("growth", **change))
    assert solution.converged, solution.message
    k = np.linspace(1, 5, 101)
    c_ref, v_ref = stable_arm(k, **dict(GROWTH, **change))
    found = solution.evaluate({"k": k})
    assert np.abs(found["c"].values - c_ref).max() < 1e-8
    assert np.abs(found["V"].values - v_ref).max() < 1e-8 * np.abs(v_ref).max()


NEWTON = (
    HEAD
    + """control c {bound}
process k: drift = 1 - k
equation hjb: rho*V = max(c): log(c) - exp(c) - c*d(V, k) + drift(V)
"""
)


@pytest.mark.parametrize("bound, lo, hi", [("> 0", 0, np.inf), ("in [0.1, 0.3]", 0.1, 0.3)])
def test_a_condition_without_closed_form_is_solved_per_point(bound, lo, hi):
    """1/c − e^c = V_k has no closed form: Newton's method at each point, against scipy's
    brentq (clipped to the constraint `in [0.1, 0.3]`), and the derivative of c in V_k through
    the solve (implicit function: dc/dV_k = −1/(1/c² + e^c)) against that formula."""
    from scipy.optimize import brentq

    model = walras.load(NEWTON.format(bound=bound))
    assert "newton(0 = [-V__k - exp(c) + 1/c])" in model.emit("sympy")
    assert r"\arg\max_{c}" in model.emit("latex")
    compiled = model.compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}

    def control(s):
        fields = {"V": lambda p: s * p[0]}
        return compiled.outputs(fields, params, jnp.asarray([[1.5]]))["c"][0]

    import jax

    for s in (0.05, 0.5, 3.0, 20.0, 300.0):
        root = brentq(lambda c: 1 / c - np.exp(c) - s, 1e-12, 50, xtol=1e-15)
        assert abs(float(control(s)) - np.clip(root, lo, hi)) < 1e-12 * max(root, 1)
        inside = lo < root < hi
        slope = -1 / (1 / root**2 + np.exp(root)) if inside else 0.0
        assert abs(float(jax.grad(control)(s)) - slope) < 1e-9 * max(abs(slope), 1e-3)
