"""Checks of equations, boundary conditions, solver settings, weights and expressions."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

from ...grammar import ast
from ...grammar.diagnostics import did_you_mean
from ...settings import CHOICES, FIELDS, coerce
from ..builtins import ARITY, FUNCTIONS
from ..model import Boundary, Equation, StateConstraint

MAX_NESTING = 200  # alternations of operations and calls: the symbolic stage recurses over them
NAMED = [k for k in ARITY if k.isidentifier()]  # the built-ins called by name
_GROUP = {"+": "+", "-": "+", "*": "*", "/": "*"}


def nesting(e: ast.Expr) -> int:
    """How deep an expression nests, a chain of sums (or of products) counting as one level, as
    in its symbolic form; iterative."""

    def combine(node, kids):  # kids: (depth, group) of each child
        if isinstance(node, ast.BinOp):
            group = _GROUP.get(node.op, id(node))
        else:
            group = "*" if isinstance(node, ast.Neg) else id(node)
        return max((d + (g != group) for d, g in kids), default=0), group

    return ast.fold(e, combine)[0]


class Statements:
    """The checks of equations and expressions, a part of the checker (`self.out`, `self.kind`,
    `self.constant` and `self.of` are the checker's)."""

    def equations(self) -> list[Equation]:
        eqs = []
        for e in self.module.statements:
            if isinstance(e, ast.EquationDecl):
                over = tuple(x.id for x in e.over if isinstance(x, ast.Name))
                eqs.append(Equation(e.name, e.lhs, e.rhs, e.doc, e.span, over=over))
                exprs = (e.lhs, e.rhs)
            elif isinstance(e, ast.ComplementarityDecl):
                eqs.append(Equation(e.name, e.lhs, e.rhs, e.doc, e.span, e.op, e.var, e.bound))
                exprs = (e.lhs, e.rhs, e.var, e.bound)
            else:
                continue
            for x in exprs:
                self.expr(x)
        seen = {}
        for e in eqs:
            if e.name in seen:
                self.out.error(
                    "E102",
                    f"equation '{e.name}' is declared twice",
                    e.span,
                    notes=(f"first declared at line {seen[e.name]}",),
                )
            seen.setdefault(e.name, e.span.line)
        unknowns = self.of(ast.UnknownDecl)
        if len(eqs) != len(unknowns):
            names = lambda xs: ", ".join(x.name for x in xs) or "none"
            span = (eqs or unknowns)[-1].span if (eqs or unknowns) else None
            self.out.error(
                "E107",
                f"{len(eqs)} equation{'s' if len(eqs) != 1 else ''} for "
                f"{len(unknowns)} unknown function{'s' if len(unknowns) != 1 else ''}",
                span,
                "each unknown needs one equation (a complementarity counts as one)",
                notes=(f"unknowns: {names(unknowns)}", f"equations: {names(eqs)}"),
            )
        return eqs

    def boundaries(self, states, params) -> list[Boundary]:
        """`boundary at x = v: ...`, v a number or an expression of parameters at an edge of x."""
        result = []
        counts = Counter()
        for b in self.of(ast.BoundaryDecl):
            self.expr(b.lhs)
            self.expr(b.rhs)
            if b.state.id not in states:
                if self.kind(b.state.id) is None:
                    self.undeclared(b.state, states)
                else:
                    self.out.error(
                        "E112",
                        f"a boundary must be at a state, and '{b.state.id}' is "
                        f"a {self.kind(b.state.id)}",
                        b.state.span,
                    )
                continue
            s = states[b.state.id]
            if s.discrete:
                self.out.error(
                    "E127",
                    f"'{s.name}' is a discrete state: it has no edges to hold a boundary condition",
                    b.state.span,
                )
                continue
            at = self.constant(b.at, params, "a boundary's position")
            if math.isnan(at):  # reported where it is computed
                continue
            if not (math.isclose(at, s.lo, abs_tol=1e-12) or math.isclose(at, s.hi, abs_tol=1e-12)):
                self.out.error(
                    "E112",
                    f"a boundary of '{s.name}' must be at an edge of its domain",
                    b.at.span,
                    f"the domain of '{s.name}' is [{s.lo:g}, {s.hi:g}]",
                )
                continue
            counts[s.name] += 1
            lower = math.isclose(at, s.lo, abs_tol=1e-12)
            constraint = None if b.op == "=" else self.state_constraint(b, lower)
            result.append(
                Boundary(
                    f"boundary_{s.name}_{'lo' if lower else 'hi'}",
                    s.name,
                    at,
                    b.lhs,
                    b.rhs,
                    b.doc,
                    b.span,
                    constraint,
                )
            )
        names = Counter(b.name for b in result)
        for b in result:
            if b.constraint is not None and names[b.name] > 1:
                self.out.error(
                    "E166",
                    f"the face {b.state} = {b.at:g} has a state constraint and another condition",
                    b.span,
                    "at a state constraint the HJB holds with the constrained control: drop the "
                    "other condition",
                )
        return [
            b if names[b.name] == 1 else dataclasses.replace(b, name=f"{b.name}_{i}")
            for i, b in enumerate(result)
        ]

    def state_constraint(self, b: ast.BoundaryDecl, lower: bool) -> StateConstraint | None:
        """`boundary at x = lo: drift(x) >= 0` (`<= 0` at the upper edge), else E166."""
        x = b.state.id
        inward = ">=" if lower else "<="
        drift = b.lhs
        if not (
            isinstance(drift, ast.Call)
            and drift.func == "drift"
            and len(drift.args) == 1
            and isinstance(drift.args[0], ast.Name)
            and drift.args[0].id == x
            and isinstance(b.rhs, ast.Num)
            and b.rhs.value == 0
            and b.op == inward
        ):
            self.out.error(
                "E166",
                "a boundary with a comparison is a state constraint: the drift of the state "
                "may not point out of the domain at that face",
                b.lhs.span,
                f"write 'boundary at {x} = ...: drift({x}) {inward} 0' at the "
                f"{'lower' if lower else 'upper'} edge",
            )
            return None
        return StateConstraint(b.op, drift)

    def solver_options(self) -> dict[str, object]:
        settings = {}
        for s in self.of(ast.SolverDecl):
            for o in s.options:
                if o.key not in FIELDS:
                    self.out.error(
                        "E115",
                        f"unknown solver setting '{o.key}'",
                        o.span,
                        did_you_mean(o.key, FIELDS),
                    )
                    continue
                value = (
                    o.value.id
                    if isinstance(o.value, ast.Name)
                    else (
                        self.constant(o.value, {}, "a solver setting")
                        if not isinstance(o.value, str)
                        else o.value
                    )
                )
                try:
                    settings[o.key] = coerce(o.key, value)
                except ValueError as err:
                    hint = did_you_mean(str(value), CHOICES.get(o.key, ()))
                    self.out.error("E115", str(err), o.span, hint)
        return settings

    def weights(self, equations, boundaries) -> dict[str, float]:
        names = [e.name for e in equations] + [b.name for b in boundaries] + ["boundary"]
        weights = {}
        for s in self.of(ast.WeightDecl):
            for o in s.options:
                if o.key not in names:
                    self.out.error(
                        "E116",
                        f"'weight' names no equation '{o.key}'",
                        o.span,
                        did_you_mean(o.key, names),
                    )
                elif isinstance(o.value, str):
                    self.out.error("E116", "a weight must be a number", o.span)
                else:
                    weights[o.key] = self.constant(o.value, {}, "a weight")
        return weights

    def unused(self, params):
        for p in params.values():
            if p.name not in self.used:
                self.out.warn("W108", f"parameter '{p.name}' is never used", p.span)

    # expressions ---------------------------------------------------------------------------
    def expr(self, e: ast.Expr):
        depth = nesting(e)
        if depth > MAX_NESTING:
            self.out.error(
                "E177",
                f"this expression nests {depth} levels deep; walras handles at most {MAX_NESTING}",
                e.span,
                "split it into 'let' definitions (long sums and products of many factors are "
                "fine: only alternating operations and calls nest)",
            )
        nodes = list(ast.walk(e))
        for node in nodes:
            if isinstance(node, ast.Num):
                self.finite_number(node)
            elif isinstance(node, ast.Call):
                self.call(node)
        shock_args = set().union(
            *(self.shock_operator(c) for c in nodes if isinstance(c, ast.Call))
        )
        for n in (node for node in nodes if isinstance(node, ast.Name)):
            self.used.add(n.id)
            kind = self.kind(n.id)
            if kind is None:
                if n.id in ARITY:
                    self.out.error(
                        "E110",
                        f"'{n.id}' is a function; call it with arguments",
                        n.span,
                        f"write '{n.id}(...)'",
                    )
                else:
                    self.undeclared(n)
            elif kind == "shock" and id(n) not in shock_args:
                self.out.error(
                    "E114",
                    f"the shock '{n.id}' can only appear as the shock of vol, jump or rate",
                    n.span,
                    f"write 'rate({n.id})' or 'jump(f, {n.id})'"
                    if self.poisson_shock(n.id)
                    else f"write 'vol(f, {n.id})'",
                )

    def call(self, c: ast.Call):
        if c.func not in ARITY:
            if self.kind(c.func) == "unknown":
                self.out.error(
                    "E111",
                    f"'{c.func}' is an unknown, not a function to call",
                    c.func_span,
                    f"write '{c.func}': it is a function of its states already",
                )
            else:
                self.out.error(
                    "E111",
                    f"unknown function '{c.func}'",
                    c.func_span,
                    did_you_mean(c.func, NAMED) or f"functions: {', '.join(NAMED)}",
                )
            return
        arity = ARITY[c.func]
        n = len(c.args)
        if arity is not None and n != arity:
            self.out.error(
                "E110",
                f"'{c.func}' takes {arity} argument{'s' if arity > 1 else ''}, not {n}",
                c.span,
            )
        elif arity is None and c.func in FUNCTIONS and n < 2:
            self.out.error("E110", f"'{c.func}' takes at least two arguments", c.span)
        elif c.func == "d":
            self.derivative(c)
        elif c.func in ("vol", "jump") and n == 2:
            self.shock_argument(c.args[1], c.func)
        elif c.func == "rate" and n == 1:
            self.shock_argument(c.args[0], c.func)

    def derivative(self, c: ast.Call):
        """`d(f, x)` or `d(f, x, y)` with states x, y."""
        if len(c.args) not in (2, 3):
            self.out.error(
                "E110",
                "'d' takes an expression and one or two states: d(f, x) or d(f, x, y)",
                c.span,
            )
        for a in c.args[1:]:
            if isinstance(a, ast.Name) and self.discrete_name(a.id):
                self.out.error(
                    "E127",
                    f"'{a.id}' is a discrete state: nothing is differentiated along it",
                    a.span,
                    f"compare values across it with 'jump(f, N)' or an indicator '({a.id} == v)'",
                )
            elif not (isinstance(a, ast.Name) and self.kind(a.id) == "state"):
                self.out.error(
                    "E113",
                    "the variables of 'd' must be states",
                    a.span,
                    did_you_mean(a.id, [k for k in self.decls if self.kind(k) == "state"])
                    if isinstance(a, ast.Name)
                    else None,
                )

    def shock_argument(self, z: ast.Expr, func: str):
        """The shock of `vol(f, Z)`, `jump(f, N)` or `rate(N)`."""
        if not (isinstance(z, ast.Name) and self.kind(z.id) == "shock"):
            shocks = [s.name for s in self.of(ast.ShockDecl)]
            self.out.error(
                "E114",
                f"the shock argument of '{func}' must be a shock",
                z.span,
                did_you_mean(z.id, shocks)
                if isinstance(z, ast.Name)
                else f"shocks: {', '.join(shocks) or 'none declared'}",
            )
