"""The economy layer: agents, assets and markets lowered into equation-level statements.

`economy_spec` reads and checks the economy statements, `economy_derive` builds the equilibrium
equations from general rules; the result is an ordinary equation-level module."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

from ..grammar import ast
from ..grammar.diagnostics import Collector
from . import economy_arrays, economy_capital_spec, economy_chains, economy_labor, economy_ranges
from .economy_capital import CapitalDerivation
from .economy_chains_derive import ChainDerivation
from .economy_derive import Derivation
from .economy_labor_derive import LaborDerivation
from .economy_spec import read
from .model import Model, frozen

ECONOMY = (
    ast.EndowmentDecl,
    ast.AssetDecl,
    ast.AgentDecl,
    ast.ConstraintDecl,
    ast.CapitalDecl,
    ast.ChainDecl,
)
_NAMED = (ast.ParamDecl, ast.StateDecl, ast.ShockDecl, ast.UnknownDecl, ast.LetDecl)


def lower(module: ast.Module) -> ast.Module:
    """Return an equation-level module; equation-level input comes back unchanged."""
    if not any(isinstance(s, ECONOMY) for s in module.statements):
        return module
    out = Collector()
    for s in module.statements:
        if isinstance(s, ECONOMY):
            for number in _infinite(s):
                out.error(
                    "E172",
                    "this number is too large: it is infinite as a double",
                    number.span,
                    "keep numbers below about 1e308",
                )
    module = economy_arrays.expand(module, out)
    out.raise_if_errors()
    labor_output = any(isinstance(s, ast.CapitalDecl) and s.output for s in module.statements)
    places = ()
    if not labor_output:
        economy_chains.without_labor(module, out)
    if labor_output:
        module, chains = economy_chains.expand(module, out)
        econ = economy_labor.read(module, out)
        out.raise_if_errors()
        labor = ChainDerivation(econ, chains) if chains.states else LaborDerivation(econ)
        derived = labor.run()
        places = tuple(getattr(labor, "places", ()))  # pooled members' place terms
    elif any(isinstance(s, ast.CapitalDecl) for s in module.statements):
        econ = economy_capital_spec.read(module, out)
        out.raise_if_errors()
        derived = CapitalDerivation(econ).run()
    else:
        _no_capital(module, out)
        econ = read(module, out)
        out.raise_if_errors()
        derived = Derivation(econ).run()
    kept = [s for s in module.statements if not isinstance(s, ECONOMY)]
    guessed = {s.unknown.id for s in kept if isinstance(s, ast.GuessDecl)}
    derived = [s for s in derived if not (isinstance(s, ast.GuessDecl) and s.unknown.id in guessed)]
    _clashes(kept, derived, econ, out)
    out.raise_if_errors()
    return ast.Module(tuple(kept + derived), module.source, places)


def _no_capital(module: ast.Module, out: Collector):
    """Production fields need a capital stock."""
    for s in module.statements:
        used = (
            s.capital
            if isinstance(s, ast.AssetDecl)
            else s.productivity or s.depreciation or s.labor
            if isinstance(s, ast.AgentDecl)
            else None
        )
        if used is not None:
            out.error(
                "E233",
                "this refers to capital, and the economy declares no capital stock",
                used.span,
                "declare one: 'capital k: investment = log(phi*iota + 1)/phi, "
                "depreciation = delta, vol[Z] = sigma*k'",
            )


def _infinite(node):
    """The numbers of an economy statement (at any depth of its fields) that are infinite."""
    if isinstance(node, ast.Num):
        if not math.isfinite(node.value):
            yield node
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from _infinite(getattr(node, f.name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _infinite(item)


def check_values(module: ast.Module, model: Model) -> Model:
    """The checked `model` of an economy-level `module`, its values in range with the final
    parameter values (risk aversion, discount rates, supplies, risk): EconError when one is
    not, or the model with the economy's warnings added."""
    if not any(isinstance(s, ECONOMY) for s in module.statements) or any(
        isinstance(s, ast.CapitalDecl) for s in module.statements
    ):
        return model
    econ = read(economy_arrays.expand(module, Collector()), Collector())
    if econ is None:
        return model
    model = economy_ranges.check(econ, model)
    return replace(
        model,
        easier=frozen(_log_utility(econ, model.params)),
        exchangeable=economy_arrays.exchangeable(module, model),
    )


def _log_utility(econ, params) -> dict[str, float]:
    """The risk aversions written as parameters, at 1: log utility, the easy start of a
    homotopy (wealth shares and prices are then closed forms or nearly so)."""
    names = {a.gamma.id for a in econ.agents if isinstance(a.gamma, ast.Name)}
    return {n: 1.0 for n in sorted(names) if n in params and params[n] != 1}


def _clashes(kept, derived, econ, out: Collector):
    """A user's declaration may not take a name the economy layer defines (a state the user
    declared to set its domain is the one exception)."""
    made = {s.name: s for s in derived if isinstance(s, _NAMED)}
    for s in kept:
        if (
            isinstance(s, _NAMED)
            and s.name in made
            and not (isinstance(s, ast.StateDecl) and s.name in econ.state_decls)
        ):
            out.error(
                "E213",
                f"'{s.name}' is a name the economy layer defines",
                s.span,
                f"rename it: the lowered model declares '{s.name}' "
                f"({made[s.name].doc or 'a derived quantity'})",
            )
