"""The registry of built-in functions: every function has all its forms, its sympy and JAX forms
agree, and one entry is enough for a function to be checked, compiled and printed."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import walras
from walras.compiler.builtins import ARITY, FUNCTIONS, OPERATORS, sympy_heads
from walras.compiler.emit import latex
from walras.grammar.unparse import COMPARISONS

POINTS = {
    "real": (-1.5, 0.3, 2.0),
    "positive": (0.3, 1.0, 2.5),
    "nonnegative": (0.0, 0.4, 2.0),
}


def _arities(f) -> tuple[int, ...]:
    return (f.arity,) if f.arity is not None else (2, 3)


def test_every_name_is_a_function_or_an_operator():
    assert set(ARITY) == set(FUNCTIONS) | set(OPERATORS)
    assert not set(FUNCTIONS) & set(OPERATORS)
    assert list(ARITY) == [
        "exp",
        "log",
        "sqrt",
        "abs",
        "min",
        "max",
        "==",
        "!=",
        "<=",
        ">=",
        "<",
        ">",
        "d",
        "drift",
        "vol",
        "jump",
        "rate",
    ]


@pytest.mark.parametrize("f", FUNCTIONS.values(), ids=lambda f: f.name)
def test_every_function_has_all_forms(f):
    assert f.domain in POINTS
    for n in _arities(f):
        xs = sp.symbols(f"x0:{n}")
        assert isinstance(f.sympy(*xs), sp.Expr)
        text = f.latex([f"a_{i}" for i in range(n)])
        assert all(f"a_{i}" in text for i in range(n))
        assert callable(f.jax)
    assert f.constant is None or f.arity in (1, 2)


@pytest.mark.parametrize("f", FUNCTIONS.values(), ids=lambda f: f.name)
def test_sympy_and_jax_forms_agree(f):
    points = POINTS[f.domain]
    for n in _arities(f):
        xs = sp.symbols(f"x0:{n}")
        reference = sp.lambdify(xs, f.sympy(*xs), "math")
        for shift in range(len(points)):
            args = [points[(shift + i) % len(points)] for i in range(n)]
            expected = reference(*args)
            got = float(f.jax(*[jnp.asarray(a, dtype=jnp.float64) for a in args]))
            np.testing.assert_allclose(got, expected, rtol=1e-14, err_msg=f"{f.name}{args}")
            if f.constant is not None:
                assert f.constant(*args) == pytest.approx(expected, rel=1e-14)


def test_sympy_heads_lead_back_to_their_function():
    x, y = sp.symbols("x y")
    for head, f in sympy_heads().items():
        form = f.sympy(x) if f.arity == 1 else f.sympy(x, y)
        assert form.func is head
    assert {f.name for f in sympy_heads().values()} == set(FUNCTIONS) - {"sqrt"}


MODEL = """
model every "each function once"
parameter r = 0.05
state x in [0.5, 2]
shock Z
process x: drift = 0.01*x, vol[Z] = 0.1*x
unknown v(x)
{lets}
equation one: v = 1
"""


def test_every_function_compiles_and_prints():
    """Each function of the registry, applied to a state, through checks, the symbolic stage,
    code generation and LaTeX, against its sympy form."""
    lets, calls = [], {}
    for i, f in enumerate(FUNCTIONS.values()):
        if f.name in COMPARISONS:  # written `(x < 1.2)`
            args = ("x", "1.2")
            lets.append(f"let use_{i} = (x {f.name} 1.2)")
        else:
            args = ("x",) if f.arity == 1 else ("x", "1.2", "x^2")
            lets.append(f"let use_{i} = {f.name}({', '.join(args)})")
        calls[f"use_{i}"] = (f, args)
    model = walras.load(MODEL.replace("{lets}", "\n".join(lets)))
    compiled = model.compile()
    x = np.array([0.6, 1.1, 1.9])
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    out = compiled.outputs({"v": lambda z: z[0]}, params, jnp.asarray(x[:, None]))
    s = sp.Symbol("x")
    for name, (f, args) in calls.items():
        expr = f.sympy(*[sp.sympify(a.replace("^", "**"), locals={"x": s}) for a in args])
        expected = [float(expr.subs(s, v)) for v in x]
        np.testing.assert_allclose(np.asarray(out[name]), expected, rtol=1e-13, err_msg=name)
    tex = latex(compiled.system)
    as_tex = {"x": "x", "1.2": "1.2", "x^2": "x^{2}"}
    for f, args in calls.values():
        assert f.latex([as_tex[a] for a in args]) in tex
