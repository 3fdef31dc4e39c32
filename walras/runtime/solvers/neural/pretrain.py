"""The neural solver's start from the `guess=` option (fields, or a function of host points):
the networks fitted to the guessed values at fixed points by Levenberg-Marquardt before Adam,
each unknown's misfit relative to the size of its guess."""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..flat import Flat
from ..least_squares import levenberg_marquardt
from ..start import Guess
from .fields import compose
from .rows import Rows

ITERATIONS = 50  # at most; the fit stops earlier once its cost falls by less than FTOL
FTOL = 1e-8  # relative: a start needs no more
POINTS_SEED = 7  # offsets the settings' seed: points apart from the polish's


def fit_to_guess(rows: Rows, fields, settings, guess: Guess, unknowns: Sequence[str]):
    """`fields` with every weight moved so that the composed unknowns match `guess` at
    `polish_points` fixed interior points."""
    x = rows.sampler.fixed(settings.polish_points, settings.seed + POINTS_SEED)
    columns = {u: x[:, rows.args[u]] for u in unknowns}
    targets = {u: jnp.asarray(guess(u, np.asarray(columns[u])), jnp.float64) for u in unknowns}
    scales = {u: jnp.maximum(jnp.sqrt(jnp.mean(t**2)), 1e-12) for u, t in targets.items()}
    arrays, static = eqx.partition(fields, eqx.is_array)
    flat = Flat(arrays)
    theta, unravel = flat.ravel(arrays), flat.unravel

    def value(theta, u, y):
        return compose(rows.problem, eqx.combine(unravel(theta), static))[u](y) / scales[u]

    def residual(theta):
        return jnp.concatenate(
            [
                jax.vmap(lambda y: value(theta, u, y))(columns[u]) - targets[u] / scales[u]
                for u in unknowns
            ]
        )

    def jacobian(theta):
        """One reverse pass per point and unknown."""
        return jnp.concatenate(
            [jax.vmap(lambda y: jax.grad(value)(theta, u, y))(columns[u]) for u in unknowns]
        )

    result = levenberg_marquardt(
        residual, theta, jacobian=jacobian, iterations=ITERATIONS, ftol=FTOL
    )
    return eqx.combine(unravel(result.theta), static)
