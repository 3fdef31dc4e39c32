"""The one registry of built-in functions and operators of the `.econ` language.

A function (`exp`, `log`, `sqrt`, `abs`, `min`, `max`, the comparisons `(a < b)`) has a sympy
form (the symbolic stage), a JAX form (code generation), a LaTeX form (`emit`) and, where a
constant such as a parameter's value may use it, a float form. An operator (`d`, `drift`, `vol`,
`jump`, `rate`) is expanded by Itô's lemma and the generator's jump terms (`ito.py`, `jumps.py`)
before code generation and printing, so it has only a name and an arity. Adding a
function is one entry here. This module imports neither jax nor sympy at import time.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache, reduce

from ..grammar import ast


def _jnp():
    import jax.numpy as jnp

    return jnp


def _sympy():
    import sympy

    return sympy


def _paren(text: str) -> str:
    return r"\left(" + text + r"\right)"


@dataclass(frozen=True)
class Function:
    """A built-in function. `arity` None: two or more arguments. `domain` says where its
    arguments may lie: "real", "positive" or "nonnegative"."""

    name: str
    arity: int | None
    sympy: Callable
    jax: Callable
    latex: Callable[[list[str]], str]
    constant: Callable[[float], float] | None = None
    domain: str = "real"
    latex_power: bool = False  # its LaTeX form is a power (`e^{x}`): parenthesise under `^`


@dataclass(frozen=True)
class Operator:
    """A differential operator of the language; `arity` None: `d(f, x)` or `d(f, x, y)`."""

    name: str
    arity: int | None


def _named(name: str) -> Callable[[list[str]], str]:
    return lambda args: "\\" + name + _paren(", ".join(args))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "exp",
            1,
            sympy=lambda x: _sympy().exp(x),
            jax=lambda x: _jnp().exp(x),
            latex=lambda a: "e^{" + a[0] + "}",
            constant=math.exp,
            latex_power=True,
        ),
        Function(
            "log",
            1,
            sympy=lambda x: _sympy().log(x),
            jax=lambda x: _jnp().log(x),
            latex=_named("log"),
            constant=math.log,
            domain="positive",
        ),
        Function(
            "sqrt",
            1,
            sympy=lambda x: _sympy().sqrt(x),
            jax=lambda x: _jnp().sqrt(x),
            latex=lambda a: r"\sqrt{" + a[0] + "}",
            constant=math.sqrt,
            domain="nonnegative",
        ),
        Function(
            "abs",
            1,
            sympy=lambda x: _sympy().Abs(x),
            jax=lambda x: _jnp().abs(x),
            latex=lambda a: r"\left|" + a[0] + r"\right|",
            constant=abs,
        ),
        Function(
            "min",
            None,
            sympy=lambda *xs: _sympy().Min(*xs),
            jax=lambda *xs: reduce(_jnp().minimum, xs),
            latex=_named("min"),
        ),
        Function(
            "max",
            None,
            sympy=lambda *xs: _sympy().Max(*xs),
            jax=lambda *xs: reduce(_jnp().maximum, xs),
            latex=_named("max"),
        ),
    )
}

_COMPARE = {
    "==": (operator.eq, "="),
    "!=": (operator.ne, r"\neq"),
    "<=": (operator.le, r"\leq"),
    ">=": (operator.ge, r"\geq"),
    "<": (operator.lt, "<"),
    ">": (operator.gt, ">"),
}


@cache
def _indicator(sign: str):
    """The sympy head of `(a SIGN b)`: 1 where the comparison holds, else 0; its derivatives
    are zero (it is meant for discrete states and parameters)."""
    sympy = _sympy()
    compare = _COMPARE[sign][0]

    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sympy.Integer(int(compare(float(a), float(b))))
        return None

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    name = (
        "Indicator_" + {"==": "eq", "!=": "ne", "<=": "le", ">=": "ge", "<": "lt", ">": "gt"}[sign]
    )
    body = {
        "nargs": 2,
        "eval": classmethod(eval),
        "fdiff": fdiff,
        "_imp_": staticmethod(lambda a, b: float(compare(a, b))),  # for lambdify
    }
    return type(name, (sympy.Function,), body)


def _comparison(sign: str) -> Function:
    compare, tex = _COMPARE[sign]
    return Function(
        sign,
        2,
        sympy=lambda a, b: _indicator(sign)(a, b),
        jax=lambda a, b: compare(a, b).astype(_jnp().result_type(a, b, float)),
        latex=lambda a: r"\mathbb{1}_{\{" + f"{a[0]} {tex} {a[1]}" + r"\}}",
        constant=lambda a, b: float(compare(a, b)),
    )


FUNCTIONS.update({sign: _comparison(sign) for sign in _COMPARE})
"""`(a < b)`, `(s == 0)`: 0/1 indicators, written as parenthesised comparisons."""

ARITHMETIC: dict[str, Callable] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": operator.pow,
}
"""The binary operators of the language, on floats and on sympy expressions alike."""

OPERATORS: dict[str, Operator] = {
    o.name: o
    for o in (
        Operator("d", None),
        Operator("drift", 1),
        Operator("vol", 2),
        Operator("jump", 2),
        Operator("rate", 1),
    )
}

ARITY: dict[str, int | None] = {
    **{f.name: f.arity for f in FUNCTIONS.values()},
    **{o.name: o.arity for o in OPERATORS.values()},
}
"""Every built-in name, functions first, with its arity (the names users cannot declare)."""


@lru_cache(maxsize=1)
def sympy_heads() -> dict[object, Function]:
    """The functions whose sympy form keeps its own head (`exp`, `log`, `Abs`, `Min`, `Max`;
    `sqrt` becomes a power), by that head: the way back from a sympy tree."""
    sympy = _sympy()
    heads = {}
    for f in FUNCTIONS.values():
        x, y = sympy.Symbol("x"), sympy.Symbol("y")
        form = f.sympy(x) if f.arity == 1 else f.sympy(x, y)  # arity None or 2
        if form.func is not sympy.Pow:
            heads[form.func] = f
    return heads


def operands(e) -> tuple:
    """The children of an expression node, except an operator's arguments (an operator acts on
    its argument as a whole): what a fold that expands operators descends into."""
    return () if isinstance(e, ast.Call) and e.func in OPERATORS else ast.children(e)
