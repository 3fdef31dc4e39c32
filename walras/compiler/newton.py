"""Controls whose first-order conditions have no closed form, solved at one point by Newton's
method: a fixed number of steps from a start inside the bounds (a positive control in its
logarithm, each step of it at most 1, so starts far off are reached), projected onto binding
bounds, then one last step that carries the derivatives: at the root, that step's derivative is
the implicit function's, −J⁻¹ ∂F/∂θ, so solvers differentiate through the solve without
differentiating the iterations. The Jacobian J of the conditions comes from forward-mode AD."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .system import ControlSolve

STEPS = 30  # Newton steps before the last one
LOG_STEP = 1.0  # the largest change of a positive control's logarithm in one step


def solve_controls(point, step: ControlSolve) -> None:
    """Put the controls of `step` into `point.memo`."""
    needs = set().union(*(e.free_symbols for e in step.focs)) - set(step.symbols)
    for s in sorted(needs, key=str):
        point.symbol(s)
    before = point.memo
    positive = np.array(step.positive)
    lo = [None if b is None else point.eval(b) for b in step.lo]
    hi = [None if b is None else point.eval(b) for b in step.hi]
    floor = jnp.stack([-jnp.inf if b is None else b for b in lo]).astype(point.x.dtype)
    cap = jnp.stack([jnp.inf if b is None else b for b in hi]).astype(point.x.dtype)

    def controls(y):
        return jnp.where(positive, jnp.exp(jnp.where(positive, y, 0.0)), y)

    def conditions(y, memo):
        point.memo = {**memo, **dict(zip(step.symbols, controls(y)))}
        return jnp.stack([point.eval(e) for e in step.focs])

    def newton(y, memo):
        jacobian = jax.jacfwd(lambda z: conditions(z, memo))(y)
        return jnp.linalg.solve(jacobian, -conditions(y, memo))

    frozen = {k: jax.lax.stop_gradient(v) for k, v in before.items()}

    def body(_, y):
        move = newton(y, frozen)
        return jnp.clip(
            y + jnp.where(positive, jnp.clip(move, -LOG_STEP, LOG_STEP), move), floor, cap
        )

    start = jnp.stack([_start(a, b) for a, b in zip(lo, hi)]).astype(point.x.dtype)
    root = jax.lax.stop_gradient(jax.lax.fori_loop(0, STEPS, body, start))
    jacobian = jax.lax.stop_gradient(jax.jacfwd(lambda z: conditions(z, frozen))(root))
    last = root - jnp.linalg.solve(jacobian, conditions(root, before))
    point.memo = before
    for sym, value in zip(step.symbols, controls(jnp.clip(last, floor, cap))):
        point.memo[sym] = value


def _start(lo, hi):
    """Inside the bounds: their middle, one from the one given, or 0 (a positive control: 1)."""
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return lo + 1.0
    return hi - 1.0 if hi is not None else jnp.asarray(0.0)
