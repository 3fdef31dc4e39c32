"""The symbolic stage: a checked `Model` becomes a `System` of sympy assignments in dependency
order, with cyclic groups of definitions solved and every `d`, `vol` and `drift` expanded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import sympy as sp
from sympy.solvers.solveset import NonlinearError

from ..grammar import ast
from ..grammar.diagnostics import Collector, Span
from . import constraints, ito, jumps, place_sums
from .builtins import ARITHMETIC, FUNCTIONS, operands
from .graph import Graph
from .model import Model
from .system import (
    Assign,
    BoundaryResidual,
    ControlSolve,
    CurvatureStep,
    LinearSolve,
    Residual,
    Step,
    System,
    drift_symbol,
    jump_symbol,
    rate_symbol,
    vol_symbol,
)

SMALL_CYCLE = 4  # groups up to this size are solved symbolically; larger ones per point
SIMPLIFY_OPS = 400  # solutions up to this many operations are put over a common denominator


def build(model: Model) -> System:
    """Derive the system of a checked model; raise `EconError` for nonlinear cycles and the like."""
    return _Builder(model).run()


@dataclass
class _Node:
    symbol: sp.Symbol
    label: str  # what the user calls it: 'sigma_q', 'drift of eta', 'vol[Z] of eta'
    expr: ast.Expr
    span: Span


class _Builder:
    def __init__(self, model: Model):
        self.model = model
        self.out = Collector()
        self.atoms = ito.Atoms(model.state_names, {u.name: u.args for u in model.unknowns})
        self.params = {p: sp.Symbol(p) for p in model.parameters}
        self.nodes: dict[sp.Symbol, _Node] = {}
        for d in model.definitions.values():
            self.nodes[sp.Symbol(d.name)] = _Node(sp.Symbol(d.name), d.name, d.expr, d.span)
        for p in model.processes.values():
            if p.drift is not None:
                sym = drift_symbol(p.state)
                self.nodes[sym] = _Node(sym, f"the drift of {p.state}", p.drift, p.span)
            for k, e in p.vols.items():
                sym = vol_symbol(p.state, k)
                self.nodes[sym] = _Node(sym, f"vol[{k}] of {p.state}", e, p.span)
            for k, e in p.jumps.items():
                sym = jump_symbol(p.state, k)
                self.nodes[sym] = _Node(sym, f"jump[{k}] of {p.state}", e, p.span)
        for k, e in model.rates.items():
            sym = rate_symbol(k)
            self.nodes[sym] = _Node(sym, f"the rate of {k}", e, e.span)
        self.by_name = {n.label: s for s, n in self.nodes.items() if n.label in model.definitions}
        self.mu = {s: drift_symbol(s) for s, p in model.processes.items() if p.drift is not None}
        self.vols = {
            k: {s: vol_symbol(s, k) for s, p in model.processes.items() if k in p.vols}
            for k in model.shocks
        }
        self.directions = {None: self.mu, **self.vols}
        self.rates = {k: rate_symbol(k) for k in model.rates}
        self.sizes = {
            k: {s: jump_symbol(s, k) for s, p in model.processes.items() if k in p.jumps}
            for k in model.rates
        }
        self.resolved: dict[sp.Symbol, sp.Expr] = {}
        self.atomic_cache: dict[sp.Symbol, sp.Expr] = {}
        self.steps: list[Step] = []
        self.members: set[sp.Symbol] = set()
        self.opaque: set[sp.Symbol] = set()  # members of per-point linear solves
        self.jump_sums: dict[sp.Expr, sp.Expr] = {}  # g -> the jump part of drift(g)
        self.implicit = {sp.Symbol(c): i for i in model.implicit for c in i.controls}

    # graph ----------------------------------------------------------------------------------
    def deps(self, node: _Node) -> set[sp.Symbol]:
        if node.symbol in self.implicit:  # its conditions are written in atoms
            return set()
        deps = {self.by_name[n.id] for n in ast.names_in(node.expr) if n.id in self.by_name}
        for c in ast.calls_in(node.expr):
            if c.func == "vol" and len(c.args) == 2:
                deps |= set(self.vols.get(c.args[1].id, {}).values())
            elif c.func == "jump" and len(c.args) == 2:
                deps |= set(self.sizes.get(c.args[1].id, {}).values())
            elif c.func == "rate" and c.args:
                deps.add(self.rates.get(c.args[0].id))
            elif c.func == "drift":
                deps |= set(self.mu.values()) | set(self.rates.values())
                for v in (*self.vols.values(), *self.sizes.values()):
                    deps |= set(v.values())
        return deps & set(self.nodes)

    def run(self) -> System:
        graph = Graph(
            tuple(self.nodes), tuple((s, d) for s, n in self.nodes.items() for d in self.deps(n))
        )
        cycles = []
        for group in graph.components():
            cyclic = graph.cyclic(group)
            if cyclic:
                cycles.append(tuple(self.nodes[s].label for s in group))
            self.solve_group(group, cyclic)
        m = self.model
        residuals = []
        for e in m.equations:
            if e.is_complementarity:
                lhs, rhs, var, bound = (self.convert(x) for x in (e.lhs, e.rhs, e.var, e.bound))
                sign = 1 if e.op == "<=" else -1
                residuals.append(
                    Residual(
                        e.name,
                        a=sign * (rhs - lhs),
                        b=sign * (bound - var),
                        var=var,
                        bound=bound,
                        upper=e.op == "<=",
                    )
                )
            else:
                residuals.append(Residual(e.name, expr=self.convert(e.lhs) - self.convert(e.rhs)))
        boundaries = tuple(
            BoundaryResidual(
                b.name,
                b.state,
                b.at,
                self.convert(b.lhs) - self.convert(b.rhs),
                constraints.face_steps(self, b),
            )
            for b in m.boundaries
        )
        self.out.raise_if_errors()
        self.steps = place_sums.vectorised(
            self.steps, m.module.places, self.atoms, self.rates, self.atomic
        )
        outputs = {d: sp.Symbol(d) for d in m.definitions}
        for s, sym in self.mu.items():
            outputs.setdefault(f"drift_{s}", sym)
        for k, v in self.vols.items():
            for s, sym in v.items():
                outputs.setdefault(f"vol_{s}_{k}" if len(m.shocks) > 1 else f"vol_{s}", sym)
        for k, sym in self.rates.items():
            outputs.setdefault(f"rate_{k}", sym)
            for s, size in self.sizes[k].items():
                outputs.setdefault(f"jump_{s}_{k}", size)
        return System(
            m,
            self.atoms,
            tuple(m.parameters),
            tuple(self.steps),
            outputs,
            tuple(residuals),
            boundaries,
            tuple(cycles),
            graph,
        )

    # conversion -----------------------------------------------------------------------------
    def convert(self, e: ast.Expr, atomic: bool = False) -> sp.Expr:
        """AST to sympy. Definitions stay symbols (a DAG), except under `atomic`, where they are
        inlined down to atoms so that operators can differentiate them."""

        def value(e, args):
            if isinstance(e, ast.Num):
                return sp.Integer(int(e.value)) if e.value == int(e.value) else sp.Float(e.value)
            if isinstance(e, ast.Name):
                return self.name(e, atomic)
            if isinstance(e, ast.Neg):
                return -args[0]
            if isinstance(e, ast.BinOp):
                return ARITHMETIC[e.op](*args)
            if e.func in FUNCTIONS:
                return FUNCTIONS[e.func].sympy(*args)
            return self.operator(e, atomic)

        return ast.fold(e, value, operands)

    def operator(self, e: ast.Call, atomic: bool) -> sp.Expr:
        """`d`, `vol`, `drift`, `jump` or `rate`, applied to the atomic form of its argument."""
        if e.func == "rate":
            return self.link(self.rates[e.args[0].id], atomic)
        try:
            g = self.convert(e.args[0], atomic=True)
            if e.func == "d":
                for x in e.args[1:]:
                    g = ito.partial(self.atoms, g, x.id)
                return g
            if e.func == "vol":
                shock = e.args[1].id
                return self.link(ito.along(self.atoms, g, shock, self.vols[shock]), atomic)
            if e.func == "jump":
                shock = e.args[1].id
                return self.link(jumps.after(self.atoms, g, shock, self.sizes[shock]) - g, atomic)
            ito_drift = ito.drift(self.atoms, g, self.mu, self.vols, self.moves)
            if atomic:
                return self.inline(
                    ito_drift + jumps.generator(self.atoms, g, self.rates, self.sizes)
                )
            return ito_drift + self.jump_step(g)
        except (ito.ItoError, _CycleArgument) as err:
            self.out.error("E117", str(err), e.span)
            return sp.nan

    def jump_step(self, g: sp.Expr) -> sp.Expr:
        """The symbol of the jump part of drift(g), a `JumpSum` step (once per g), or 0."""
        if g not in self.jump_sums:
            symbol = sp.Symbol(f"jumps__{len(self.jump_sums)}")
            step = jumps.jump_sum(symbol, self.atoms, g, self.rates, self.sizes)
            if step is not None:
                self.steps.append(step)
            self.jump_sums[g] = sp.Integer(0) if step is None else symbol
        return self.jump_sums[g]

    def moves(self, unknown: str, shock: str) -> bool:
        args = self.atoms.unknown_args[unknown]
        return any(x in self.vols[shock] for x in args)

    def link(self, expr: sp.Expr, atomic: bool) -> sp.Expr:
        """An expansion under `atomic`: velocity atoms written out, process terms inlined."""
        return self.inline(expr) if atomic else expr

    def inline(self, expr: sp.Expr) -> sp.Expr:
        expr = ito.expand(self.atoms, expr, self.directions)
        return expr.xreplace({s: self.atomic(s) for s in expr.free_symbols if s in self.nodes})

    def name(self, e: ast.Name, atomic: bool) -> sp.Expr:
        m = self.model
        if e.id in m.parameters:
            return self.params[e.id]
        if e.id in self.atoms.state_symbols:
            return self.atoms.state_symbols[e.id]
        if e.id in self.atoms.unknown_args:
            return self.atoms.partial(e.id)
        sym = self.by_name[e.id]
        return self.atomic(sym) if atomic else sym

    def atomic(self, sym: sp.Symbol) -> sp.Expr:
        if sym in self.implicit:
            raise _CycleArgument(
                f"the control '{sym}' is solved per point (its first-order condition has no "
                "closed form): operators cannot differentiate it"
            )
        if sym in self.members or sym in self.opaque:
            raise _CycleArgument(
                f"'{self.nodes[sym].label}' is differentiated inside its own cycle of definitions; "
                "walras can only solve cycles in which operators act on expressions outside them"
            )
        if sym not in self.atomic_cache:
            self.atomic_cache[sym] = self.inline(self.resolved[sym])
        return self.atomic_cache[sym]

    # groups ---------------------------------------------------------------------------------
    def solve_group(self, group: list[sp.Symbol], cyclic: bool):
        if group[0] in self.implicit:
            self.control_solve(self.implicit[group[0]])
            return
        self.members = set(group)
        n_curv = len(self.atoms.meaning)
        exprs = {s: self.convert(self.nodes[s].expr) for s in group}
        self.members = set()
        self.curvature_steps(n_curv, group)
        if not cyclic:
            (s,) = group
            self.resolved[s] = exprs[s]
            self.steps.append(Assign(s, exprs[s]))
            return
        syms = list(group)
        members = set(syms)
        moving = {k: w for k, w in self.directions.items() if set(w.values()) & members}
        speeds = sorted(
            set().union(*(ito.velocities(self.atoms, e, moving) for e in exprs.values())), key=str
        )
        try:  # velocities along the members' directions are linear in them
            A, _ = sp.linear_eq_to_matrix([s - exprs[s] for s in syms], syms + speeds)
            if A.free_symbols & (members | set(speeds)):
                raise NonlinearError
        except (NonlinearError, ValueError):
            nodes = [self.nodes[s] for s in syms]
            self.out.error(
                "E109",
                "these definitions form a cycle that is not linear in its "
                "members: " + ", ".join(n.label for n in nodes),
                nodes[0].span,
                "break the cycle, or write it so each member enters linearly",
                notes=tuple(f"'{n.label}' at line {n.span.line}" for n in nodes),
            )
            for s in syms:
                self.resolved[s] = sp.nan
            return
        written_out = partial(ito.expand, self.atoms, directions=moving)
        if len(syms) <= SMALL_CYCLE:
            A, b = sp.linear_eq_to_matrix([s - written_out(exprs[s]) for s in syms], syms)
            for s, value in zip(syms, A.LUsolve(b)):
                if sp.count_ops(value) <= SIMPLIFY_OPS:  # readable; cancel is slow on large ones
                    value = sp.cancel(sp.together(value))
                self.resolved[s] = value
                self.steps.append(Assign(s, value))
        else:
            self.steps.append(LinearSolve(tuple(syms), tuple(exprs[s] for s in syms), written_out))
            for s in syms:
                self.resolved[s] = s
                self.opaque.add(s)

    def control_solve(self, implicit):
        """One step for the controls of an HJB, when the first of them is met."""
        symbols = tuple(sp.Symbol(c) for c in implicit.controls)
        if symbols[0] in self.resolved:
            return
        for _, m in implicit.partials:
            self.atoms.partial(m.unknown, m.alpha)
        self.steps.append(
            ControlSolve(symbols, implicit.focs, implicit.lo, implicit.hi, implicit.positive)
        )
        for s in symbols:
            self.resolved[s] = s
            self.opaque.add(s)

    def curvature_steps(self, start: int, group):
        """Curvature atoms created while converting `group`; their shock's vols must be known."""
        for sym, m in list(self.atoms.meaning.items())[start:]:
            if isinstance(m, ito.Curvature):
                needs = set(self.vols[m.shock].values())
                if needs & set(group):
                    span = self.nodes[group[0]].span
                    self.out.error(
                        "E117",
                        f"the volatility of a state depends on a drift "
                        f"({', '.join(self.nodes[s].label for s in group)})",
                        span,
                    )
                self.steps.append(CurvatureStep(sym, m))


class _CycleArgument(ValueError):
    pass
