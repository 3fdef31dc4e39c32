"""The solvers' start from a model's `guess` statements, as one pure JAX function: the value of
`guess f = EXPR` at points of f's states, at given parameter values (definitions inlined; the
checks keep unknowns, shocks and operators out of a guess)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from ..grammar import ast
from .builtins import ARITHMETIC, FUNCTIONS
from .model import Model


def guess_values(model: Model) -> Callable:
    """`values(unknown, y, params)`: the guess of `unknown` (one that has a `guess` statement) at
    the points `y` (rows; columns its states, in its order), parameters by name; jitted."""
    args = {u.name: u.args for u in model.unknowns}

    def values(unknown: str, y: jax.Array, params: Mapping[str, jax.Array]) -> jax.Array:
        columns = {a: y[:, i] for i, a in enumerate(args[unknown])}
        value = _evaluate(model.guesses[unknown].expr, {**params, **columns}, model.definitions)
        return jnp.broadcast_to(jnp.asarray(value, jnp.float64), (y.shape[0],))

    return jax.jit(values, static_argnums=0)


def _evaluate(expr: ast.Expr, env: dict, definitions) -> jax.Array:
    def combine(e, args):
        if isinstance(e, ast.Num):
            return jnp.float64(e.value)
        if isinstance(e, ast.Name):
            if e.id not in env:  # a definition, once per evaluation
                env[e.id] = _evaluate(definitions[e.id].expr, env, definitions)
            return env[e.id]
        if isinstance(e, ast.Neg):
            return -args[0]
        if isinstance(e, ast.BinOp):
            return ARITHMETIC[e.op](*args)
        return FUNCTIONS[e.func].jax(*args)

    return ast.fold(expr, combine)
