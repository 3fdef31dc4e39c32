"""Checks of jumps and regimes: discrete states, Poisson shocks and their rates, `jump[N]` terms,
`beyond` statements, and where the jumps lead (a discrete state to its own values, E126; a
continuous state out of its domain, W178)."""

from __future__ import annotations

import itertools
import math
import random

from ...grammar import ast
from ...grammar.diagnostics import Diagnostic, did_you_mean
from ..model import Beyond, Model, State
from .edges import Values

SAMPLES = 7  # points along each continuous state where a jump's destination is checked
MAX_POINTS = 256  # points of the state space checked; beyond, fixed scattered ones


class Jumps:
    """The checks of jumps, a part of the checker (`self.out`, `self.of`, `self.kind`,
    `self.constant` and `self.expr` are the checker's)."""

    def discrete_name(self, name: str) -> bool:
        d = self.decls.get(name)
        return isinstance(d, ast.StateDecl) and d.values is not None

    def poisson_shock(self, name: str) -> bool:
        return any(s.name == name and s.rate is not None for s in self.of(ast.ShockDecl))

    def brownian_shock(self, name: str) -> bool:
        return any(s.name == name and s.rate is None for s in self.of(ast.ShockDecl))

    def rates(self) -> dict[str, ast.Expr]:
        """Poisson shock -> its rate (checked as an expression)."""
        out = {}
        for s in self.of(ast.ShockDecl):
            if s.rate is not None:
                self.expr(s.rate)
                out[s.name] = s.rate
        return out

    def discrete_state(self, s: ast.StateDecl, params) -> State:
        """`state s in {v1, v2, ...}`: distinct constant values, kept in ascending order."""
        values = [self.constant(v, params, "a value of a discrete state") for v in s.values]
        if len(set(values)) != len(values):
            self.out.error(
                "E127",
                f"the values of discrete state '{s.name}' repeat",
                s.span,
                "list each value once",
            )
        values = sorted(set(values))
        if len(values) < 2:
            self.out.error(
                "E127",
                f"discrete state '{s.name}' has one value: it never moves",
                s.span,
                "list two values or more, or make it a parameter",
            )
            values = values * 2
        return State(s.name, values[0], values[-1], s.doc, s.span, tuple(values))

    def jump_sizes(self, p: ast.ProcessDecl, state: State) -> dict[str, ast.Expr]:
        """A process's `jump[N] = ...` terms by Poisson shock; a discrete state's process has
        jumps only."""
        if state.discrete and (p.drift is not None or p.vols):
            self.out.error(
                "E127",
                f"'{p.state}' is a discrete state: its process has jumps only",
                p.span,
                "remove 'drift' and 'vol' from its process; it moves by 'jump[N] = ...'",
            )
        jumps = {}
        for j in p.jumps:
            if self.brownian_shock(j.shock):
                self.out.error(
                    "E125",
                    f"'{j.shock}' is a Brownian shock: it moves '{p.state}' by a volatility, "
                    "not a jump",
                    j.span,
                    f"write 'vol[{j.shock}] = ...', or declare 'shock {j.shock}: poisson, "
                    "rate = ...'",
                )
            elif not self.poisson_shock(j.shock):
                poisson = [s.name for s in self.of(ast.ShockDecl) if s.rate is not None]
                self.out.error(
                    "E105",
                    f"jump[{j.shock}] names an undeclared shock",
                    j.span,
                    did_you_mean(j.shock, poisson)
                    or f"declare it with 'shock {j.shock}: poisson, rate = ...'",
                )
            jumps[j.shock] = j.expr
            self.expr(j.expr)
        return jumps

    def shock_operator(self, c: ast.Call) -> set[int]:
        """The shock arguments of `vol(f, Z)`, `jump(f, N)` and `rate(N)` (ids of their nodes),
        each of the right kind."""
        slot = {"vol": 1, "jump": 1, "rate": 0}.get(c.func)
        if slot is None or len(c.args) <= slot:
            return set()
        z = c.args[slot]
        if not isinstance(z, ast.Name):
            return set()
        if c.func == "vol" and self.poisson_shock(z.id):
            self.out.error(
                "E124",
                f"'{z.id}' is a Poisson shock, which has no volatility",
                z.span,
                f"its effect is 'jump(f, {z.id})', at the rate 'rate({z.id})'",
            )
        elif c.func != "vol" and not self.poisson_shock(z.id):
            poisson = [s.name for s in self.of(ast.ShockDecl) if s.rate is not None]
            self.out.error(
                "E125",
                f"'{c.func}' needs a Poisson shock, and '{z.id}' is "
                + ("a Brownian one" if self.brownian_shock(z.id) else "not one"),
                z.span,
                did_you_mean(z.id, poisson) or f"Poisson shocks: {', '.join(poisson) or 'none'}",
            )
        return {id(z)}

    def beyond_statements(self, states: dict[str, State], unknowns, params) -> list[Beyond]:
        """`beyond x < lo: d(f, x) = 0` (or `> hi`): the constant extension of f past an edge."""
        found = []
        args = {u.name: u.args for u in unknowns}
        for b in self.of(ast.BeyondDecl):
            s = states.get(b.state.id)
            if s is None or s.discrete:
                self.out.error(
                    "E128",
                    f"'beyond' needs a continuous state, and '{b.state.id}' is not one",
                    b.state.span,
                )
                continue
            edge = s.lo if b.side == "<" else s.hi
            at = self.constant(b.at, params, "the edge of a 'beyond' statement")
            if math.isnan(at):  # reported where it is computed
                continue
            if not math.isclose(at, edge, abs_tol=1e-12):
                self.out.error(
                    "E128",
                    f"'beyond {s.name} {b.side} ...' must name the edge {edge:g} of '{s.name}'",
                    b.at.span,
                    f"write 'beyond {s.name} {b.side} {edge:g}: ...'",
                )
                continue
            lhs, rhs = b.lhs, b.rhs
            constant = (
                isinstance(lhs, ast.Call)
                and lhs.func == "d"
                and len(lhs.args) == 2
                and isinstance(lhs.args[0], ast.Name)
                and s.name in args.get(lhs.args[0].id, ())
                and isinstance(lhs.args[1], ast.Name)
                and lhs.args[1].id == s.name
                and isinstance(rhs, ast.Num)
                and rhs.value == 0
            )
            if not constant:
                self.out.error(
                    "E128",
                    "walras extends an unknown past an edge as a constant only",
                    b.span,
                    f"write 'beyond {s.name} {b.side} {edge:g}: d(f, {s.name}) = 0' for an "
                    f"unknown f of '{s.name}'",
                )
                continue
            found.append(Beyond(s.name, edge, b.side == "<", b.span))
        return found


def jump_diagnostics(model: Model) -> list[Diagnostic]:
    """E126 where a discrete state would jump off its values at a positive rate; W178 where a
    jump would leave a continuous state's domain past an edge that no `beyond` covers."""
    values = Values(model)
    found = []
    points = _points(model)
    for p in model.processes.values():
        state = next(s for s in model.states if s.name == p.state)
        for shock, size in p.jumps.items():
            rate = model.rates.get(shock)
            if rate is None:
                continue
            for point in points:
                r, j = values.value(rate, dict(point)), values.value(size, dict(point))
                if r is None or j is None or r <= 0:
                    continue
                issue = _destination(model, state, point[state.name], j)
                if issue is not None:
                    found.append(_diagnostic(issue, state, shock, point, j, size))
                    break
    return found


def _destination(model: Model, state: State, at: float, j: float) -> str | None:
    """What is wrong with a jump from `at` by `j`: 'E126', 'W178' or None."""
    to = at + j
    if state.discrete:
        return None if any(math.isclose(to, v, abs_tol=1e-12) for v in state.values) else "E126"
    if state.lo - 1e-12 <= to <= state.hi + 1e-12:
        return None
    below = to < state.lo
    if not any(state.name in u.args for u in model.unknowns):
        return None  # no unknown is read past the edge (a scale state, as consumption)
    covered = any(b.state == state.name and b.below == below for b in model.beyond)
    return None if covered else "W178"


def _diagnostic(code, state: State, shock, point, j, size: ast.Expr) -> Diagnostic:
    at = point[state.name]
    where = ", ".join(f"{k} = {v:g}" for k, v in point.items())
    if code == "E126":
        return Diagnostic(
            code,
            f"at {where}, where '{shock}' arrives at a positive rate, '{state.name}' would "
            f"jump to {at + j:g}, which is not one of its values "
            f"{{{', '.join(f'{v:g}' for v in state.values)}}}",
            size.span,
            "make the rate zero where the jump leads off the values, for instance with a factor "
            f"like '({state.name} < {state.hi:g})'",
        )
    edge = state.lo if at + j < state.lo else state.hi
    return Diagnostic(
        code,
        f"at {where}, a jump of '{shock}' takes '{state.name}' to {at + j:g}, outside its "
        f"domain [{state.lo:g}, {state.hi:g}]: the unknowns are held at their value at "
        f"{state.name} = {edge:g} there",
        size.span,
        f"say so with 'beyond {state.name} {'<' if edge == state.lo else '>'} {edge:g}: "
        f"d(f, {state.name}) = 0', or widen the domain",
    )


def _points(model: Model) -> list[dict[str, float]]:
    """Points where jumps are checked: every value of a discrete state, the edges and cell
    midpoints of a continuous one; fixed scattered ones beyond MAX_POINTS."""
    axes = []
    for s in model.states:
        if s.discrete:
            axes.append(s.values)
        else:
            inner = [s.lo + (s.hi - s.lo) * (k + 0.5) / SAMPLES for k in range(SAMPLES)]
            axes.append((s.lo, *inner, s.hi))
    names = [s.name for s in model.states]
    if math.prod(len(a) for a in axes) <= MAX_POINTS:
        combos = itertools.product(*axes)
    else:
        rng = random.Random(0)
        combos = [tuple(rng.choice(a) for a in axes) for _ in range(MAX_POINTS)]
    return [dict(zip(names, c)) for c in combos]
