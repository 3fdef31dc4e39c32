"""Parametric models: parameters solved over a range become states without dynamics.

A parameter solved "over" [lo, hi] becomes an extra state of the checked model with that domain
and no process (no drift, no volatility), and every unknown takes it as an argument. No equation
differentiates along it (the Itô drift of a function has no term along a state that does not
move), so the solvers solve the whole family of models at once, unchanged: collocation adds a
Chebyshev dimension, the neural solver a network input. The static checks agree: a state without
a process needs no boundary condition (W170 is not raised for it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from ..grammar.diagnostics import Diagnostic, EconError, did_you_mean
from .model import Model, State, frozen

CODE = "E138"


def over(model: Model, ranges: Mapping[str, tuple[float, float]]) -> Model:
    """`model` with each parameter of `ranges` turned into a state on its range (after the
    model's states, in the order given); raise `EconError` (E138) for a name that is no
    parameter of the model or a range that is empty or not finite."""
    problems = [_problem(model, name, r) for name, r in ranges.items()]
    problems = [p for p in problems if p is not None]
    if problems:
        raise EconError(problems)
    if not ranges:
        return model
    added = tuple(
        State(name, float(lo), float(hi), model.parameters[name].doc, model.parameters[name].span)
        for name, (lo, hi) in ranges.items()
    )
    return dataclasses.replace(
        model,
        parameters=frozen({k: p for k, p in model.parameters.items() if k not in ranges}),
        states=model.states + added,
        unknowns=tuple(dataclasses.replace(u, args=u.args + tuple(ranges)) for u in model.unknowns),
        easier={k: v for k, v in model.easier.items() if k not in ranges},
        parametric=model.parametric + tuple(ranges),
    )


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """`NAME=LO:HI` as (name, (lo, hi)); ValueError when it is not of that form."""
    name, sep, rest = text.partition("=")
    lo, colon, hi = rest.partition(":")
    if not sep or not colon or not name.strip():
        raise ValueError(f"--over expects NAME=LO:HI, got '{text}'")
    return name.strip(), (float(lo), float(hi))


def _problem(model: Model, name: str, r) -> Diagnostic | None:
    if name not in model.parameters:
        return Diagnostic(
            CODE,
            f"'{name}' is not a parameter of model '{model.name}': it cannot be solved over a "
            "range",
            None,
            did_you_mean(name, list(model.parameters)),
        )
    lo, hi = r
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        return Diagnostic(
            CODE,
            f"the range of '{name}' is [{lo:g}, {hi:g}]: it must be finite and not empty",
            None,
            f"write it as {name}=LO:HI with LO < HI",
        )
    return None
