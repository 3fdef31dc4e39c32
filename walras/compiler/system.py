"""The system between the symbolic and numeric stages: steps in dependency order (assignments,
per-point linear solves, curvature atoms, per-point control solves), residuals and boundaries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from . import ito
from .graph import Graph
from .model import Model


@dataclass(frozen=True)
class Assign:
    symbol: sp.Symbol
    expr: sp.Expr


@dataclass(frozen=True)
class LinearSolve:
    """Members x of a linear cycle x = f(x), solved per point. `exprs` is f, with the velocities
    of unknowns along the members' directions as atoms; `written_out` expresses those in partial
    derivatives, which gives the cycle as A x = b (computed when printed)."""

    symbols: tuple[sp.Symbol, ...]
    exprs: tuple[sp.Expr, ...]
    written_out: Callable[[sp.Expr], sp.Expr] = field(repr=False)

    @cached_property
    def matrices(self) -> tuple[sp.Matrix, sp.Matrix]:
        return sp.linear_eq_to_matrix(
            [s - self.written_out(e) for s, e in zip(self.symbols, self.exprs)], self.symbols
        )

    @property
    def A(self) -> sp.Matrix:
        return self.matrices[0]

    @property
    def b(self) -> sp.Matrix:
        return self.matrices[1]


@dataclass(frozen=True)
class CurvatureStep:
    symbol: sp.Symbol
    atom: ito.Curvature


@dataclass(frozen=True)
class ControlSolve:
    """Controls defined by first-order conditions `focs` = 0 without a closed form, solved at
    each point by Newton's method; per control its bounds (None where open) and whether it is
    positive (solved in its logarithm)."""

    symbols: tuple[sp.Symbol, ...]
    focs: tuple[sp.Expr, ...]
    lo: tuple[sp.Expr | None, ...]
    hi: tuple[sp.Expr | None, ...]
    positive: tuple[bool, ...]


@dataclass(frozen=True)
class JumpSum:
    """Σ_N rate_N (g after N − g), the jump part of drift(g) (`jumps.jump_sum`): `expr` is g,
    `rates` each shock's rate, `moved` each atom that a shock moves with its value after each
    shock (the atom itself after a shock that leaves it)."""

    symbol: sp.Symbol
    expr: sp.Expr
    rates: tuple[sp.Expr, ...]
    moved: tuple[tuple[sp.Symbol, tuple[sp.Expr, ...]], ...]

    @property
    def written_out(self) -> sp.Expr:
        """The sum with one term per shock."""
        return sp.Add(
            *(
                rate * (self.expr.xreplace({a: v[i] for a, v in self.moved}) - self.expr)
                for i, rate in enumerate(self.rates)
            )
        )


@dataclass(frozen=True)
class Places:
    """Exchangeable members ordered by state (rule 26 of docs/economy.md), as the economy layer
    writes them: the definition `name` is Σ_e rate_e (g_π(x⁺_e) − g_i(x⁺_e)) for the member at
    place `member` (1-based), where g_k is the definition `marginal[k − 1]` (a function of the
    unknown `unknowns[k − 1]` alone, the same for every k) and π the place it takes at the switch
    e. `events` (shock, place, offset): the member at `place` switches and trades places with
    the member at place n + offset, n the discrete state `count`."""

    name: str
    member: int
    marginal: tuple[str, ...]
    unknowns: tuple[str, ...]
    count: str
    events: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class PlaceSum:
    """A `Places` definition as one step (`place_sums.vectorised`): `expr` is g_i, a function of
    the atom `atom` of its member's unknown; `jumped[k][e]` the atom of unknown k after event e;
    `rates` each event's rate; `written` the definition as the economy layer wrote it, one term
    per event and place."""

    symbol: sp.Symbol
    expr: sp.Expr
    atom: sp.Symbol
    member: int
    count: sp.Symbol
    places: tuple[int, ...]
    offsets: tuple[int, ...]
    rates: tuple[sp.Expr, ...]
    jumped: tuple[tuple[sp.Symbol, ...], ...]
    written: sp.Expr

    @property
    def written_out(self) -> sp.Expr:
        return self.written


Step = Assign | LinearSolve | CurvatureStep | ControlSolve | JumpSum | PlaceSum


@dataclass(frozen=True)
class Residual:
    """An interior equation: `expr` = 0, or complementarity a >= 0, b >= 0, a·b = 0."""

    name: str
    expr: sp.Expr | None = None
    a: sp.Expr | None = None
    b: sp.Expr | None = None
    var: sp.Expr | None = None  # complementarity: the variable and its bound,
    bound: sp.Expr | None = None  # var <= bound when `upper`, else var >= bound
    upper: bool = True

    @property
    def is_complementarity(self) -> bool:
        return self.expr is None


@dataclass(frozen=True)
class BoundaryResidual:
    """`expr` = 0 on the face `state = at`; `steps` replace the system's steps of the same
    symbols there (a state constraint's clipped control)."""

    name: str
    state: str
    at: float
    expr: sp.Expr
    steps: Mapping[sp.Symbol, Step] = field(default_factory=dict)


@dataclass(frozen=True)
class System:
    """The flat object between the symbolic and numeric stages."""

    model: Model
    atoms: ito.Atoms = field(repr=False)
    params: tuple[str, ...]
    steps: tuple[Step, ...]
    outputs: Mapping[str, sp.Symbol]  # definitions and process terms, by output name
    residuals: tuple[Residual, ...]
    boundaries: tuple[BoundaryResidual, ...]
    cycles: tuple[tuple[str, ...], ...]  # solved groups, by member name
    graph: Graph = field(repr=False)

    @property
    def states(self) -> tuple[str, ...]:
        return self.model.state_names

    @property
    def unknowns(self):
        return self.model.unknowns

    @property
    def vols(self) -> dict[str, dict[str, sp.Symbol]]:
        """Shock -> state -> the symbol of that state's volatility (declared vols only)."""
        return {
            k: {s: vol_symbol(s, k) for s, p in self.model.processes.items() if k in p.vols}
            for k in self.model.shocks
        }

    @property
    def jumps(self) -> dict[str, dict[str, sp.Symbol]]:
        """Poisson shock -> state -> the symbol of that state's jump (declared jumps only)."""
        return {
            k: {s: jump_symbol(s, k) for s, p in self.model.processes.items() if k in p.jumps}
            for k in self.model.rates
        }

    @property
    def drifts(self) -> dict[str, sp.Symbol]:
        """State -> the symbol of its drift (declared drifts only)."""
        return {s: drift_symbol(s) for s, p in self.model.processes.items() if p.drift is not None}

    def clamps(self) -> tuple[tuple[str, bool, str, tuple[str, ...]], ...]:
        """Unknowns that are the variable of a complementarity whose bound holds parameters
        alone: (unknown, whether the bound is a cap, the bound as Python source in `_0`, `_1`,
        ..., the parameters they stand for), read by `Outline.clamps`."""
        out = []
        for r in self.residuals:
            m = self.atoms.meaning.get(r.var) if r.is_complementarity else None
            if not (isinstance(m, ito.Partial) and not m.alpha):
                continue
            names = sorted(s.name for s in r.bound.free_symbols)
            if set(names) <= set(self.model.params):
                code = sp.pycode(
                    r.bound.subs({sp.Symbol(n): sp.Symbol(f"_{i}") for i, n in enumerate(names)})
                )
                out.append((m.unknown, bool(r.upper), code, tuple(names)))
        return tuple(out)

    def obstacles(self) -> frozenset[str]:
        """Clamped unknowns whose complementarity holds their own second derivatives, through
        the definitions it reads (leland's `r*E - drift(E) >= ... perp E >= 0`): an obstacle
        problem, whose solution is smooth where the bound starts to bind (smooth pasting, the
        optimal stopping rule), unlike a bound on a portfolio share, which the solution meets
        with a kink."""
        table, out = self.step_of(), set()
        for r in self.residuals:
            m = self.atoms.meaning.get(r.var) if r.is_complementarity else None
            if not (isinstance(m, ito.Partial) and not m.alpha):
                continue
            todo, seen = list(r.a.free_symbols), set()
            while todo:
                s = todo.pop()
                if s not in seen:
                    seen.add(s)
                    step = table.get(s)
                    if isinstance(step, Assign):
                        todo.extend(step.expr.free_symbols)
                    elif isinstance(step, LinearSolve):
                        todo.extend(x for e in step.exprs for x in e.free_symbols)
            atoms = (self.atoms.meaning.get(s) for s in seen)
            if any(ito.second_order(a) and a.unknown == m.unknown for a in atoms):
                out.add(m.unknown)
        return frozenset(out)

    def step_of(self) -> dict[sp.Symbol, Step]:
        table = {}
        for s in self.steps:
            for sym in s.symbols if isinstance(s, LinearSolve | ControlSolve) else (s.symbol,):
                table[sym] = s
        return table


def drift_symbol(state: str) -> sp.Symbol:
    return sp.Symbol(f"drift__{state}")


def vol_symbol(state: str, shock: str) -> sp.Symbol:
    return sp.Symbol(f"vol__{state}__{shock}")


def jump_symbol(state: str, shock: str) -> sp.Symbol:
    return sp.Symbol(f"jump__{state}__{shock}")


def rate_symbol(shock: str) -> sp.Symbol:
    return sp.Symbol(f"rate__{shock}")
