"""The syntax tree of a `.econ` file: frozen dataclasses, each with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .diagnostics import Source, Span


# --- expressions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: float
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / ^
    left: "Expr"
    right: "Expr"
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    span: Span = field(compare=False)
    func_span: Span = field(compare=False)


Expr = Union[Num, Name, BinOp, Neg, Call]


def names_in(expr: Expr):
    """Every `Name` node of an expression, callee names excluded."""
    if isinstance(expr, Name):
        yield expr
    elif isinstance(expr, BinOp):
        yield from names_in(expr.left)
        yield from names_in(expr.right)
    elif isinstance(expr, Neg):
        yield from names_in(expr.operand)
    elif isinstance(expr, Call):
        for a in expr.args:
            yield from names_in(a)


def calls_in(expr: Expr):
    """Every `Call` node of an expression, outermost first."""
    if isinstance(expr, Call):
        yield expr
        for a in expr.args:
            yield from calls_in(a)
    elif isinstance(expr, BinOp):
        yield from calls_in(expr.left)
        yield from calls_in(expr.right)
    elif isinstance(expr, Neg):
        yield from calls_in(expr.operand)


# --- equation-level statements ---------------------------------------------------------------

@dataclass(frozen=True)
class ModelDecl:
    name: str
    title: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ParamDecl:
    name: str
    value: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class StateDecl:
    name: str
    lo: Expr
    hi: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ShockDecl:
    name: str
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class VolField:
    shock: str
    expr: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ProcessDecl:
    """`process x: drift = ..., vol[Z] = ...`; also the body of an `endowment`."""

    state: str
    drift: Expr | None
    vols: tuple[VolField, ...]
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Bound:
    """Output bound of an unknown: `> lo`, `< hi` or `in [lo, hi]` (None where open)."""

    lo: Expr | None
    hi: Expr | None


@dataclass(frozen=True)
class UnknownDecl:
    name: str
    args: tuple[Name, ...]
    bound: Bound | None
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class LetDecl:
    name: str
    expr: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class EquationDecl:
    """`equation NAME: lhs = rhs`."""

    name: str
    lhs: Expr
    rhs: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ComplementarityDecl:
    """`equation NAME: lhs <= rhs perp var <= bound` (or both `>=`)."""

    name: str
    lhs: Expr
    op: str
    rhs: Expr
    var: Expr
    var_op: str
    bound: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BoundaryDecl:
    state: Name
    at: Expr
    lhs: Expr
    rhs: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Option:
    key: str
    value: Expr | str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class SolverDecl:
    """`solver key = value, ...`: solver settings the command line can override."""

    options: tuple[Option, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class WeightDecl:
    """`weight eq = w, ...`: loss weights of equations."""

    options: tuple[Option, ...]
    span: Span = field(compare=False)


# --- economy-level statements ----------------------------------------------------------------

@dataclass(frozen=True)
class EndowmentDecl:
    process: ProcessDecl
    span: Span = field(compare=False)


@dataclass(frozen=True)
class AssetDecl:
    name: str
    riskless: bool
    dividend: Expr | None
    supply: Expr | None
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Utility:
    kind: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class AgentDecl:
    name: str
    utility: Utility | None
    discount: Expr | None
    trades: tuple[Name, ...]
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ConstraintDecl:
    """`constraint agent: share(asset) <= bound` (or `>=`)."""

    agent: Name
    asset: Name
    op: str
    bound: Expr
    doc: str | None
    span: Span = field(compare=False)


Statement = Union[ModelDecl, ParamDecl, StateDecl, ShockDecl, ProcessDecl, UnknownDecl, LetDecl,
                  EquationDecl, ComplementarityDecl, BoundaryDecl, SolverDecl, WeightDecl,
                  EndowmentDecl, AssetDecl, AgentDecl, ConstraintDecl]


@dataclass(frozen=True)
class Module:
    """A parsed file: its statements in order."""

    statements: tuple
    source: Source = field(compare=False, repr=False)
