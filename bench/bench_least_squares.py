"""The dense Levenberg-Marquardt step and the neural error estimate, against their baselines in
one run: the eight damped steps of an iteration by Cholesky factors of the Gram matrix against
the SVD and against the Gram matrix's eigendecomposition (on Jacobians of the sizes library
solves meet), brusan_log by the neural solver
with the Gram matrix allowed (`STEP_ERROR`) against the SVD alone, and its error estimate's
correction by LSQR on the dense Jacobian against LSQR on Jacobian-vector products.

Run: python bench/bench_least_squares.py
"""

from __future__ import annotations

import time
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from threadpoolctl import threadpool_limits

import walras
from walras.runtime.solvers import least_squares
from walras.runtime.solvers.neural import estimate
from walras.runtime.solvers.neural.driver import Training

SHAPES = [  # rows × weights or coefficients
    ((528, 984), "brusan_log's neural polish (256 points, two networks of width 20)"),
    ((1261, 1200), "di_tella by collocation at degree 19"),
    ((4576, 2084), "eleven log agents' neural polish, were it dense"),
]


def seconds(f, *args) -> float:
    """Of a second call (the first compiles)."""
    jax.block_until_ready(f(*args))
    t = time.perf_counter()
    jax.block_until_ready(f(*args))
    return time.perf_counter() - t


def _by_eigh(J, r, lams):
    """The baseline the Cholesky factors replaced: every damped step from one eigendecomposition
    of the smaller Gram matrix."""
    if J.shape[0] < J.shape[1]:
        w, U = jnp.linalg.eigh(J @ J.T)
        g = U.T @ r
        return jax.vmap(lambda lam: -J.T @ (U @ (g / (w + lam))))(lams)
    w, V = jnp.linalg.eigh(J.T @ J)
    g = V.T @ (J.T @ r)
    return jax.vmap(lambda lam: -V @ (g / (w + lam)))(lams)


def factorisations():
    print("| Jacobian | SVD (s) | Gram, eigh (s) | Gram, Cholesky (s) | SVD / Cholesky |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    lams = jnp.logspace(-9, -3, 8)
    for (m, n), what in SHAPES:
        J, r = jnp.asarray(rng.standard_normal((m, n))), jnp.asarray(rng.standard_normal(m))
        ways = [
            partial(least_squares.damped_steps, gram=False),
            _by_eigh,
            partial(least_squares.damped_steps, gram=True),
        ]
        times = []
        for way in ways:
            with threadpool_limits(1, user_api="blas"):
                times.append(seconds(jax.jit(way), J, r, lams))
        svd, eigh, chol = times
        print(f"| {m} × {n}: {what} | {svd:.3f} | {eigh:.3f} | {chol:.3f} | {svd / chol:.1f} |")


def brusan_log():
    """Whole neural solves in this process (the second of each, so compiled), then the
    estimate's correction both ways at the solution."""
    print("\n| brusan_log, neural, defaults | time (s) | final cost | estimate (ψ) |")
    print("|---|---|---|---|")
    for label, step_error in (("SVD alone", 0.0), ("Gram where allowed", least_squares.STEP_ERROR)):
        least_squares.STEP_ERROR = step_error
        walras.solve("brusan_log", method="neural", quiet=True)
        t = time.perf_counter()
        sol = walras.solve("brusan_log", method="neural", quiet=True)
        dt = time.perf_counter() - t
        print(f"| {label} | {dt:.1f} | {sol.history[-1]:.2e} | {sol.errors['psi']:.2e} |")

    captured = {}
    original = Training.polish

    def keep(self, path, progress):
        original(self, path, progress)
        captured["training"] = self

    Training.polish = keep
    sol = walras.solve("brusan_log", method="neural", quiet=True)
    Training.polish = original
    training = captured["training"]
    est = training.estimator
    p = est.polish
    theta = ravel_pytree(eqx.partition(training.fields, p.spec)[0])[0]
    params = {k: jnp.asarray(v, jnp.float64) for k, v in sol.params.items()}
    step, times = {}, {}
    for label, jacobian in (("LSQR on products", None), ("LSQR on the matrix", p.jacobian)):
        f = estimate.gauss_newton_step
        step[label] = f(p.residual, theta, params, jacobian)
        times[label] = seconds(f, p.residual, theta, params, jacobian)
    print("\n| estimate's correction | time (s) | change of ψ | change of q |")
    print("|---|---|---|---|")
    for label in step:
        change = est.changes(theta, step[label], params)
        print(f"| {label} | {times[label]:.2f} | {change['psi']:.2e} | {change['q']:.2e} |")


if __name__ == "__main__":
    factorisations()
    brusan_log()
