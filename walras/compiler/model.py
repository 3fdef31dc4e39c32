"""The checked model: names resolved, roles known, constants evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..grammar import ast
from ..grammar.diagnostics import Diagnostic, Source, Span


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class State:
    """A continuous state on [lo, hi], or a discrete one (`values`, ascending; lo and hi their
    least and greatest)."""

    name: str
    lo: float
    hi: float
    doc: str | None
    span: Span = field(compare=False)
    values: tuple[float, ...] | None = None

    @property
    def discrete(self) -> bool:
        return self.values is not None


@dataclass(frozen=True)
class Unknown:
    """A function to solve for, of `args` (a subset of the states, in declaration order)."""

    name: str
    args: tuple[str, ...]
    lo: float | None
    hi: float | None
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Process:
    state: str
    drift: ast.Expr | None
    vols: Mapping[str, ast.Expr]
    span: Span = field(compare=False)
    jumps: Mapping[str, ast.Expr] = field(default_factory=lambda: frozen({}))


@dataclass(frozen=True)
class Definition:
    name: str
    expr: ast.Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Equation:
    """`lhs = rhs`, or, when `var` is set, the complementarity `lhs op rhs perp var op bound`."""

    name: str
    lhs: ast.Expr
    rhs: ast.Expr
    doc: str | None
    span: Span = field(compare=False)
    op: str | None = None
    var: ast.Expr | None = None
    bound: ast.Expr | None = None
    over: tuple[str, ...] = ()  # an HJB: the controls its right side is maximised over

    @property
    def is_complementarity(self) -> bool:
        return self.var is not None


@dataclass(frozen=True)
class Control:
    """A variable an HJB maximises over; `lo`, `hi` its bounds (None where open), `binding`
    when they are constraints that may bind (`>=`, `<=`, `in [lo, hi]`) rather than strict ones
    that only say where the optimum lies (`>`, `<`)."""

    name: str
    lo: float | None
    hi: float | None
    binding: bool
    doc: str | None
    span: Span = field(compare=False)
    limits: tuple[ast.Expr | None, ast.Expr | None] = field(default=(None, None), compare=False)


@dataclass(frozen=True)
class Implicit:
    """Controls of one HJB whose first-order conditions have no closed form, solved at each point
    by Newton's method: `focs` (sympy, in the states, parameters, the controls' symbols and the
    atoms `partials`, symbol -> `ito.Partial`), and per control its bounds (expressions of
    parameters, None where open) and whether it is positive (then solved in its logarithm)."""

    equation: str
    controls: tuple[str, ...]
    focs: tuple
    partials: tuple
    lo: tuple
    hi: tuple
    positive: tuple[bool, ...]


@dataclass(frozen=True)
class StateConstraint:
    """`boundary at x = v: drift(x) >= 0` (`op`; '<=' at an upper edge): at that face the HJB
    `equation` holds with its control `control` limited to where the drift of x does not point
    out of the domain, `control <= bound` when `upper`, else `>=` (`bound` is where the drift,
    linear in the control, vanishes). `drift` is the statement's left side, as written."""

    op: str
    drift: ast.Expr
    equation: str | None = None
    control: str | None = None
    bound: ast.Expr | None = None
    upper: bool = True


@dataclass(frozen=True)
class Boundary:
    """A condition `lhs = rhs` on the face `state = at`; for a state constraint, `lhs = rhs` is
    the HJB it constrains (`constraint`)."""

    name: str
    state: str
    at: float
    lhs: ast.Expr
    rhs: ast.Expr
    doc: str | None
    span: Span = field(compare=False)
    constraint: StateConstraint | None = None


@dataclass(frozen=True)
class Guess:
    """`guess unknown = expr`: the solvers' start for `unknown`, an expression of its states,
    parameters and definitions of those."""

    unknown: str
    expr: ast.Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Beyond:
    """Past the edge `at` of `state` (below it when `below`), the unknowns are constant along
    the state: `beyond x < v: d(f, x) = 0`."""

    state: str
    at: float
    below: bool
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Exchangeable:
    """The members of an agent array (`agent household[10]`): interchangeable agents, up to the
    values of their fields that differ (`features`, e.g. discount rates spread by the index).
    Per member: its unknowns (the same kinds, in the same order, for every member), its
    wealth-share state (None: the simplex's implicit last share) and its features."""

    name: str
    unknowns: tuple[tuple[str, ...], ...]
    shares: tuple[str | None, ...]
    features: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Model:
    """An equation-level model, checked. Build one with `walras.compiler.check`."""

    name: str
    title: str | None
    parameters: Mapping[str, Parameter]
    states: tuple[State, ...]
    shocks: tuple[str, ...]
    processes: Mapping[str, Process]
    unknowns: tuple[Unknown, ...]
    definitions: Mapping[str, Definition]
    equations: tuple[Equation, ...]
    boundaries: tuple[Boundary, ...]
    solver: Mapping[str, object]
    weights: Mapping[str, float]
    warnings: tuple[Diagnostic, ...]
    module: ast.Module = field(compare=False, repr=False)
    rates: Mapping[str, ast.Expr] = field(default_factory=lambda: frozen({}))  # Poisson shocks
    beyond: tuple[Beyond, ...] = ()
    simplices: tuple[tuple[str, ...], ...] = ()  # states on {x_i ≥ 0, Σ x_i ≤ 1}
    easier: Mapping[str, float] = field(default_factory=dict)  # parameter values where the
    # model is easier to solve, a homotopy's start (an economy's risk aversions at 1)
    parametric: tuple[str, ...] = ()  # states that are parameters solved over a range
    guesses: Mapping[str, Guess] = field(default_factory=lambda: frozen({}))  # by unknown
    controls: tuple[Control, ...] = ()  # maximised in HJBs; each also a definition (its optimum)
    implicit: tuple[Implicit, ...] = ()  # controls without a closed form (their definition: nan)
    exchangeable: tuple[Exchangeable, ...] = ()  # agent arrays, for networks that know them

    @property
    def source(self) -> Source:
        return self.module.source

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def discrete(self) -> tuple[State, ...]:
        return tuple(s for s in self.states if s.discrete)

    @property
    def params(self) -> dict[str, float]:
        return {k: p.value for k, p in self.parameters.items()}


def frozen(d: dict) -> Mapping:
    return MappingProxyType(dict(d))
