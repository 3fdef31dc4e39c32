"""Semantic checks: from a parsed module to a `Model`, reporting every error of the file at once.

`declarations` checks names and constants (parameters, states, unknowns, processes);
`statements` the equations, boundary conditions, settings, weights and expressions."""

from __future__ import annotations

from ...grammar import ast
from ...grammar.diagnostics import Collector
from ..model import Definition, Model, frozen
from .declarations import Declarations
from .statements import Statements


def check(module: ast.Module, overrides: dict[str, float] | None = None) -> Model:
    """Check an equation-level module; raise `EconError` with all errors, keep warnings."""
    return _Checker(module, overrides or {}).run()


class _Checker(Declarations, Statements):
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
