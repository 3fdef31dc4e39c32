"""Checks that tie unknowns to equations: the model has unknowns, each unknown enters some
equation, and each equation involves some unknown (directly, through definitions, or through the
process terms that `drift` and `vol` bring in)."""

from __future__ import annotations

from ...grammar import ast
from ...grammar.diagnostics import Diagnostic, Span
from ..model import Model

PROCESSES = "drift/vol"  # the graph's node for every process term (not a valid name)
OPERATORS = ("drift", "vol")


def coverage(model: Model, where: Span | None) -> list[Diagnostic]:
    """E174 when there is no unknown, E175 for an unknown no equation involves, E176 for an
    equation that involves no unknown; `where` is the model statement's place."""
    if not model.unknowns:
        return [
            Diagnostic(
                "E174",
                f"model '{model.name}' has no unknowns",
                where,
                "declare the functions to solve for, e.g. 'unknown pd(y) > 0', and one "
                "equation for each",
            )
        ]
    reach = Reach(model)
    found, involved = [], set()
    for e in model.equations:
        names = reach.unknowns(*(x for x in (e.lhs, e.rhs, e.var, e.bound) if x is not None))
        involved |= names
        if not names:
            found.append(
                Diagnostic(
                    "E176",
                    f"equation '{e.name}' involves no unknown",
                    e.span,
                    "an equation restricts unknowns; a relation between parameters belongs in "
                    "a 'parameter' or 'let' statement",
                )
            )
    for u in model.unknowns:
        if u.name not in involved:
            found.append(
                Diagnostic(
                    "E175",
                    f"unknown '{u.name}' appears in no equation",
                    u.span,
                    f"use '{u.name}' in an equation (directly or through a 'let'), or remove it",
                )
            )
    return found


class Reach:
    """Which unknowns an expression reaches through definitions and process terms."""

    def __init__(self, model: Model):
        self.unknown_names = {u.name for u in model.unknowns}
        self.edges = {name: _refs(d.expr) for name, d in model.definitions.items()}
        terms = [p.drift for p in model.processes.values() if p.drift is not None]
        terms += [v for p in model.processes.values() for v in p.vols.values()]
        terms += [j for p in model.processes.values() for j in p.jumps.values()]
        terms += list(model.rates.values())
        self.edges[PROCESSES] = set().union(*(_refs(t) for t in terms))

    def unknowns(self, *exprs: ast.Expr) -> set[str]:
        """The unknowns reached from `exprs` (iterative search: any depth of definitions)."""
        todo = list(set().union(*(_refs(x) for x in exprs)))
        seen = set(todo)
        while todo:
            for ref in self.edges.get(todo.pop(), ()):
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        return seen & self.unknown_names


def _refs(expr: ast.Expr) -> set[str]:
    """The names an expression refers to, and PROCESSES when it applies `drift` or `vol`."""
    refs = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            refs.add(node.id)
        elif isinstance(node, ast.Call) and node.func in OPERATORS:
            refs.add(PROCESSES)
    return refs
