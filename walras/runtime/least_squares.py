"""Levenberg-Marquardt on a residual vector, shared by the neural polish and collocation.

Each iteration linearises once (the Jacobian by forward or reverse mode, whichever dimension is
smaller), takes one SVD of it, and then tries several damping values at the cost of a residual
evaluation each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np


@dataclass
class LMResult:
    theta: jax.Array
    cost: float                         # ½‖r‖²
    history: list[float] = field(default_factory=list)
    iterations: int = 0
    converged: bool = False
    message: str = ""


def _damped_solver(J: jax.Array, r: jax.Array):
    """The step −(JᵀJ + λI)⁻¹Jᵀr for any λ, from one thin SVD of J (no squared condition)."""
    U, S, Vt = jnp.linalg.svd(J, full_matrices=False)
    g = U.T @ r
    return lambda lam: -Vt.T @ (S * g / (S * S + lam))


def levenberg_marquardt(residual: Callable[[jax.Array], jax.Array], theta: jax.Array, *,
                        jacobian: Callable[[jax.Array], jax.Array] | None = None,
                        iterations: int = 100, ftol: float = 1e-14, xtol: float = 1e-12,
                        lam: float = 1e-3, callback: Callable[[int, float], None] | None = None,
                        should_stop: Callable[[], bool] = lambda: False) -> LMResult:
    """Minimise ½‖residual(θ)‖². Stops when the relative decrease of the cost or the step is tiny.

    `jacobian` defaults to forward or reverse mode on the whole vector; pass a cheaper one when
    the residuals have structure (one block of rows per point, say)."""
    m = jax.eval_shape(residual, theta).shape[0]
    n = theta.shape[0]
    jac = jacobian or (jax.jacfwd(residual) if n <= m else jax.jacrev(residual))

    @jax.jit
    def linearise(t):
        return residual(t), jac(t)

    @jax.jit
    def trials(t, r, J, lams):
        step = _damped_solver(J, r)

        def one(lam):
            d = step(lam)
            rn = residual(t + d)
            return 0.5 * jnp.sum(rn * rn), d
        return jax.vmap(one)(lams)

    r, J = linearise(theta)
    cost = float(0.5 * jnp.sum(r * r))
    result = LMResult(theta, cost, [cost])
    for it in range(iterations):
        if should_stop():
            result.message = "interrupted"
            break
        lams = lam * jnp.asarray([1 / 9, 1 / 3, 1.0, 3.0, 30.0, 1e3], dtype=theta.dtype)
        costs, steps = trials(theta, r, J, lams)
        costs = np.where(np.isfinite(np.asarray(costs)), np.asarray(costs), np.inf)
        best = int(np.argmin(costs))
        result.iterations = it + 1
        if costs[best] >= cost:
            lam *= 1e3
            if lam > 1e12:
                result.converged = True
                result.message = "no further decrease"
                break
            continue
        step = steps[best]
        theta = theta + step
        decrease = (cost - costs[best]) / max(cost, 1e-300)
        cost = float(costs[best])
        lam = float(lams[best]) * (1 / 3 if best <= 2 else 1.0)
        result.theta, result.cost = theta, cost
        result.history.append(cost)
        if callback is not None:
            callback(it + 1, cost)
        if decrease < ftol or float(jnp.linalg.norm(step)) < xtol * (1 + float(jnp.linalg.norm(theta))):
            result.converged = True
            result.message = "converged"
            break
        r, J = linearise(theta)
    return result
