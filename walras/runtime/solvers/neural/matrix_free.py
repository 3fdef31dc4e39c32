"""Levenberg-Marquardt without a Jacobian: each step solves (JᵀJ + λI) δ = −Jᵀr by conjugate
gradients on Jacobian-vector products (one forward and one reverse pass per CG iteration), for
networks whose dense Jacobian (rows × weights) would not fit or whose SVD would take too long."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .. import least_squares

CG_ITERATIONS = 200


@partial(jax.jit, static_argnums=(0,))
def damped_step(residual, theta, lam, args):
    """The step δ = −(JᵀJ + λI)⁻¹Jᵀr at θ by CG, the cost ½‖r‖² before and after it."""
    r, forward = jax.linearize(lambda t: residual(t, *args), theta)
    backward = jax.linear_transpose(forward, theta)

    def normal(v):
        return backward(forward(v))[0] + lam * v

    step, _ = jax.scipy.sparse.linalg.cg(normal, -backward(r)[0], maxiter=CG_ITERATIONS)
    after = residual(theta + step, *args)
    return 0.5 * jnp.sum(r * r), 0.5 * jnp.sum(after * after), step


def levenberg_marquardt(
    residual: Callable[..., jax.Array],
    theta: jax.Array,
    *,
    args: tuple = (),
    iterations: int = 100,
    lam: float = 1e-3,
    callback: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> least_squares.LMResult:
    """Minimise ½‖residual(θ, *args)‖² as `least_squares.levenberg_marquardt` does, each step by
    CG: a step that lowers the cost is taken and λ divided by 3, else λ is multiplied by 10."""
    cost = float(0.5 * jnp.sum(residual(theta, *args) ** 2))
    result = least_squares.LMResult(theta, cost, [cost])
    for it in range(iterations):
        if least_squares.halted(result, should_stop):
            break
        _, after, step = damped_step(residual, theta, jnp.float64(lam), args)
        after = float(after)
        result.iterations = it + 1
        if not np.isfinite(after) or after >= cost:
            lam *= 10
            if lam > 1e12:
                result.converged, result.message = True, "no further decrease"
                break
            continue
        decrease = (cost - after) / max(cost, 1e-300)
        theta, cost, lam = theta + step, after, lam / 3
        result.theta, result.cost = theta, cost
        result.history.append(cost)
        if callback is not None:
            callback(it + 1, cost)
        if decrease < 1e-14:
            result.converged, result.message = True, "converged"
            break
    return result
