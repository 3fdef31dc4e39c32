"""Semantic checks: from a parsed module to a `Model`, reporting every error of the file at once.

`declarations` checks names and constants (parameters, states, unknowns, processes);
`statements` the equations, boundary conditions, settings, weights and expressions; `jumps`
discrete states, Poisson shocks, jump terms and where they lead; `guesses` the solvers' starts."""

from __future__ import annotations

import dataclasses

from ...grammar import ast
from ...grammar.diagnostics import Collector
from ..constraints import constrain
from ..controls import optimise
from ..model import Definition, Model, frozen
from .constant_lets import ConstantLets
from .controls import Controls
from .coverage import coverage
from .declarations import Declarations
from .edges import edge_warnings
from .guesses import Guesses
from .jumps import Jumps, jump_diagnostics
from .statements import Statements


def check(module: ast.Module, overrides: dict[str, float] | None = None) -> Model:
    """Check an equation-level module; raise `EconError` with all errors, keep warnings."""
    return _Checker(module, overrides or {}).run()


class _Checker(Declarations, Statements, Jumps, Guesses, Controls, ConstantLets):
    def __init__(self, module: ast.Module, overrides: dict[str, float]):
        self.module = module
        self.overrides = overrides
        self.out = Collector()
        self.decls: dict[str, object] = {}
        self.used: set[str] = set()

    def of(self, kind):
        return [s for s in self.module.statements if isinstance(s, kind)]

    def run(self) -> Model:
        models = self.of(ast.ModelDecl)
        self.model_statements(models)
        self.declare()
        params = self.parameters()
        states = self.states(params)
        unknowns = self.unknowns(params)
        controls = self.controls(params)
        definitions = {
            d.name: Definition(d.name, d.expr, d.doc, d.span) for d in self.of(ast.LetDecl)
        }
        for d in self.of(ast.LetDecl):
            self.expr(d.expr)
        self.constant_lets(params)
        processes = self.processes(states)
        rates = self.rates()
        equations = self.equations()
        self.maximised(controls)
        boundaries = self.boundaries(states, params)
        solver = self.solver_options()
        weights = self.weights(equations, boundaries)
        beyond = self.beyond_statements(states, unknowns, params)
        guesses = self.guesses(unknowns)
        self.unused(params)
        self.out.raise_if_errors()
        model = Model(
            models[0].name,
            models[0].title,
            frozen(params),
            tuple(states.values()),
            tuple(s.name for s in self.of(ast.ShockDecl) if s.rate is None),
            frozen(processes),
            tuple(unknowns),
            frozen(definitions),
            tuple(equations),
            tuple(boundaries),
            frozen(solver),
            frozen(weights),
            (),
            self.module,
            frozen(rates),
            tuple(beyond),
            tuple(dict.fromkeys(s.simplex for s in self.of(ast.StateDecl) if s.simplex)),
            guesses=frozen(guesses),
            controls=tuple(controls),
        )
        model = optimise(constrain(model, self.out), self.out)
        return self.posed(model, models[0].span)

    def model_statements(self, models: list[ast.ModelDecl]):
        if not models:
            self.out.error(
                "E100", "the file declares no model", None, "start it with 'model NAME \"title\"'"
            )
        for extra in models[1:]:
            self.out.error(
                "E102",
                f"a second 'model' statement ('{extra.name}')",
                extra.span,
                "one file holds one model",
            )

    def posed(self, model: Model, where) -> Model:
        """The checks of a model as a whole: unknowns tied to equations, edges that need a
        boundary condition; the model with every warning."""
        self.out.items.extend(coverage(model, where))
        self.out.items.extend(jump_diagnostics(model))
        self.out.raise_if_errors()
        self.out.items.extend(edge_warnings(model))
        return dataclasses.replace(model, warnings=tuple(self.out.warnings))
