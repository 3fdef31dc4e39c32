"""A start whose residuals are not finite: which equations, where (in the model's states), and
whether the guess itself leaves the domain of a function there or only its expansion does."""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np

from ..start import Guess, start_guess, traced_start
from .evidence import evidence, located
from .problem import System
from .start_values import interpolated

DOMAIN = (
    "a negative base to a fractional power, a logarithm or square root of a negative number, "
    "a division by zero"
)


def note(system: System, params: Mapping[str, float], given, otherwise: Guess, margin) -> str:
    """What to tell of a start (from `given`, else the model's guesses, `otherwise` for the
    unknowns without one) whose residuals are not finite."""
    problem = system.problem
    p = {k: jnp.float64(v) for k, v in params.items()}
    start = interpolated(system, start_guess(problem, params, given, otherwise))
    ev = evidence(system, start, p, margin)
    fields = _fields(system, params, given, otherwise)
    bad = {k: ev.where[k] for k, v in ev.sup.items() if not np.isfinite(v)}
    own = _not_finite(system, fields, p, ev.x, bad) if fields is not None else {}
    guessed = problem.compiled.model.guesses
    unguessed = [u.name for u in problem.unknowns if u.name not in guessed]
    if own and given is None and unguessed:
        names = ", ".join(unguessed)
        return (
            f"the start is not finite: {names} {'starts' if len(unguessed) == 1 else 'start'} "
            "from a constant (no `guess`), and the residuals are not finite in "
            + _places(system, own)
            + ": a constant's derivatives vanish, and the equations divide by them there (a "
            f"control read from a marginal value, say); give a guess for {names} "
            f"(`guess {unguessed[0]} = ...`)"
        )
    if own:
        return (
            "the start is not finite: the guess gives residuals that are not finite in "
            + _places(system, own)
            + f": it leaves the domain of a function there ({DOMAIN}); give a guess whose "
            "equations are finite on the whole domain"
        )
    which = (
        "the guess is finite there, but not its expansion"
        if fields is not None
        else "the start is an expansion"
    )
    return (
        "the start is not finite: its residuals are not finite in "
        + _places(system, bad)
        + f"; {which} at degree {system.degree}: where a guess bends more than "
        f"the expansion can follow, its values or slopes leave the domain of a function "
        f"({DOMAIN}); give a guess that is smooth and finite, with its slopes, on the whole "
        "domain"
    )


def _places(system: System, where: Mapping[str, np.ndarray]) -> str:
    return "; ".join(
        f"'{k}'" + located(system.compiled.states, x, " at ") for k, x in where.items()
    )


def _fields(system: System, params, given, otherwise: Guess) -> dict | None:
    """The start as JAX functions of a point (the guess statements, a constant for the other
    unknowns, or a previous solution's fields); None for a start given as a function of points."""
    if isinstance(given, Mapping):
        return dict(given)
    if given is not None:
        return None
    stated = traced_start(system.problem, params) or {}
    constant = lambda v: lambda x: jnp.float64(v)  # noqa: E731
    return {
        u.name: stated.get(u.name) or constant(otherwise(u.name, np.zeros((1, len(u.args))))[0])
        for u in system.problem.unknowns
    }


def _not_finite(system: System, fields, p, x, bad) -> dict[str, np.ndarray]:
    """Where the guess's own residuals are not finite: the first fine point of each interior
    equation, and the start's worst point of each boundary condition that is not finite."""
    compiled, out = system.compiled, {}
    for name, r in compiled.residuals(fields, p, jnp.asarray(x)).items():
        r = np.asarray(r)
        if not np.all(np.isfinite(r)):
            out[name] = x[int(np.argmax(~np.isfinite(r)))]
    faces = {k: jnp.asarray(v)[None] for k, v in bad.items() if k not in out}
    for b in system.problem.boundaries:
        if b.name in faces:
            r = compiled.boundary_residuals(fields, p, faces, only=b.name)[b.name]
            if not np.all(np.isfinite(np.asarray(r))):
                out[b.name] = bad[b.name]
    return out
