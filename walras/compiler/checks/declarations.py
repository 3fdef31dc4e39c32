"""Checks of declarations: names declared once, constants evaluated (parameter values, domains,
bounds), parameters, states, unknowns and processes."""

from __future__ import annotations

import math
from collections import Counter

from ...grammar import ast
from ...grammar.diagnostics import Diagnostic, EconError, Span, did_you_mean
from ..builtins import ARITHMETIC, ARITY, FUNCTIONS, OPERATORS
from ..model import Parameter, Process, State, Unknown, frozen

_DECLS = (
    ast.ParamDecl,
    ast.StateDecl,
    ast.ShockDecl,
    ast.UnknownDecl,
    ast.LetDecl,
    ast.ControlDecl,
)
_KIND = {
    ast.ParamDecl: "parameter",
    ast.StateDecl: "state",
    ast.ShockDecl: "shock",
    ast.UnknownDecl: "unknown",
    ast.LetDecl: "definition",
    ast.ControlDecl: "control",
}


def _constant_function(e) -> bool:
    """A call that a constant may contain: a function with a float form, one argument."""
    f = FUNCTIONS.get(e.func) if isinstance(e, ast.Call) else None
    return f is not None and f.constant is not None and len(e.args) == 1


def _constant_children(e) -> tuple:
    """What a constant's evaluation descends into: not the arguments of a call it refuses."""
    return () if isinstance(e, ast.Call) and not _constant_function(e) else ast.children(e)


class Declarations:
    """The checks of declarations, a part of the checker (`self.module`, `self.out`, `self.decls`,
    `self.used`, `self.overrides` and `self.of` are the checker's)."""

    def declare(self):
        for s in self.module.statements:
            if not isinstance(s, _DECLS):
                continue
            if "__" in s.name:
                self.out.error("E119", f"'{s.name}' contains '__', which walras reserves", s.span)
            if s.name in ARITY:
                self.out.error(
                    "E119",
                    f"'{s.name}' is "
                    + (
                        f"the operator '{s.name}(...)'"
                        if s.name in OPERATORS
                        else "a built-in function"
                    )
                    + " and cannot be declared",
                    s.span,
                    f"rename it, for instance '{s.name}_'",
                )
            # declared all the same, so that its uses raise nothing more
            if s.name in self.decls:
                first = self.decls[s.name]
                self.out.error(
                    "E102",
                    f"'{s.name}' is declared twice",
                    s.span,
                    notes=(f"first declared as a {_KIND[type(first)]} at line {first.span.line}",),
                )
            else:
                self.decls[s.name] = s

    def kind(self, name: str) -> str | None:
        d = self.decls.get(name)
        return _KIND[type(d)] if d is not None else None

    def constant(self, expr: ast.Expr, params: dict[str, Parameter], what: str) -> float:
        """Evaluate an expression of numbers and parameters."""
        env = {k: p.value for k, p in params.items()}

        def value(e, args):
            if isinstance(e, ast.Num):
                self.finite_number(e)
                return e.value
            if isinstance(e, ast.Name):
                self.used.add(e.id)
                if e.id in env:
                    return env[e.id]
                self.undeclared_or_wrong(
                    e, f"{what} must be a number or an expression of parameters"
                )
                return math.nan
            if isinstance(e, ast.Neg):
                return -args[0]
            if isinstance(e, ast.BinOp):
                return self.arithmetic(e, *args, what)
            if _constant_function(e):
                try:
                    return float(FUNCTIONS[e.func].constant(args[0]))
                except (ValueError, OverflowError):
                    self.out.error(
                        "E120",
                        f"{what} cannot be evaluated: {e.func}({args[0]:.4g}) has no real value",
                        e.span,
                    )
                    return math.nan
            self.out.error(
                "E120", f"{what} must be a number or an expression of parameters", e.span
            )
            return math.nan

        return float(ast.fold(expr, value, _constant_children))

    def arithmetic(self, e: ast.BinOp, a: float, b: float, what: str) -> float:
        try:
            result = ARITHMETIC[e.op](a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            result = None
        if not isinstance(result, float | int):  # complex: a negative number to a fraction
            self.out.error(
                "E120",
                f"{what} cannot be evaluated: {a:.4g} {e.op} {b:.4g} has no real value",
                e.span,
            )
            return math.nan
        if not math.isfinite(result) and math.isfinite(a) and math.isfinite(b):
            self.out.error(
                "E172",
                f"{what} is not a finite number: it evaluates to {result}",
                e.span,
                "keep the numbers within the range of a double (about 1e308)",
            )
        return result

    def finite_number(self, e: ast.Num):
        """A number written in the file, too large for a double, is an error at its place."""
        if not math.isfinite(e.value):
            self.out.error(
                "E172",
                "this number is too large: it is infinite as a double",
                e.span,
                "keep numbers below about 1e308",
            )

    def undeclared_or_wrong(self, name: ast.Name, message: str):
        if self.kind(name.id) is None:
            self.undeclared(name)
        else:
            self.out.error("E120", f"'{name.id}' is a {self.kind(name.id)}: {message}", name.span)

    def undeclared(self, name: ast.Name, candidates=None):
        hint = did_you_mean(name.id, candidates if candidates is not None else self.decls)
        self.out.error("E101", f"undeclared name '{name.id}'", name.span, hint)

    def parameters(self) -> dict[str, Parameter]:
        params: dict[str, Parameter] = {}
        for p in self.of(ast.ParamDecl):
            if p.name in params or self.decls.get(p.name) is not p:
                continue
            if p.name in self.overrides:  # later parameters follow the new value
                value = self.override_value(p.name, self.overrides[p.name])
            else:
                value = self.constant(p.value, params, f"the value of parameter '{p.name}'")
            params[p.name] = Parameter(p.name, value, p.doc, p.span)
        for k in self.overrides:
            if k not in params:
                raise EconError([self.override_error(k, params)])
        return params

    def override_value(self, key: str, value) -> float:
        """A parameter's new value (--set, `with_params`): a finite number, or a coded error."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            self.out.error(
                "E172",
                f"parameter '{key}' is set to {value!r}, which is not a finite number",
                None,
                f"give '{key}' a finite value"
                + (" (numbers beyond about 1e308 are infinite)" if math.isinf(number) else ""),
            )
        return number

    def override_error(self, key, params):
        return Diagnostic(
            "E121",
            f"no parameter '{key}' to set",
            None,
            did_you_mean(key, params) or f"parameters: {', '.join(params)}",
        )

    def states(self, params) -> dict[str, State]:
        states = {}
        for s in self.of(ast.StateDecl):
            if self.decls.get(s.name) is not s:
                continue
            if s.values is not None:
                states[s.name] = self.discrete_state(s, params)
                continue
            lo = self.constant(s.lo, params, "a domain bound")
            hi = self.constant(s.hi, params, "a domain bound")
            if lo >= hi:
                self.out.error(
                    "E122",
                    f"the domain of '{s.name}' is empty: [{lo:g}, {hi:g}]",
                    s.span,
                    "write the lower bound first",
                )
            states[s.name] = State(s.name, lo, hi, s.doc, s.span)
        return states

    def unknowns(self, params) -> list[Unknown]:
        result = []
        state_order = [s.name for s in self.of(ast.StateDecl)]
        for u in self.of(ast.UnknownDecl):
            for a in u.args:
                if self.kind(a.id) is None:
                    self.undeclared(a, state_order)
                elif self.kind(a.id) != "state":
                    self.out.error(
                        "E103",
                        f"unknown '{u.name}' depends on '{a.id}', which is a "
                        f"{self.kind(a.id)}, not a state",
                        a.span,
                        "unknowns are functions of states only",
                    )
            for name, n in Counter(a.id for a in u.args).items():
                if n > 1:
                    self.out.error(
                        "E103",
                        f"'{name}' is listed twice among the arguments of '{u.name}'",
                        u.span,
                    )
            lo, hi = self.bounds(u, params)
            args = tuple(s for s in state_order if s in {a.id for a in u.args})
            result.append(Unknown(u.name, args, lo, hi, u.doc, u.span))
        return result

    def processes(self, states) -> dict[str, Process]:
        processes: dict[str, Process] = {}
        shocks = [s.name for s in self.of(ast.ShockDecl) if s.rate is None]
        for p in self.of(ast.ProcessDecl):
            if p.state not in states:
                where = Span(
                    p.span.line,
                    p.span.column + len("process "),
                    p.span.line,
                    p.span.column + len("process ") + len(p.state),
                    p.span.source,
                )
                kind = self.kind(p.state)
                self.out.error(
                    "E104",
                    f"process for undeclared state '{p.state}'"
                    if kind is None
                    else f"process for '{p.state}', which is a {kind}, not a state",
                    where,
                    did_you_mean(p.state, states) if kind is None else None,
                )
                continue
            if p.state in processes:
                self.out.error(
                    "E102",
                    f"'{p.state}' has a second process",
                    p.span,
                    notes=(f"the first is at line {processes[p.state].span.line}",),
                )
                continue
            vols = self.volatilities(p, shocks)
            if p.drift is not None:
                self.expr(p.drift)
            jumps = self.jump_sizes(p, states[p.state])
            processes[p.state] = Process(p.state, p.drift, frozen(vols), p.span, frozen(jumps))
        for s in states.values():
            if s.name not in processes:
                self.out.error(
                    "E106",
                    f"state '{s.name}' has no process",
                    s.span,
                    f"add 'process {s.name}: drift = ..., vol[...] = ...'",
                )
        return processes

    def volatilities(self, p: ast.ProcessDecl, shocks: list[str]) -> dict[str, ast.Expr]:
        """A process's `vol[Z] = ...` terms by shock, each shock declared."""
        vols = {}
        for v in p.vols:
            if self.poisson_shock(v.shock):
                self.out.error(
                    "E124",
                    f"'{v.shock}' is a Poisson shock: it moves '{p.state}' by a jump, not a "
                    "volatility",
                    v.span,
                    f"write 'jump[{v.shock}] = ...'",
                )
            elif v.shock not in shocks:
                where = Span(
                    v.span.line,
                    v.span.column + 4,
                    v.span.line,
                    v.span.column + 4 + len(v.shock),
                    v.span.source,
                )
                self.out.error(
                    "E105",
                    f"vol[{v.shock}] names an undeclared shock",
                    where,
                    did_you_mean(v.shock, shocks) or f"declare it with 'shock {v.shock}'",
                )
            vols[v.shock] = v.expr
            self.expr(v.expr)
        return vols

    def bounds(self, u: ast.UnknownDecl, params) -> tuple[float | None, float | None]:
        """An unknown's declared bounds (None where open); the lower one below the upper one."""
        if u.bound is None:
            return None, None
        lo = None if u.bound.lo is None else self.constant(u.bound.lo, params, "a bound")
        hi = None if u.bound.hi is None else self.constant(u.bound.hi, params, "a bound")
        if lo is not None and hi is not None and not lo < hi and not math.isnan(lo + hi):
            self.out.error(
                "E173",
                f"the bounds of '{u.name}' leave it no room: [{lo:g}, {hi:g}]",
                Span(
                    u.bound.lo.span.line,
                    u.bound.lo.span.column,
                    u.bound.hi.span.end_line,
                    u.bound.hi.span.end_column,
                    u.span.source,
                ),
                "write the lower bound first, below the upper one",
            )
        return lo, hi
