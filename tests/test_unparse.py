"""unparse: any module back to `.econ` text that reads back as the same tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import walras
from walras.api import LIBRARY
from walras.grammar import ast, parse
from walras.grammar.diagnostics import Span
from walras.grammar.unparse import expr, unparse

ECON_MODELS = sorted(
    p
    for p in LIBRARY.glob("*.econ")
    if "factor" not in p.read_text() and "portfolio" not in p.read_text()
)


def ordered(module: ast.Module) -> list:
    return sorted(module.statements, key=lambda s: (type(s).__name__, repr(s)))


@pytest.mark.parametrize("path", ECON_MODELS, ids=lambda p: p.stem)
def test_library_round_trip(path):
    module = parse(path.read_text())
    again = parse(unparse(module))
    assert ordered(again) == ordered(module)


@pytest.mark.parametrize(
    "name", ["basak_cuoco", "lucas_economy", "leverage_cap", "two_trees_economy"]
)
def test_lowered_round_trip(name):
    lowered = walras.load(name).lowered
    again = parse(unparse(lowered))
    assert ordered(again) == ordered(lowered)
    walras.load(unparse(lowered)).checked


SPAN = Span(1, 1, 1, 1)
leaves = st.one_of(
    st.integers(0, 99).map(lambda v: ast.Num(float(v), SPAN)),
    st.sampled_from(["x", "y", "z"]).map(lambda n: ast.Name(n, SPAN)),
)


def _grow(children):
    binary = st.tuples(st.sampled_from("+-*/^"), children, children).map(
        lambda t: ast.BinOp(t[0], t[1], t[2], SPAN)
    )
    neg = children.map(lambda c: ast.Neg(c, SPAN))
    call = st.tuples(st.sampled_from(["exp", "vol", "max"]), children, children).map(
        lambda t: ast.Call(t[0], (t[1],) if t[0] == "exp" else (t[1], t[2]), SPAN, SPAN)
    )
    return st.one_of(binary, neg, call)


@settings(max_examples=300, deadline=None)
@given(st.recursive(leaves, _grow, max_leaves=12))
def test_expressions_read_back_the_same(e):
    module = parse(f"let v = {expr(e)}")
    assert module.statements[0].expr == e


SCALARS = """model scalars "two scalar unknowns"
parameter a = 2
unknown m{parens} in [0, 3]  "a scalar"
unknown n{parens} > 0
equation e: m = a
equation f: n*m = 1
"""


def test_a_scalar_unknown_needs_no_parentheses():
    """`unknown m in [0, 3]` is `unknown m() in [0, 3]`, a scalar (language.md), and solves to
    the closed form m = a, n = 1/a."""
    bare, called = (parse(SCALARS.format(parens=p)) for p in ("", "()"))
    assert unparse(bare) == unparse(called)
    unknowns = [s for s in bare.statements if isinstance(s, ast.UnknownDecl)]
    assert [(u.name, u.args) for u in unknowns] == [("m", ()), ("n", ())]
    solution = walras.solve(walras.load(SCALARS.format(parens="")), quiet=True)
    assert solution.converged
    assert float(solution.dataset["m"]) == 2.0 and abs(float(solution.dataset["n"]) - 0.5) < 1e-15
