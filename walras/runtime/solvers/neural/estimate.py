"""The neural solver's error estimate, Newton-Kantorovich style: the size of one Gauss-Newton
correction δθ = −J⁺r of the network weights on fresh points, mapped to the change of each unknown
there. J is never formed: LSQR applies it and its transpose by forward and reverse passes."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from scipy.sparse.linalg import LinearOperator, lsqr

from .polish import Polish
from .rows import Rows

POINTS_SEED = 31  # fresh points: neither the polish's (1, 2) nor the validation's
ITERATIONS = 400  # LSQR iterations at most


def gauss_newton_step(residual, theta, params, iterations: int = ITERATIONS) -> jax.Array:
    """δθ minimising ‖r(θ) + J δθ‖ (of least norm), by LSQR on Jacobian-vector products."""
    r = jax.jit(residual)(theta, params)
    jvp = jax.jit(lambda v: jax.jvp(lambda t: residual(t, params), (theta,), (v,))[1])
    vjp = jax.jit(lambda w: jax.vjp(lambda t: residual(t, params), theta)[1](w)[0])
    op = LinearOperator(
        (r.shape[0], theta.shape[0]),
        matvec=lambda v: np.asarray(jvp(jnp.asarray(v, jnp.float64))),
        rmatvec=lambda w: np.asarray(vjp(jnp.asarray(w, jnp.float64))),
        dtype=np.float64,
    )
    step = lsqr(op, -np.asarray(r), atol=1e-12, btol=1e-12, iter_lim=iterations)[0]
    return jnp.asarray(step)


def error_estimates(rows: Rows, trainable, settings, params) -> dict[str, float]:
    """For each unknown, max |δu| / max |u| over fresh points, δu the change of the unknown
    under one Gauss-Newton correction of every weight at those points."""
    polish = Polish(rows, trainable, settings, points_seed=POINTS_SEED)
    theta, _ = ravel_pytree(eqx.partition(trainable, polish.spec)[0])
    step = gauss_newton_step(polish.residual, theta, params)
    x, axes = polish.x, rows.args

    def values(t):
        fields = polish.as_fields(t)
        return {u: jax.vmap(fields[u])(x[:, axes[u]]) for u in fields}

    u, du = jax.jit(lambda t, v: jax.jvp(values, (t,), (v,)))(theta, step)
    return {
        k: float(jnp.max(jnp.abs(du[k])) / jnp.maximum(jnp.max(jnp.abs(u[k])), 1e-300)) for k in u
    }
