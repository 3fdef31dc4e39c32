"""The power at which each equation is singular at a cut edge, measured from the equations: with
every unknown held at a constant (the networks' start), an equation singular at the edge has a
residual that grows like state^(-q) towards it; a regular one (log agents, whose solution is
smooth there) has q = 0. The training rows of that equation are scaled by (state/range)^q, so
that neither the rows near a singular edge swamp the rest nor those near a regular edge are
discounted (which left log agents' ω 3e-3 off at η = 0.01)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..base import Problem
from .fields import compose, init_fields
from .networks import Field

# Above this power the rows near a singular edge count too little and the solution there goes
# unresolved: measured on basak_cuoco (powers 0, 1/4, 1/2, 3/4, 1 tried; its residuals grow like
# η^-2 and η^-1), 3/4 gave the smallest error against the collocation reference.
MAX_POWER = 0.75
DECADE = 10.0  # the growth is measured between the cut and this multiple of it
TINY = 1e-300


def constant(field):
    """The field with its network's last layer zeroed: the constant it starts from."""
    if not isinstance(field, Field) or field.mlp is None:
        return field
    return eqx.tree_at(
        lambda f: (f.mlp.layers[-1].weight, f.mlp.layers[-1].bias),
        field,
        replace_fn=jnp.zeros_like,
    )


def constant_fields(problem: Problem, settings, cut) -> dict:
    """The fields the networks start from, held at their constants."""
    trainable = init_fields(problem, settings, problem.params, cut, jax.random.PRNGKey(0))
    return compose(problem, {u: constant(f) for u, f in trainable.items()})


def edge_powers(
    problem: Problem, settings, cut, log_axes, point, cap: float = MAX_POWER
) -> np.ndarray:
    """(equations, states): the power q of each equation at each state cut at its zero edge (0
    for the others), measured at constant unknowns from `point` (an interior point) moved to
    the cut and to a decade above it; clipped to [0, cap]."""
    compiled = problem.compiled
    fields = constant_fields(problem, settings, cut)
    params = {k: np.asarray(v, np.float64) for k, v in problem.params.items()}
    names = [r.name for r in compiled.system.residuals]
    cuts = [i for i in range(len(log_axes)) if log_axes[i]]
    powers = np.zeros((len(names), len(log_axes)))
    if not cuts:
        return powers
    # one evaluation at every point: each cut state's at the cut, then a decade above it
    moved = [(i, scale * cut[compiled.states[i]]) for scale in (1.0, DECADE) for i in cuts]
    x = np.repeat(np.asarray(point, np.float64)[None], len(moved), axis=0)
    for row, (i, value) in enumerate(moved):
        x[row, i] = value
    res = eqx.filter_jit(compiled.residuals)(fields, params, x)  # one compilation, not one per op
    for k, name in enumerate(names):
        near, far = np.abs(np.asarray(res[name], float)).reshape(2, len(cuts)) + TINY
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(np.isfinite(near / far), np.log(near / far) / np.log(DECADE), cap)
        powers[k, cuts] = np.clip(q, 0.0, cap)
    return powers
