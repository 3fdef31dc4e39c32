"""State constraints: `boundary at a = a_min: drift(a) >= 0` says that at that face the drift of
the state may not point out of the domain. The HJB whose control moves that drift is maximised
there subject to it (Kuhn-Tucker): for a drift at the face linear in one control, with a
coefficient of known sign, that is a bound on the control, `c <= z + r*a_min` where the drift
vanishes. The face keeps the HJB, with the control clipped to that bound (`face_steps`), and no
other condition; the solvers find by themselves where it binds. Other controls of the HJB may
move the drift inside, not at the face (a portfolio share θ in θ·a·(μ − r) at a = 0), and must
not interact with the bounded one in the maximand, so that clipping it keeps their optimum."""

from __future__ import annotations

import dataclasses

import sympy as sp

from ..grammar.diagnostics import Collector
from . import controls as optimum
from .model import Boundary, Model
from .system import Assign, Step, drift_symbol


def constrain(model: Model, out: Collector) -> Model:
    """The model with each state constraint tied to its HJB and control; errors (E167) to
    `out`. Runs before the controls are optimised (they are free symbols here)."""
    if not any(b.constraint for b in model.boundaries):
        return model
    builder = optimum.probe(model)
    boundaries = tuple(
        _tie(builder, model, b, out) if b.constraint else b for b in model.boundaries
    )
    return dataclasses.replace(model, boundaries=boundaries)


def _tie(builder, model: Model, b: Boundary, out: Collector) -> Boundary:
    c = b.constraint
    where = f"the state constraint at {b.state} = {b.at:g}"

    def error(message: str, hint: str) -> Boundary:
        out.error("E167", f"{where}: {message}", c.drift.span, hint)
        return b

    process = model.processes.get(b.state)
    if process is None or process.drift is None:
        return error(f"'{b.state}' has no drift", f"give it one: 'process {b.state}: drift = ...'")
    face = {builder.atoms.state_symbols[b.state]: sp.Float(b.at)}
    mu = builder.atomic(drift_symbol(b.state)).xreplace(face)
    hjbs = {x: e for e in model.equations for x in e.over}
    moving = sorted((x for x in hjbs if sp.Symbol(x) in mu.free_symbols), key=str)
    if len(moving) != 1:
        return error(
            f"the drift of '{b.state}' at the face depends on "
            + ("no control" if not moving else f"several controls ({', '.join(moving)})"),
            "a state constraint bounds the one control of an HJB ('max(c): ...') that moves "
            "the state's drift at the face",
        )
    (name,) = moving
    x = sp.Symbol(name)
    slope = sp.diff(mu, x)
    values = {sp.Symbol(k): v for k, v in model.params.items() if k not in hjbs}
    at_face = slope.xreplace(values)
    if x in slope.free_symbols or not (at_face.is_positive or at_face.is_negative):
        return error(
            f"the drift of '{b.state}' is not linear in '{name}' with a slope of known sign",
            f"write the drift of '{b.state}' as a linear function of '{name}', such as "
            f"'r*a + z - {name}'",
        )
    try:
        bound = optimum.written(builder, sp.cancel(x - mu / slope), c.drift.span)
    except ValueError:
        return error(
            f"the drift of '{b.state}' vanishes where '{name}' depends on a value after a jump "
            "or on a second derivative",
            "write the drift in the states, the parameters and first derivatives",
        )
    equation = hjbs[name]
    maximand = builder.convert(equation.rhs, atomic=True)
    coupled = [
        y
        for y in equation.over
        if y != name and sp.diff(maximand, x, sp.Symbol(y)).xreplace(face) != 0
    ]
    if coupled:
        out.error(
            "E164",
            f"{where} bounds '{name}', which interacts in the maximand of '{equation.name}' with "
            f"{', '.join(repr(y) for y in coupled)}, chosen jointly with it",
            c.drift.span,
            "bound only controls that enter the maximand separately",
        )
        return b
    upper = bool(at_face.is_negative) == (c.op == ">=")
    constraint = dataclasses.replace(
        c, equation=equation.name, control=name, bound=bound, upper=upper
    )
    return dataclasses.replace(b, lhs=equation.lhs, rhs=equation.rhs, constraint=constraint)


def face_steps(builder, b: Boundary) -> dict[sp.Symbol, Step]:
    """The steps that differ on a state constraint's face: its control clipped to its bound."""
    c = b.constraint
    if c is None or c.control is None:
        return {}
    x = sp.Symbol(c.control)
    step = _by_symbol(builder.steps).get(x)
    if step is None:  # the probe of `constrain`, where the control is a free symbol
        return {}
    bound = builder.convert(c.bound)
    if isinstance(step, Assign):
        return {x: Assign(x, (sp.Min if c.upper else sp.Max)(step.expr, bound))}
    i = step.symbols.index(x)
    if step.positive[i]:  # solved in its logarithm
        bound = sp.log(bound)
    limits = list(step.hi if c.upper else step.lo)
    limits[i] = bound if limits[i] is None else (sp.Min if c.upper else sp.Max)(limits[i], bound)
    clipped = dataclasses.replace(step, **{"hi" if c.upper else "lo": tuple(limits)})
    return {s: clipped for s in step.symbols}


def _by_symbol(steps) -> dict[sp.Symbol, Step]:
    return {x: s for s in steps for x in getattr(s, "symbols", (getattr(s, "symbol", None),))}
