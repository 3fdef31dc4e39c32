"""Edges of the state space that need a boundary condition and have none (warning W170).

Fichera's condition: at an edge of a state's domain, the equations need no condition only where
the state's diffusion vanishes and its Fichera drift, b - (1/2) d(sigma^2)/dx (the drift where
the volatility vanishes like the state, as in geometric processes), does not point out of the
domain. Elsewhere the solution depends on what happens beyond the edge, and a solver that is given
no condition there returns one of many solutions.

The check is static: the process terms are evaluated at the edge (at a few points of the other
states' domains) where they are functions of parameters and states only, definitions inlined.
Where they depend on unknowns, or cannot be evaluated there, the edge is not checked. Only states
along which an unknown is differentiated (`d`, or `drift` and `vol` of an expression of
unknowns) are checked: an unknown that enters without derivatives needs no condition.
"""

from __future__ import annotations

import itertools
import math
import random

from ...grammar import ast
from ...grammar.diagnostics import Diagnostic
from ..builtins import ARITHMETIC, FUNCTIONS, OPERATORS, operands
from ..model import Model, State
from .coverage import Reach

CODE = "W170"
SAMPLES = 5  # points per other state on an edge, up to two other states
SCATTERED = 32  # points of an edge beyond two other states (a grid would grow exponentially)
STEP = 1e-6  # of the domain's width: the one-sided difference of the variance at an edge


def edge_warnings(model: Model) -> list[Diagnostic]:
    """W170 for each edge of a differentiated state with no boundary condition where Fichera's
    condition asks for one (on a simplex, the faces where a state is 0)."""
    values = Values(model)
    found = []
    on_simplex = {n for group in model.simplices for n in group}
    for state in differentiated(model):
        for upper in (False, True) if state.name not in on_simplex else (False,):
            edge = state.hi if upper else state.lo
            if any(b.state == state.name and math.isclose(b.at, edge) for b in model.boundaries):
                continue
            reason = values.needs_condition(state, upper)
            if reason:
                found.append(_warning(state, upper, reason))
    return found


def _warning(state: State, upper: bool, reason: str) -> Diagnostic:
    edge = state.hi if upper else state.lo
    return Diagnostic(
        CODE,
        f"state '{state.name}' has no boundary condition at its {'upper' if upper else 'lower'} "
        f"edge {state.name} = {edge:g}, where {reason}: the equations do not determine the "
        "solution there",
        state.span,
        f"add 'boundary at {state.name} = {edge:g}: ...' (for instance a derivative set to 0), "
        "or move the edge to where the volatility vanishes and Fichera's drift does not point out",
    )


def differentiated(model: Model) -> list[State]:
    """The states along which some unknown is differentiated, in declaration order."""
    reach = Reach(model)
    args = {u.name: set(u.args) for u in model.unknowns}
    along: set[str] = set()
    exprs = [x for e in model.equations for x in (e.lhs, e.rhs, e.var, e.bound) if x is not None]
    exprs += [d.expr for d in model.definitions.values()]
    exprs += [b.lhs for b in model.boundaries] + [b.rhs for b in model.boundaries]
    for expr in exprs:
        for call in ast.calls_in(expr):
            if call.func not in OPERATORS or not call.args:
                continue
            states = set().union(*(args[u] for u in reach.unknowns(call.args[0])), set())
            if call.func == "d":
                states &= {a.id for a in call.args[1:] if isinstance(a, ast.Name)}
            along |= states
    return [s for s in model.states if s.name in along]


def _fichera(drift: float, slope: float, inward: bool) -> str:
    """The reason where the drift does not point out and Fichera's drift does."""
    return (
        f"its Fichera drift b − ½ d(σ²)/dx points out of the domain ({drift - slope / 2:.3g}; "
        f"the drift b is {drift:.3g}{', inward' if inward else ''}, and d(σ²)/dx is {slope:.3g})"
    )


class Values:
    """Process terms at points of the state space, from parameters and states only."""

    def __init__(self, model: Model):
        self.model = model
        self.params = model.params

    def needs_condition(self, state: State, upper: bool) -> str | None:
        """Why the edge needs a condition (volatility or drift there), or None (it does not, or
        the process terms cannot be evaluated from parameters and states)."""
        process = self.model.processes.get(state.name)
        if process is None:
            return None
        width = state.hi - state.lo
        edge, inward = (state.hi, -1.0) if upper else (state.lo, 1.0)
        scale = max(1.0, abs(state.lo), abs(state.hi))
        for point in self.face(state):
            variance = [
                self.variance(process, {**point, state.name: edge + inward * k * width})
                for k in (0.0, STEP, 2 * STEP)
            ]
            drift = self.value(process.drift, {**point, state.name: edge})
            if None in variance or drift is None:
                return None
            if variance[0] > 1e-14 * scale**2:
                return f"its volatility is not zero ({math.sqrt(variance[0]):.3g})"
            slope = inward * (-3 * variance[0] + 4 * variance[1] - variance[2]) / (2 * STEP * width)
            if -inward * (drift - slope / 2) > 1e-10 * scale:
                if -inward * drift > 1e-10 * scale:
                    return f"its drift points out of the domain ({drift:.3g})"
                return _fichera(drift, slope, inward * drift > 1e-10 * scale)
        return None

    def face(self, state: State) -> list[dict[str, float]]:
        """Points of the other states' domains: midpoints of equal cells up to two other states,
        beyond that the centre and fixed scattered points."""
        others = [s for s in self.model.states if s is not state]
        if len(others) <= 2:
            cells = [(k + 0.5) / SAMPLES for k in range(SAMPLES)]
            units = list(itertools.product(cells, repeat=len(others)))
        else:  # the centre and fixed scattered points
            rng = random.Random(0)
            units = [(0.5,) * len(others)]
            units += [tuple(rng.random() for _ in others) for _ in range(SCATTERED - 1)]
        group = next((g for g in self.model.simplices if state.name in g), ())
        share = 1 / max(len(group), 1)  # points of a simplex's face stay inside it
        return [
            {
                s.name: s.lo + (s.hi - s.lo) * u * (share if s.name in group else 1)
                for s, u in zip(others, p)
            }
            for p in units
        ]

    def variance(self, process, point: dict[str, float]) -> float | None:
        terms = [self.value(v, point) for v in process.vols.values()]
        return None if None in terms else sum(t * t for t in terms)

    def value(self, expr: ast.Expr | None, point: dict[str, float]) -> float | None:
        """The value of an expression of parameters and states at `point`; None where it depends
        on anything else or is undefined."""
        if expr is None:
            return 0.0
        return _evaluate(expr, {**self.params, **point}, self.model.definitions, set())


def _evaluate(expr: ast.Expr, env: dict, definitions, active: set[str]) -> float | None:
    def combine(e, args):
        if isinstance(e, ast.Num):
            return e.value
        if isinstance(e, ast.Name):
            return _name(e.id, env, definitions, active)
        if None in args:
            return None
        if isinstance(e, ast.Neg):
            return -args[0]
        try:
            if isinstance(e, ast.BinOp):
                return _real(ARITHMETIC[e.op](*args))
            if e.func in ("min", "max"):
                return min(args) if e.func == "min" else max(args)
            f = FUNCTIONS.get(e.func)
            fits = f is not None and f.constant is not None and len(args) == (f.arity or 0)
            return _real(f.constant(*args)) if fits else None
        except (ArithmeticError, ValueError):
            return None

    return ast.fold(expr, combine, operands)


def _name(name: str, env: dict, definitions, active: set[str]) -> float | None:
    """A parameter's or state's value, or a definition's (computed once per point)."""
    if name not in env and name in definitions and name not in active:
        env[name] = _evaluate(definitions[name].expr, env, definitions, active | {name})
    return env.get(name)


def _real(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None
