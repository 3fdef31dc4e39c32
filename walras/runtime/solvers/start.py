"""Where a solve starts, shared by the solvers: a function (unknown, points of its states) ->
values, from the `guess=` option (a function, or a previous solution's fields in continuation) or
else from the model's `guess` statements, evaluated at the parameters of the solve (a homotopy's
first step starts from the guess at that step's values); the statements also as JAX functions of
a point (`traced_start`), which the neural networks correct."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ...compiler.start import guess_values
from .. import cache
from .base import Problem
from .blocks import by_blocks

Guess = Callable[[str, np.ndarray], np.ndarray]  # unknown, points of its states -> values


def start_guess(
    problem: Problem,
    params: Mapping[str, float],
    given: Mapping[str, Callable] | Guess | None = None,
    otherwise: Guess | None = None,
) -> Guess | None:
    """`given` (fields become a function), else the model's guess statements at `params`, with
    `otherwise` for the unknowns that have none; `otherwise` when the model has no guess."""
    if isinstance(given, Mapping):
        return fields_guess(given)
    if given is not None:
        return given
    stated = problem.compiled.model.guesses
    if not stated:
        return otherwise
    values, p = _stated(problem), {k: float(v) for k, v in params.items()}

    def guess(unknown: str, y: np.ndarray) -> np.ndarray:
        if unknown in stated:
            return np.asarray(values(unknown, jnp.asarray(y, jnp.float64), p))
        return otherwise(unknown, y)

    return guess


def guessed(problem: Problem, given) -> tuple[str, ...]:
    """The unknowns a start gives values of: all of them with `given`, else those with a guess
    statement."""
    if given is not None:
        return tuple(u.name for u in problem.unknowns)
    return tuple(problem.compiled.model.guesses)


def traced_start(problem: Problem, params: Mapping[str, float], given=None) -> dict | None:
    """The model's guess statements at `params` as functions of one point of an unknown's
    states (`GuessAt`), for the unknowns they give; None with a `given` start (the `guess=`
    option) or without statements."""
    stated = problem.compiled.model.guesses
    if given is not None or not stated:
        return None
    values = _stated(problem)
    model = problem.compiled.key or f"unkeyed {id(values)}"
    p = tuple(sorted((k, float(v)) for k, v in params.items()))
    return {u: GuessAt(model, u, p, values) for u in stated}


@dataclass(frozen=True)
class GuessAt:
    """The guess of `unknown` at one point of its states, at parameter values `params`. It
    names itself (repr, equality) by the model's key, the unknown and the parameters, not by
    the function that evaluates it: a compiled function that holds it is then exported and
    found again by a warm run (`runtime.cache`)."""

    model: str
    unknown: str
    params: tuple[tuple[str, float], ...]
    values: Callable = field(repr=False, compare=False)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.values(self.unknown, x[None], dict(self.params))[0]


def _stated(problem: Problem) -> Callable:
    """The model's guess statements as one jitted function (`compiler.start`), made once."""
    memo = problem.compiled.memo
    if "guess" not in memo:
        memo["guess"] = guess_values(problem.compiled.model)
    return memo["guess"]


def fields_guess(fields: Mapping[str, Callable]) -> Guess:
    """A guess from approximants (a previous solution's `fields`): unknown, points -> values."""
    return lambda u, y: values_at(fields[u], y)


BLOCK = 512  # points per call of `values_at` (the last block padded with the first point)


def values_at(field: Callable, y: np.ndarray) -> np.ndarray:
    """An approximant's values at host points y, (n, its states): one compiled function per
    shape of the approximant's arrays, called on blocks of BLOCK points, not an operation at a
    time; exported (`runtime.cache`) where the approximant is arrays alone (its class and
    static fields are in the key), as the collocation solver's expansions are, so a warm run
    does not trace it."""
    kind = type(field)
    key = f"values_at {kind.__module__}.{kind.__qualname__}"
    y = np.asarray(y, np.float64)
    return by_blocks(lambda block: cache.call(_values_at, key, field, block), y, BLOCK)


def _values_at(field: Callable, y: jax.Array) -> jax.Array:
    return jax.vmap(field)(y)
