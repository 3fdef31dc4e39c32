"""Itô expansion and code generation against independent derivatives.

The reference takes each test expression, substitutes explicit functions for the unknowns, and
computes drift and volatility from the full gradient and Hessian in sympy: a different route
from walras's (derivative atoms, nested JVPs along volatility vectors, no Hessian)."""

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import walras

MODEL = """
model test "two states, two shocks"
parameter m1 = 0.03, m2 = -0.02, s11 = 0.2, s12 = 0.05, s22 = 0.15
state x in [0.5, 1.5]
state y in [0.2, 1.0]
shock Z, W
process x: drift = m1*x, vol[Z] = s11*x, vol[W] = s12*x*y
process y: drift = m2*(1 - y), vol[W] = s22*y
unknown f(x, y)
unknown g(x)
let e = {expr}
let drift_e = drift(e)
let vol_e_Z = vol(e, Z)
let vol_e_W = vol(e, W)
let dx_e = d(e, x)
let dxy_e = d(e, x, y)
equation ef: f = 1
equation eg: g = 1
"""

x, y = sp.symbols("x y")
P = dict(m1=0.03, m2=-0.02, s11=0.2, s12=0.05, s22=0.15)
F = sp.sin(x) * sp.exp(y / 2) + x * y  # the explicit unknowns
G = sp.log(1 + x**2)
MU = [P["m1"] * x, P["m2"] * (1 - y)]
SIG = {"Z": [P["s11"] * x, 0], "W": [P["s12"] * x * y, P["s22"] * y]}


def reference(expr_text: str):
    e = sp.sympify(expr_text.replace("^", "**"), locals={"f": F, "g": G, "x": x, "y": y})
    grad = [sp.diff(e, v) for v in (x, y)]
    hess = sp.hessian(e, (x, y))
    drift = sum(g * m for g, m in zip(grad, MU)) + sum(
        sp.Rational(1, 2) * (sp.Matrix([s]) * hess * sp.Matrix(s))[0] for s in SIG.values()
    )
    vols = {k: sum(g * v for g, v in zip(grad, s)) for k, s in SIG.items()}
    return {
        "drift_e": drift,
        "vol_e_Z": vols["Z"],
        "vol_e_W": vols["W"],
        "dx_e": grad[0],
        "dxy_e": sp.diff(e, x, y),
    }


FIELDS = {
    "f": lambda z: jnp.sin(z[0]) * jnp.exp(z[1] / 2) + z[0] * z[1],
    "g": lambda z: jnp.log(1 + z[0] ** 2),
}
POINTS = np.array([[0.7, 0.3], [1.1, 0.8], [1.4, 0.5]])


def check(expr_text: str):
    compiled = walras.load(MODEL.replace("{expr}", expr_text)).compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    out = compiled.outputs(FIELDS, params, jnp.asarray(POINTS))
    for name, ref in reference(expr_text).items():
        expected = [float(ref.subs({x: a, y: b})) for a, b in POINTS]
        np.testing.assert_allclose(
            np.asarray(out[name]),
            expected,
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"{name} of {expr_text}",
        )


@pytest.mark.parametrize(
    "expr",
    [
        "f",
        "g",
        "x*y^2",
        "f*g",
        "exp(f)/x",
        "f^2*g + y*log(g)",
        "sqrt(f*f + 1)*y",
        "(f - g)/(1 + x*y)",
    ],
)
def test_operators_match_full_hessian(expr):
    check(expr)


ATOMS = st.sampled_from(["f", "g", "x", "y", "0.5", "2"])


@st.composite
def expressions(draw, depth=3):
    if depth == 0:
        return draw(ATOMS)
    a, b = draw(expressions(depth=depth - 1)), draw(expressions(depth=depth - 1))
    form = draw(
        st.sampled_from(
            [
                "({a} + {b})",
                "({a} * {b})",
                "({a} - {b})",
                "exp({a}/4)",
                "({a})^2",
                "({a} / (2 + ({b})^2))",
            ]
        )
    )
    return form.format(a=a, b=b)


@settings(max_examples=12, deadline=None)
@given(expressions())
def test_random_composites_match_full_hessian(expr):
    check(expr)


def test_brusan_cycle_solved_symbolically():
    """σ_q from the solved cycle equals σ/(1 − q'(ψ−η)/q) − σ."""
    system = walras.load("brusan_log").compile().system
    assert {"sigma_q", "vol[Z] of eta", "sig_eta"} in [set(c) for c in system.cycles]
    solved = {s.symbol: s.expr for s in system.steps if hasattr(s, "expr")}
    sigma, q, dq, psi, eta = sp.symbols("sigma q q__eta psi eta")
    expected = sigma / (1 - dq * (psi - eta) / q) - sigma
    assert sp.simplify(solved[sp.Symbol("sigma_q")] - expected) == 0


def test_parameters_are_inputs():
    """New parameter values change results without recompiling."""
    compiled = walras.load("lucas").compile()
    fields = {"pd": lambda z: 10.0 + 0 * z[0]}
    base = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    x = jnp.asarray([[1.0]])
    r1 = compiled.outputs(fields, base, x)["r"]
    r2 = compiled.outputs(fields, {**base, "gamma": jnp.asarray(2.0)}, x)["r"]
    from references import lucas_r

    np.testing.assert_allclose(float(r1[0]), lucas_r(), rtol=1e-12)
    np.testing.assert_allclose(float(r2[0]), lucas_r(gamma=2.0), rtol=1e-12)


def test_large_linear_cycle_is_solved_per_point():
    """A cycle of more than four members becomes a per-point linear solve; its values agree
    with sympy's solution of the same linear system."""
    members = ["c0", "c1", "c2", "c3", "c4", "c5"]
    lets = "\n".join(
        f"let {m} = 1 + x*{members[(i + 1) % 6]}/(2 + {i}) + y/{i + 3}"
        for i, m in enumerate(members)
    )
    text = MODEL.replace("let e = {expr}", lets + "\nlet e = f")
    system = walras.load(text).compile().system
    from walras.compiler.system import LinearSolve

    assert any(isinstance(s, LinearSolve) and len(s.symbols) == 6 for s in system.steps)
    syms = sp.symbols(members)
    eqs = [sp.Eq(syms[i], 1 + x * syms[(i + 1) % 6] / (2 + i) + y / (i + 3)) for i in range(6)]
    solution = sp.solve(eqs, syms)
    compiled = walras.load(text).compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    out = compiled.outputs(FIELDS, params, jnp.asarray(POINTS))
    for m, s in zip(members, syms):
        expected = [float(solution[s].subs({x: a, y: b})) for a, b in POINTS]
        np.testing.assert_allclose(np.asarray(out[m]), expected, rtol=1e-12)


def test_vmap_over_parameter_values():
    """Parameters are inputs: one compiled function maps over a vector of values."""
    import jax
    from references import lucas_r

    compiled = walras.load("lucas").compile()
    fields = {"pd": lambda z: 10.0 + 0 * z[0]}
    gammas = jnp.linspace(1.5, 6.0, 7)

    def r_at(gamma):
        params = {**{k: jnp.asarray(v) for k, v in compiled.params.items()}, "gamma": gamma}
        return compiled.outputs(fields, params, jnp.asarray([[1.0]]))["r"][0]

    np.testing.assert_allclose(
        np.asarray(jax.vmap(r_at)(gammas)), [lucas_r(gamma=float(g)) for g in gammas], rtol=1e-12
    )
