"""Levenberg-Marquardt without a Jacobian, for networks whose dense Jacobian (rows × weights)
would not fit or whose SVD would take too long. Each step is inexact: preconditioned conjugate
gradients on (JᵀJ + λI) δ = −Jᵀr by Jacobian-vector products (one forward and one reverse pass per
iteration), stopped once the residual of that system is below η‖Jᵀr‖, η the Eisenstat-Walker
forcing term (loose far from the minimum, tight near it); the preconditioner is the diagonal of
JᵀJ + λI, JᵀJ's estimated from a few reverse passes (Hutchinson); with the geodesic acceleration
of the dense polish (`least_squares`), by a second CG solve. The polish ends when `done` says so
(the error estimate), when the cost stalls, or when its budget of CG iterations is spent."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ... import cache
from .. import least_squares
from .networks import split

PROBES = 8  # random reverse passes for the diagonal of JᵀJ: each entry within ~50% (√(2/8))
STALL = (10, 1e-2)  # stopped when the cost fell by less than 1% over the last 10 iterations


# Eisenstat-Walker's choice 2 (SIAM J. Sci. Comput. 17, 1996) with their constants: η_k = γ
# (‖g_k‖/‖g_{k−1}‖)^α, safeguarded by γ η_{k−1}^α when that is above 0.1, within [FLOOR, ETA_MAX]
GAMMA, ALPHA, ETA_0, ETA_MAX, FLOOR = 0.9, 2.0, 0.5, 0.9, 1e-12


def forcing_term(g, last_g, last_eta):
    """η for the step at a point of gradient norm g, the last accepted step's from last_g with
    last_eta (ETA_0 when there was none: last_g infinite)."""
    new = GAMMA * (g / last_g) ** ALPHA
    safeguard = GAMMA * last_eta**ALPHA
    eta = jnp.clip(jnp.where(safeguard > 0.1, jnp.maximum(new, safeguard), new), FLOOR, ETA_MAX)
    return jnp.where(jnp.isfinite(last_g), eta, ETA_0)


def pcg(matvec, b, diagonal, tol, maxiter):
    """x with ‖A x − b‖ ≤ tol ‖b‖ (or `maxiter` iterations), A symmetric positive definite given
    by `matvec`, preconditioned by its `diagonal`; also b − A x and the iterations taken."""
    bound = (tol * jnp.linalg.norm(b)) ** 2

    def cond(state):
        _, r, _, _, k = state
        return (jnp.vdot(r, r) > bound) & (k < maxiter)

    def body(state):
        x, r, p, rz, k = state
        ap = matvec(p)
        a = rz / jnp.vdot(p, ap)
        x, r = x + a * p, r - a * ap
        z = r / diagonal
        rz_new = jnp.vdot(r, z)
        return x, r, z + (rz_new / rz) * p, rz_new, k + 1

    z = b / diagonal
    x, r, _, _, k = jax.lax.while_loop(cond, body, (jnp.zeros_like(b), b, z, jnp.vdot(b, z), 0))
    return x, r, k


def _damped_step(
    residual, theta, lam, args, forcing=None, maxiter=None, key=None, accelerate=False
):
    """The step δ ≈ −(JᵀJ + λI)⁻¹Jᵀr at θ: CG stopped at η‖Jᵀr‖, η the forcing term from
    `forcing` (the last accepted step's ‖Jᵀr‖ and η; 1e-12 without), after at most `maxiter`
    iterations (all the weights by default). Also the cost ½‖r‖² after it, the decrease the
    linear model predicts, ‖Jᵀr‖, η and the iterations. With `accelerate`, δ's geodesic
    acceleration too (`least_squares.damped_steps`), a = −(JᵀJ + λI)⁻¹Jᵀ r''[δ, δ] by a second
    CG solve to the same η: δ + a/2 is the step where it costs less than δ."""
    r, forward = jax.linearize(lambda t: residual(t, *args), theta)
    backward = jax.linear_transpose(forward, theta)
    g = backward(r)[0]
    norm = jnp.linalg.norm(g)
    eta = jnp.float64(FLOOR) if forcing is None else forcing_term(norm, *forcing)
    key = jax.random.PRNGKey(0) if key is None else key
    probes = jax.random.rademacher(key, (PROBES, r.shape[0]), r.dtype)
    diagonal = jnp.mean(jax.vmap(lambda z: backward(z)[0] ** 2)(probes), 0)
    maxiter = theta.shape[0] if maxiter is None else maxiter
    step, rest, k = pcg(
        lambda v: backward(forward(v))[0] + lam * v, -g, diagonal + lam, eta, maxiter
    )
    # ½‖r‖² − ½‖r + Jδ‖² = −q(δ) + ½λ‖δ‖², q the damped quadratic CG lowers: q(δ) = ½δᵀ(g − rest)
    predicted = 0.5 * jnp.vdot(step, rest - g) + 0.5 * lam * jnp.vdot(step, step)
    after = _cost(residual, theta + step, args)
    if accelerate:
        # the curvature's residuals after the step's cost, not beside it: XLA's CPU runtime runs
        # independent parts of a program at once, and without this the eleven log agents' polish
        # hung at its first step (twice, with and without one-thread pools: one thread in
        # jaxlib's batched LU kernel waiting, every other idle); with it, it ran through
        theta, step, after = jax.lax.optimization_barrier((theta, step, after))
        curvature = least_squares.second_derivative(residual, theta, step, args)
        b = backward(curvature)[0]
        acceleration, _, k2 = pcg(
            lambda v: backward(forward(v))[0] + lam * v, -b, diagonal + lam, eta, maxiter
        )
        faster = step + 0.5 * acceleration
        cost = _cost(residual, theta + faster, args)
        better = cost < after  # (false where NaN: a step of NaN cost is not taken)
        step, after, k = jnp.where(better, faster, step), jnp.where(better, cost, after), k + k2
    return step, after, predicted, norm, eta, k  # the decrease predicted is the plain step's


damped_step = jax.jit(_damped_step, static_argnums=(0,), static_argnames=("accelerate",))


def _cost(residual, theta, args):
    r = residual(theta, *args)
    return 0.5 * jnp.sum(r * r)


cost_jit = jax.jit(_cost, static_argnums=(0,))


def levenberg_marquardt(
    residual: Callable[..., jax.Array],
    theta: jax.Array,
    *,
    args: tuple = (),
    iterations: int = 100,
    lam: float = 1e-3,
    budget: int | None = None,
    callback: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    done: Callable[[jax.Array, jax.Array, float], bool] | None = None,
    export: str | None = None,
    accelerate: bool = False,
) -> least_squares.LMResult:
    """Minimise ½‖residual(θ, *args)‖², each step by inexact CG, λ by Nielsen's rule (Madsen,
    Nielsen & Tingleff, "Methods for non-linear least squares problems", 2004): a step that
    lowers the cost is taken and λ multiplied by max(1/3, 1 − (2ρ − 1)³), ρ the actual over the
    predicted decrease; else λ is multiplied by ν, which doubles at each refusal. Ends after
    `iterations`, once `budget` CG iterations are spent (by default `iterations` times the
    weights), when the cost stalls (`STALL`), or when `done(θ, δ, cost)` holds (asked after each
    accepted step δ). `result.cg` counts the CG iterations. With `export` (a key that names
    `residual` for good), the step is exported and kept on disk (`runtime.cache`), so a later
    process does not trace it again. With `accelerate`, each step is tried also with its
    geodesic acceleration (`_damped_step`), at the cost of a second CG solve."""
    name = f"{export} damped step{' accelerated' * accelerate}"
    step_of, cost_of = (
        (
            cache.exported(partial(_damped_step, residual, accelerate=accelerate), name),
            cache.exported(partial(_cost, residual), f"{export} cost"),
        )
        if export
        else (
            partial(damped_step, residual, accelerate=accelerate),
            partial(cost_jit, residual),
        )
    )
    # θ, λ and the forcing term stay host arrays: every call has the same signature, so each
    # function is compiled (or read from the cache) once, and nothing runs op by op
    theta = np.asarray(theta, np.float64)
    cost = float(cost_of(theta, args))
    result = least_squares.LMResult(theta, cost, [cost])
    n = theta.shape[0]
    budget = iterations * n if budget is None else budget
    forcing = (np.float64(np.inf), np.float64(ETA_0))
    spent, key, nu = 0, 0, 2.0  # the keys of PRNGKey(0), split at each step
    for it in range(iterations):
        if least_squares.halted(result, should_stop):
            break
        if spent >= budget:
            result.message = "CG budget spent"
            break
        key, sub = split(key)
        step, after, predicted, g, eta, k = step_of(
            theta, np.float64(lam), args, forcing, np.int64(min(n, budget - spent)), sub
        )
        after, spent = float(after), spent + int(k)
        if not np.isfinite(after) or after >= cost:
            lam, nu = lam * nu, 2 * nu
            if lam > 1e12:
                result.converged, result.message = True, "no further decrease"
                break
            continue
        rho = min(1.0, (cost - after) / max(float(predicted), 1e-300))  # above 1: as 1
        forcing, step = (np.asarray(g), np.asarray(eta)), np.asarray(step)
        nu, result.iterations = 2.0, result.iterations + 1
        theta, cost, lam = theta + step, after, lam * max(1 / 3, 1 - (2 * rho - 1) ** 3)
        result.theta, result.cost = theta, cost
        result.history.append(cost)
        if callback is not None:
            callback(it + 1, cost)
        window, fraction = STALL
        if len(result.history) > window and cost > (1 - fraction) * result.history[-window - 1]:
            result.message = "stalled"
            break
        if done is not None and done(theta, step, cost):
            result.converged, result.message = True, "converged"
            break
    result.cg = spent
    return result
