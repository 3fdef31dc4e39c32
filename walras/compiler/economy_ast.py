"""Building equation-level expressions for the economy layer: a small algebra over `ast.Expr`
that folds 0 and 1 away, and conversions between `ast.Expr` and sympy."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Span
from .builtins import ARITHMETIC, FUNCTIONS, sympy_heads


@dataclass(frozen=True)
class X:
    """An `ast.Expr` with operators; every node it builds carries `span`."""

    e: ast.Expr
    span: Span

    def _lift(self, other) -> X:
        if isinstance(other, X):
            return other
        if isinstance(other, (int, float)):
            return X(ast.Num(float(other), self.span), self.span)
        return X(other, self.span)

    def _bin(self, op: str, other) -> X:
        return X(ast.BinOp(op, self.e, self._lift(other).e, self.span), self.span)

    def is_num(self, v: float) -> bool:
        return isinstance(self.e, ast.Num) and self.e.value == v

    def __add__(self, o):
        o = self._lift(o)
        if isinstance(o.e, ast.Neg) and not self.is_num(0):  # a + (-b) = a - b
            return self - X(o.e.operand, o.span)
        return self if o.is_num(0) else o if self.is_num(0) else self._bin("+", o)

    def __radd__(self, o):
        return self._lift(o) + self

    def __sub__(self, o):
        o = self._lift(o)
        return self if o.is_num(0) else -o if self.is_num(0) else self._bin("-", o)

    def __rsub__(self, o):
        return self._lift(o) - self

    def __mul__(self, o):
        o = self._lift(o)
        if self.is_num(0) or o.is_num(0):
            return self._lift(0)
        if isinstance(o.e, ast.Neg):  # a*(-b) = -(a*b)
            return -(self * X(o.e.operand, o.span))
        return self if o.is_num(1) else o if self.is_num(1) else self._bin("*", o)

    def __rmul__(self, o):
        return self._lift(o) * self

    def __truediv__(self, o):
        o = self._lift(o)
        return self if o.is_num(1) else self._lift(0) if self.is_num(0) else self._bin("/", o)

    def __rtruediv__(self, o):
        return self._lift(o) / self

    def __pow__(self, o):
        o = self._lift(o)
        return self if o.is_num(1) else self._bin("^", o)

    def __neg__(self):
        if isinstance(self.e, ast.Num):
            return self._lift(-self.e.value)
        if isinstance(self.e, ast.Neg):
            return X(self.e.operand, self.span)
        return X(ast.Neg(self.e, self.span), self.span)


class Builder:
    """Makes names, numbers and calls at one span."""

    def __init__(self, span: Span):
        self.span = span

    def name(self, n: str) -> X:
        return X(ast.Name(n, self.span), self.span)

    def num(self, v: float) -> X:
        return X(ast.Num(float(v), self.span), self.span)

    def call(self, f: str, *args) -> X:
        return X(ast.Call(f, tuple(a.e for a in args), self.span, self.span), self.span)

    def wrap(self, e: ast.Expr) -> X:
        return X(e, self.span)

    def sum(self, terms: Iterable[X]) -> X:
        out = self.num(0)
        for t in terms:
            out = out + t
        return out

    def growth(self, f: X) -> X:
        """drift(f)/f."""
        return self.call("drift", f) / f

    def vol_growth(self, f: X, shock: str) -> X:
        """vol(f, Z)/f."""
        return self.call("vol", f, self.name(shock)) / f


def shares(kind: str, members, doc: str, declared: dict) -> list:
    """Shares that sum to one, of `members` ((name, span) pairs): the first n − 1 as states
    `<kind>_<name>` (on the simplex {x_i ≥ 0, Σ x_i ≤ 1}, or, once the user declares a domain
    for one of them in `declared`, on boxes: the undeclared ones on [0, 1/(n − 1)]), the last
    as one minus the others."""
    names = tuple(f"{kind}_{n}" for n, _ in members[:-1])
    boxed = len(names) == 1 or any(n in declared for n in names)
    hi = 1.0 / max(len(names), 1) if boxed else 1.0
    out: list = []
    for (member, span), name in zip(members, names):
        if name not in declared:
            b = Builder(span)
            group = () if boxed else names
            out.append(ast.StateDecl(name, b.num(0).e, b.num(hi).e, f"{doc} {member}", span, group))
    name, span = members[-1]
    b = Builder(span)
    last = 1 - b.sum(b.name(n) for n in names)
    out.append(ast.LetDecl(f"{kind}_{name}", last.e, f"{doc} {name}", span))
    return out


def substitute(e: ast.Expr, name: str, by) -> ast.Expr:
    """e with every `Name` `name` replaced by `by(span)` (a node at that name's place)."""

    def rebuild(node, kids: list):
        if isinstance(node, ast.Name):
            return by(node.span) if node.id == name else node
        if isinstance(node, ast.BinOp):
            return replace(node, left=kids[0], right=kids[1])
        if isinstance(node, ast.Neg):
            return replace(node, operand=kids[0])
        if isinstance(node, ast.Call):
            return replace(node, args=tuple(kids))
        return node

    return ast.fold(e, rebuild)


# --- sympy <-> ast ---------------------------------------------------------------------------


def _unary(e) -> bool:
    f = FUNCTIONS.get(e.func) if isinstance(e, ast.Call) else None
    return f is not None and f.arity == 1 and len(e.args) == 1


def _convertible(e) -> tuple:
    """The children of a node `to_sympy` can convert; ValueError (outermost first) otherwise."""
    if isinstance(e, ast.Call) and not _unary(e):
        raise ValueError(f"'{e.func}' cannot appear here")
    return ast.children(e)


def _sympy_node(e: ast.Expr, args: list) -> sp.Expr:
    if isinstance(e, ast.Num):
        whole = math.isfinite(e.value) and e.value == int(e.value)
        return sp.nsimplify(e.value) if whole else sp.Float(e.value)
    if isinstance(e, ast.Name):
        return sp.Symbol(e.id)
    if isinstance(e, ast.Neg):
        return -args[0]
    if isinstance(e, ast.BinOp):
        return ARITHMETIC[e.op](*args)
    return FUNCTIONS[e.func].sympy(*args)


def to_sympy(e: ast.Expr) -> sp.Expr:
    """An operator-free expression as sympy (names become symbols); ValueError otherwise."""
    return ast.fold(e, _sympy_node, _convertible)


def from_sympy(expr: sp.Expr, b: Builder) -> X:
    """A sympy expression of symbols and numbers as an expression tree."""
    if expr.is_Symbol:
        return b.name(expr.name)
    if expr.is_Integer or expr.is_Float:
        return b.num(float(expr)) if expr >= 0 else -b.num(-float(expr))
    if expr.is_Rational:
        return b.num(expr.p) / b.num(expr.q) if expr.p > 0 else -(b.num(-expr.p) / b.num(expr.q))
    if isinstance(expr, sp.Add):
        terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())
        out = from_sympy(terms[0], b)
        for t in terms[1:]:
            out = (
                out - from_sympy(-t, b) if t.could_extract_minus_sign() else out + from_sympy(t, b)
            )
        return out
    if isinstance(expr, sp.Mul):
        if expr.could_extract_minus_sign():
            return -from_sympy(-expr, b)
        num, den = expr.as_numer_denom()
        if den != 1:
            return from_sympy(num, b) / from_sympy(den, b)
        out = b.num(1)
        for f in expr.args:
            out = out * from_sympy(f, b)
        return out
    if isinstance(expr, sp.Pow):
        if expr.exp == -1:
            return 1 / from_sympy(expr.base, b)
        return from_sympy(expr.base, b) ** from_sympy(expr.exp, b)
    f = sympy_heads().get(expr.func)
    if f is not None and f.arity == 1:
        return b.call(f.name, from_sympy(expr.args[0], b))
    raise ValueError(f"cannot write {expr} in the .econ language")
