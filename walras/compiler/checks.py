"""Semantic checks: from a parsed module to a `Model`, reporting every error of the file at once."""

from __future__ import annotations

import math
from collections import Counter

from ..grammar import ast
from ..grammar.diagnostics import Collector, Diagnostic, EconError, Span, did_you_mean
from ..settings import CHOICES, FIELDS, coerce
from .builtins import ARITHMETIC, ARITY, FUNCTIONS
from .model import Boundary, Definition, Equation, Model, Parameter, Process, State, Unknown, frozen

_DECLS = (ast.ParamDecl, ast.StateDecl, ast.ShockDecl, ast.UnknownDecl, ast.LetDecl)
_KIND = {
    ast.ParamDecl: "parameter",
    ast.StateDecl: "state",
    ast.ShockDecl: "shock",
    ast.UnknownDecl: "unknown",
    ast.LetDecl: "definition",
}


def check(module: ast.Module, overrides: dict[str, float] | None = None) -> Model:
    """Check an equation-level module; raise `EconError` with all errors, keep warnings."""
    return _Checker(module, overrides or {}).run()


def _constant_function(e) -> bool:
    """A call that a constant may contain: a function with a float form, one argument."""
    f = FUNCTIONS.get(e.func) if isinstance(e, ast.Call) else None
    return f is not None and f.constant is not None and len(e.args) == 1


def _constant_children(e) -> tuple:
    """What a constant's evaluation descends into: not the arguments of a call it refuses."""
    return () if isinstance(e, ast.Call) and not _constant_function(e) else ast.children(e)


class _Checker:
    def __init__(self, module: ast.Module, overrides: dict[str, float]):
        self.module = module
        self.overrides = overrides
        self.out = Collector()
        self.decls: dict[str, object] = {}
        self.used: set[str] = set()

    def of(self, kind):
        return [s for s in self.module.statements if isinstance(s, kind)]

    def run(self) -> Model:
        out = self.out
        models = self.of(ast.ModelDecl)
        if not models:
            out.error(
                "E100", "the file declares no model", None, "start it with 'model NAME \"title\"'"
            )
        for extra in models[1:]:
            out.error(
                "E102",
                f"a second 'model' statement ('{extra.name}')",
                extra.span,
                "one file holds one model",
            )
        self.declare()
        params = self.parameters()
        states = self.states(params)
        shocks = tuple(s.name for s in self.of(ast.ShockDecl))
        unknowns = self.unknowns(params)
        definitions = {
            d.name: Definition(d.name, d.expr, d.doc, d.span) for d in self.of(ast.LetDecl)
        }
        for d in self.of(ast.LetDecl):
            self.expr(d.expr)
        processes = self.processes(states)
        equations = self.equations()
        boundaries = self.boundaries(states)
        solver = self.solver_options()
        weights = self.weights(equations, boundaries)
        self.unused(params)
        out.raise_if_errors()
        m = models[0]
        return Model(
            m.name,
            m.title,
            frozen(params),
            tuple(states.values()),
            shocks,
            frozen(processes),
            tuple(unknowns),
            frozen(definitions),
            tuple(equations),
            tuple(boundaries),
            frozen(solver),
            frozen(weights),
            tuple(out.warnings),
            self.module,
        )

    # declarations ---------------------------------------------------------------------------
    def declare(self):
        for s in self.module.statements:
            if not isinstance(s, _DECLS):
                continue
            if "__" in s.name:
                self.out.error("E119", f"'{s.name}' contains '__', which walras reserves", s.span)
            if s.name in ARITY:
                self.out.error(
                    "E119",
                    f"'{s.name}' is a built-in function and cannot be declared",
                    s.span,
                    f"rename it, for instance '{s.name}_'",
                )
            elif s.name in self.decls:
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
                    self.out.error("E120", f"{what} cannot be evaluated", e.span)
                    return math.nan
            self.out.error(
                "E120", f"{what} must be a number or an expression of parameters", e.span
            )
            return math.nan

        return float(ast.fold(expr, value, _constant_children))

    def arithmetic(self, e: ast.BinOp, a: float, b: float, what: str) -> float:
        try:
            return ARITHMETIC[e.op](a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            self.out.error("E120", f"{what} cannot be evaluated", e.span)
            return math.nan

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
            value = self.constant(p.value, params, f"the value of parameter '{p.name}'")
            params[p.name] = Parameter(p.name, value, p.doc, p.span)
        for k, v in self.overrides.items():
            if k not in params:
                raise EconError([self.override_error(k, params)])
            params[k] = Parameter(k, float(v), params[k].doc, params[k].span)
        return params

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
            lo = hi = None
            if u.bound is not None:
                lo = None if u.bound.lo is None else self.constant(u.bound.lo, params, "a bound")
                hi = None if u.bound.hi is None else self.constant(u.bound.hi, params, "a bound")
            args = tuple(s for s in state_order if s in {a.id for a in u.args})
            result.append(Unknown(u.name, args, lo, hi, u.doc, u.span))
        return result

    def processes(self, states) -> dict[str, Process]:
        processes: dict[str, Process] = {}
        shocks = [s.name for s in self.of(ast.ShockDecl)]
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
            vols = {}
            for v in p.vols:
                if v.shock not in shocks:
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
            if p.drift is not None:
                self.expr(p.drift)
            processes[p.state] = Process(p.state, p.drift, frozen(vols), p.span)
        for s in states.values():
            if s.name not in processes:
                self.out.error(
                    "E106",
                    f"state '{s.name}' has no process",
                    s.span,
                    f"add 'process {s.name}: drift = ..., vol[...] = ...'",
                )
        return processes

    def equations(self) -> list[Equation]:
        eqs = []
        for e in self.module.statements:
            if isinstance(e, ast.EquationDecl):
                eqs.append(Equation(e.name, e.lhs, e.rhs, e.doc, e.span))
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

    def boundaries(self, states) -> list[Boundary]:
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
            at = (
                self.constant(b.at, {}, "a boundary's position")
                if not list(ast.names_in(b.at))
                else math.nan
            )
            if not (math.isclose(at, s.lo, abs_tol=1e-12) or math.isclose(at, s.hi, abs_tol=1e-12)):
                self.out.error(
                    "E112",
                    f"a boundary of '{s.name}' must be at an edge of its domain",
                    b.at.span,
                    f"the domain of '{s.name}' is [{s.lo:g}, {s.hi:g}]",
                )
                continue
            counts[s.name] += 1
            result.append(
                Boundary(
                    f"boundary_{s.name}_{'lo' if math.isclose(at, s.lo) else 'hi'}",
                    s.name,
                    at,
                    b.lhs,
                    b.rhs,
                    b.doc,
                    b.span,
                )
            )
        names = Counter(b.name for b in result)
        return [
            b
            if names[b.name] == 1
            else Boundary(f"{b.name}_{i}", b.state, b.at, b.lhs, b.rhs, b.doc, b.span)
            for i, b in enumerate(result)
        ]

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
        for call in ast.calls_in(e):
            self.call(call)
        shock_args = {
            id(c.args[1]) for c in ast.calls_in(e) if c.func == "vol" and len(c.args) == 2
        }
        for n in ast.names_in(e):
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
                    f"the shock '{n.id}' can only appear as the second argument of vol",
                    n.span,
                    f"write 'vol(f, {n.id})'",
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
                    did_you_mean(c.func, ARITY) or f"functions: {', '.join(ARITY)}",
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
            if n not in (2, 3):
                self.out.error(
                    "E110",
                    "'d' takes an expression and one or two states: d(f, x) or d(f, x, y)",
                    c.span,
                )
            for a in c.args[1:]:
                if not (isinstance(a, ast.Name) and self.kind(a.id) == "state"):
                    self.out.error(
                        "E113",
                        "the variables of 'd' must be states",
                        a.span,
                        did_you_mean(a.id, [k for k in self.decls if self.kind(k) == "state"])
                        if isinstance(a, ast.Name)
                        else None,
                    )
        elif c.func == "vol" and n == 2:
            z = c.args[1]
            if not (isinstance(z, ast.Name) and self.kind(z.id) == "shock"):
                shocks = [s.name for s in self.of(ast.ShockDecl)]
                self.out.error(
                    "E114",
                    "the second argument of 'vol' must be a shock",
                    z.span,
                    did_you_mean(z.id, shocks)
                    if isinstance(z, ast.Name)
                    else f"shocks: {', '.join(shocks) or 'none declared'}",
                )
