"""Levenberg-Marquardt on a residual vector, shared by the neural polish and collocation.

Each iteration linearises once (the Jacobian by forward or reverse mode, whichever dimension is
smaller) and tries several damping values at the cost of a residual evaluation each, their steps
from one SVD of the Jacobian or, with `gram` and while the damping allows, from a Cholesky
factor per damping of its smaller Gram matrix (`damped_steps`). Where the caller evaluates the
residual in parts (collocation's split systems) and its Jacobian is exact, the undamped
Gauss-Newton step comes first where J is well conditioned, by LU or QR (`gauss_newton_step`:
a tenth to a third of the SVD's time), and the damped trials only when the linear model does
not predict its decrease well, from J's QR (`_HostSteps`). The factorisations run in LAPACK
through OpenBLAS, whose worker threads spin-wait: on a machine whose cores are busy, a
140 × 140 SVD then takes 0.5 s instead of 5 ms, so the loop runs with one BLAS thread (through
threadpoolctl, when it is installed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from .. import cache, interrupt, progress

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover

    def threadpool_limits(*_, **__):
        return contextlib.nullcontext()


@dataclass
class LMResult:
    theta: jax.Array
    cost: float  # ½‖r‖²
    history: list[float] = field(default_factory=list)
    iterations: int = 0  # accepted steps (a trial refused at a raised damping is not one)
    converged: bool = False
    interrupted: bool = False  # Ctrl-C (`interrupt`) stopped it
    message: str = ""
    cg: int = 0  # conjugate-gradient iterations, of a matrix-free solve


def damped_steps(
    J: jax.Array,
    r: jax.Array,
    lams: jax.Array,
    gram: bool = False,
    curvature=None,
    accelerated: slice = slice(None),
):
    """The steps −(JᵀJ + λI)⁻¹Jᵀr for each λ of `lams`: from one thin SVD of J (no squared
    condition) or, with `gram`, from a Cholesky factor of the smaller Gram matrix plus λI per λ,
    (JJᵀ + λI) for wide and (JᵀJ + λI) for tall J (a fifth to a third of the time; the Gram
    matrix carries errors of ε‖J‖², so each step is right to about ε‖J‖²/λ).

    With `curvature` (v ↦ the residual's second derivative along v), the steps v of the
    dampings `accelerated` are also returned with their geodesic acceleration, v + a/2 with
    a = −(JᵀJ + λI)⁻¹Jᵀ r''[v, v] from the same factor (Transtrum and Sethna, 2012): the plain
    steps, then the accelerated ones."""
    factors = factorise(J, lams, gram)
    steps = solve(J, factors, jnp.broadcast_to(r, (lams.shape[0], r.shape[0])), gram)
    if curvature is None:
        return steps
    rows = jax.vmap(curvature)(steps[accelerated])
    return jnp.concatenate([steps, accelerate(J, factors, steps, rows, accelerated, gram)])


def factorise(J: jax.Array, lams: jax.Array, gram: bool):
    """What the damped steps at each λ of `lams` are solved with (`damped_steps`): a Cholesky
    factor of the Gram matrix plus λI per λ, or J's thin SVD and the λs."""
    if gram:
        G = J @ J.T if J.shape[0] < J.shape[1] else J.T @ J
        eye = jnp.eye(G.shape[0], dtype=G.dtype)
        # one at a time: XLA's batched Cholesky on the CPU is slower
        return jax.lax.map(lambda lam: jax.scipy.linalg.cho_factor(G + lam * eye)[0], lams)
    return (*jnp.linalg.svd(J, full_matrices=False), lams)


def solve(J: jax.Array, factors, B: jax.Array, gram: bool) -> jax.Array:
    """−(JᵀJ + λᵢI)⁻¹Jᵀbᵢ for each row bᵢ of B and damping λᵢ of `factors` (`factorise`)."""
    if gram:

        def one(c, b):
            if J.shape[0] < J.shape[1]:
                return -J.T @ jax.scipy.linalg.cho_solve((c, False), b)
            return -jax.scipy.linalg.cho_solve((c, False), J.T @ b)

        return jax.vmap(one)(factors, B)
    U, S, Vt, lams = factors
    return -((S * (B @ U)) / (S * S + lams[:, None])) @ Vt


def accelerate(J, factors, steps, curvature, accelerated: slice, gram: bool) -> jax.Array:
    """The steps v of the dampings `accelerated` with their geodesic acceleration
    (`damped_steps`), `curvature` the rows r''[v, v] along them."""
    factors = factors[accelerated] if gram else (*factors[:3], factors[3][accelerated])
    return steps[accelerated] + 0.5 * solve(J, factors, curvature, gram)


DAMPINGS = np.array([1 / 729, 1 / 81, 1 / 9, 1 / 3, 1, 3, 30, 1e3])  # tried at each iteration,
# times the damping λ; the one accepted sets the next λ (a third of it where it is at most λ)
ACCELERATED = slice(3, 7)  # those also tried with their geodesic acceleration, λ/3 to 30λ: by
# the neural polish of lucas and brusan_log, 607 of 628 accepted steps were accelerated ones, 596
# of them at these dampings; an accelerated trial costs a second derivative along its step

STEP_ERROR = 1e-2  # the Gram matrix's Cholesky factors are used while the damped step they give
# is right to this, relative (a bound: ε‖J‖²/λ, with ‖J‖ the Frobenius norm); an inexact step
# of relative error η keeps Gauss-Newton's convergence at rate η (Dembo, Eisenstat & Steihaug,
# 1982). Measured: within the bound to a factor 2 on random matrices with singular values over 12
# decades (tests/test_least_squares.py: 0.04 to 0.25 of it); 1/170 to 1/12 of it on brusan_log's
# polish when the Gram matrix was factored by one eigendecomposition (docs/neural.md).


def gram_is_exact_enough(lam: float, size: float, dtype) -> bool:
    """Whether the Gram matrix's step at damping `lam` is right to STEP_ERROR, `size` ‖J‖²."""
    return bool(lam * STEP_ERROR >= float(np.finfo(dtype).eps) * size)


@lru_cache(maxsize=16)
def _auto_jacobian(residual: Callable, forward: bool) -> Callable:
    return jax.jacfwd(residual) if forward else jax.jacrev(residual)


@partial(jax.jit, static_argnums=(0, 1))
def _linearise(residual, jacobian, theta, args):
    """The residual, the Jacobian and its squared Frobenius norm."""
    J = jacobian(theta, *args)
    return residual(theta, *args), J, jnp.sum(J * J)


class _Trials:
    """The damped trials of one iteration, in compiled pieces: the steps from J's factorisation
    (by the SVD, or the Gram matrix: one program each, no residual in them), with `accelerate`
    the second derivatives of the residual along some of the steps and their accelerated steps,
    then the cost of every step. The residual's pieces are traced and compiled once for both
    factorisations (one program per factorisation traced the residual and its second derivative
    in each: a cold neural solve of lucas through a homotopy took 42 s instead of 36). With
    `export`, each piece is exported."""

    def __init__(self, residual, accelerate: bool, export: str | None):
        def exported(fn, name):
            return fn if export is None else cache.exported(fn, f"{export} {name}")

        self.steps = [exported(partial(_steps, g), f"steps{' gram' * g}") for g in (False, True)]
        self.accelerated = [
            exported(partial(_accelerated, g), f"accelerated{' gram' * g}") for g in (False, True)
        ]
        self.curvature = exported(partial(_curvature, residual), "curvature")
        self.costs = exported(partial(_costs, residual), "costs")
        self.accelerate = accelerate

    def __call__(self, gram: bool, theta, r, J, lams, args):
        steps, factors = self.steps[gram](J, r, lams)
        if self.accelerate:
            curvature = self.curvature(theta, steps, args)
            steps = self.accelerated[gram](J, factors, steps, curvature)
        return self.costs(theta, steps, args), steps


@partial(jax.jit, static_argnums=0)
def _steps(gram, J, r, lams):
    factors = factorise(J, lams, gram)
    return solve(J, factors, jnp.broadcast_to(r, (lams.shape[0], r.shape[0])), gram), factors


@partial(jax.jit, static_argnums=0)
def _accelerated(gram, J, factors, steps, curvature):
    """The steps, then those of the dampings ACCELERATED with their acceleration."""
    return jnp.concatenate([steps, accelerate(J, factors, steps, curvature, ACCELERATED, gram)])


def second_derivative(residual, theta, v, args) -> jax.Array:
    """r''(θ)[v, v], the residual's second derivative along v, forward over forward mode."""

    def along(t):
        return jax.jvp(lambda u: residual(u, *args), (t,), (v,))[1]

    return jax.jvp(along, (theta,), (v,))[1]


@partial(jax.jit, static_argnums=0)
def _curvature(residual, theta, steps, args):
    """r''(θ)[v, v] for each step v of the dampings ACCELERATED."""
    return jax.vmap(lambda v: second_derivative(residual, theta, v, args))(steps[ACCELERATED])


@partial(jax.jit, static_argnums=0)
def _costs(residual, theta, steps, args):
    """½‖r(θ + step)‖² for each step."""

    def cost(d):
        rn = residual(theta + d, *args)
        return 0.5 * jnp.sum(rn * rn)

    return jax.vmap(cost)(steps)


def gauss_newton_step(J: np.ndarray, r: np.ndarray, qr=None) -> np.ndarray | None:
    """The step −J⁺r of a square or tall J, on the host: by LU where J is square, else by
    Householder QR (`qr`, J's thin QR, where it is known) (0.08 and 0.43 s against 1.4 s for the
    SVD of a 1,200 × 1,200 matrix on one core); None where LAPACK's estimate of the reciprocal
    condition number says the step carries errors above STEP_ERROR (ε/rcond): near a singular J
    it would move along a null direction, where the damped steps take the shortest."""
    import scipy.linalg as sl

    m, n = J.shape
    if m == n and qr is None:
        lu, piv = sl.lu_factor(J, check_finite=False)
        rcond, _ = sl.lapack.dgecon(lu, np.abs(J).sum(axis=0).max(), norm="1")
        step = -sl.lu_solve((lu, piv), r, check_finite=False)
    else:
        q, R = qr if qr is not None else _qr(J)
        rcond, _ = sl.lapack.dtrcon(R, norm="1", uplo="U", diag="N")
        step = -sl.solve_triangular(R, q.T @ r, check_finite=False)
    return step if np.finfo(J.dtype).eps <= STEP_ERROR * rcond else None


GOOD_FIT = 0.75  # a Gauss-Newton step is taken when the cost falls by at least this share of
# the decrease its linear model predicts (the "very successful" ratio of trust-region methods,
# Nocedal & Wright, Algorithm 4.1); otherwise the iteration tries the damped steps


class _HostSteps:
    """The steps of the split path (collocation's `split.Split`: J and r on the host;
    `costs` gives ½‖r(θ + step)‖² for each step), from factorisations of the latest Jacobian
    computed once each. A tall or square J's damped steps −(JᵀJ + λI)⁻¹Jᵀr come from its thin
    QR, J = QR, each damping by the QR of [R; √λI] that keeps their triangles (LAPACK's tpqrt;
    MINPACK's route, no squared condition): for a 1,240 × 1,200 J on one core, 0.12 s a damping
    after the QR's 0.4 s, which the Gauss-Newton step of a tall J shares, where the SVD took
    1.9 s. A wide J's come from its SVD."""

    def __init__(self, costs: Callable):
        self.costs, self.J, self.factors = costs, None, {}

    def _factor(self, J: np.ndarray, kind: str):
        if self.J is not J:
            self.J, self.factors = J, {}
        if kind not in self.factors:
            self.factors[kind] = (_qr if kind == "qr" else _svd)(np.asarray(J))
        return self.factors[kind]

    def newton(self, theta, r, J, args):
        """The Gauss-Newton step and the cost there, when the linear model predicts the
        decrease well (`GOOD_FIT`), else (None, None)."""
        m, n = J.shape
        if m < n or not np.all(np.isfinite(J)):
            return None, None
        r = np.asarray(r)
        step = gauss_newton_step(np.asarray(J), r, None if m == n else self._factor(J, "qr"))
        if step is None:
            return None, None
        cost = 0.5 * float(r @ r)
        predicted = cost - 0.5 * float(np.sum(np.square(r + J @ step)))
        new = float(np.asarray(self.costs(theta, step[None], *args))[0])
        if np.isfinite(new) and cost - new >= GOOD_FIT * predicted > 0:  # (false where NaN)
            return step, new
        return None, None

    def trials(self, theta, r, J, lams, args):
        """The damped steps at each damping of `lams` and their costs (NaN steps where J is
        not finite: every one is refused)."""
        r, lams = np.asarray(r), np.asarray(lams)
        m, n = J.shape
        if not np.all(np.isfinite(J)):
            steps = np.full((len(lams), n), np.nan)
        elif m >= n:
            steps = _damped_from_qr(*self._factor(J, "qr"), r, lams)
        else:
            U, S, Vt = self._factor(J, "svd")
            steps = -((S * (U.T @ r)) / (S * S + lams[:, None])) @ Vt
        return self.costs(theta, steps, *args), steps


def _qr(J: np.ndarray):
    import scipy.linalg as sl

    return sl.qr(J, mode="economic", check_finite=False)


def _svd(J: np.ndarray):
    import scipy.linalg as sl

    try:
        return sl.svd(J, full_matrices=False, check_finite=False)
    except np.linalg.LinAlgError:  # gesdd did not converge: the slower, sturdier driver
        return sl.svd(J, full_matrices=False, check_finite=False, lapack_driver="gesvd")


def _damped_from_qr(q: np.ndarray, R: np.ndarray, r: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """−(JᵀJ + λI)⁻¹Jᵀr for each λ from J's thin QR: [R; √λI] = Q_λ R_λ, and R_λ δ is minus
    the first n entries of Q_λᵀ [Qᵀr; 0]."""
    import scipy.linalg as sl

    n = R.shape[1]
    tpqrt, tpmqrt = sl.get_lapack_funcs(("tpqrt", "tpmqrt"), (R,))
    g = (q.T @ r)[:, None]
    steps = []
    for lam in lams:
        top, v, t, _ = tpqrt(n, min(n, 32), R, np.sqrt(lam) * np.eye(n, dtype=R.dtype))
        rotated, _, _ = tpmqrt(n, v, t, g, np.zeros_like(g), trans="T")
        steps.append(-sl.solve_triangular(top, rotated[:, 0], check_finite=False))
    return np.stack(steps)


def levenberg_marquardt(
    residual: Callable[..., jax.Array],
    theta: jax.Array,
    *,
    jacobian: Callable[..., jax.Array] | None = None,
    args: tuple = (),
    iterations: int = 100,
    ftol: float = 1e-14,
    xtol: float = 1e-12,
    lam: float = 1e-3,
    callback: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    export: str | None = None,
    gram: bool = False,
    accelerate: bool = False,
    parts: tuple[Callable, Callable] | None = None,
    gauss_newton: bool = False,
) -> LMResult:
    """Minimise ½‖residual(θ, *args)‖². Stops when the relative decrease of the cost or the step
    is tiny.

    `jacobian` defaults to forward or reverse mode on the whole vector; pass a cheaper one when
    the residuals have structure (one block of rows per point, say). The compiled steps are cached
    on the identity of `residual` and `jacobian`, so calling again with the same functions and new
    `args` (parameters, a continuation step) does not recompile. Ctrl-C (`interrupt`) stops it
    between iterations, with `interrupted` set. With `export` (a key that names `residual` and
    `jacobian` for good: the model, the system), the linearisation and the trials' pieces are
    exported and kept on disk (`runtime.cache`), so a later process neither traces nor compiles
    them. With `gram`, steps come from the Gram matrix while `gram_is_exact_enough` (the neural
    polish: 2 to 3 times faster; collocation keeps the SVD: its paths were not measured with
    it). With `accelerate`, the dampings ACCELERATED are tried also with their geodesic
    acceleration (`damped_steps`), at the cost of one more residual evaluation and a second
    derivative along the step each: where the curvature of the residual, not its linear model,
    limits the step (the neural polish), the cost falls far faster.

    With `parts`, (linearise, costs), the caller evaluates the residual in parts outside one
    trace (collocation's `split.Split`): linearise(θ, *args) gives (r, J, ‖J‖²), on the
    host, and costs(θ, steps, *args) ½‖r(θ + step)‖² for each step; `residual` and `jacobian`
    are not used. With `gauss_newton` too (J exact, not partly a finite difference, whose
    inexact Newton steps stall short of the rounding floor: he_krishnamurthy's cut τ), each
    iteration tries the Gauss-Newton step first (`_split_newton`). Asked to stop before it
    begins, it returns θ as it is, linearising nothing (at a high degree one linearisation of
    a collocation system with jumps takes minutes)."""
    if interrupt.requested():
        return LMResult(jax.device_put(theta), np.inf, interrupted=True, message="interrupted")
    newton = None
    if parts is not None:
        linearise = lambda theta, args: parts[0](theta, *args)  # noqa: E731
        host = _HostSteps(parts[1])
        trials, newton = [host.trials], host.newton if gauss_newton else None
    else:
        if jacobian is None:
            m = jax.eval_shape(residual, theta, *args).shape[0]
            jacobian = _auto_jacobian(residual, theta.shape[0] <= m)
        linearise = partial(_linearise, residual, jacobian)
        if export is not None:
            linearise = cache.exported(linearise, f"{export} linearise")
        each = _Trials(residual, accelerate, export)
        trials = [partial(each, g) for g in ((False, True) if gram else (False,))]

    with threadpool_limits(1, user_api="blas"):
        return _loop(
            linearise,
            trials,
            newton,
            theta,
            args,
            iterations,
            ftol,
            xtol,
            lam,
            callback,
            should_stop,
        )


def halted(result: LMResult, should_stop: Callable[[], bool]) -> bool:
    """Whether Ctrl-C (`interrupt`) or `should_stop` ends the iterations here, noted in `result`."""
    if interrupt.requested():
        result.interrupted, result.message = True, "interrupted"
    elif should_stop():
        result.message = "stopped early"
    else:
        return False
    return True


def _loop(
    linearise, trials, newton, theta, args, iterations, ftol, xtol, lam, callback, should_stop
):
    """The iterations; their bookkeeping (costs, the chosen step, the new θ) on the host, in
    NumPy: a few small vectors, and no operation for JAX to trace and compile. `newton`, where
    given, offers a step before the damped trials (`_split_newton`)."""
    r, J, size = linearise(theta, args)
    theta = np.asarray(theta)
    cost = float(0.5 * np.sum(np.square(r)))
    result = LMResult(jax.device_put(theta), cost, [cost])
    fresh = True  # J is new: a Gauss-Newton step refused once is refused at every damping
    for it in range(iterations):
        if halted(result, should_stop):
            break
        step, new = newton(theta, r, J, args) if newton and fresh else (None, None)
        fresh = False
        if step is None:
            lams = lam * DAMPINGS.astype(theta.dtype)
            gram = len(trials) > 1 and gram_is_exact_enough(lams[0], float(size), theta.dtype)
            costs, steps = trials[gram](theta, r, J, lams, args)
            costs = np.where(np.isfinite(np.asarray(costs)), np.asarray(costs), np.inf)
            best = int(np.argmin(costs))
            k = best if best < len(lams) else np.arange(len(lams))[ACCELERATED][best - len(lams)]
            if costs[best] >= cost:
                lam *= 1e3
                if lam > 1e12:
                    result.converged = True
                    result.message = "no further decrease"
                    break
                continue
            step, new = np.asarray(steps)[best], float(costs[best])
            lam = float(lams[k]) * (1 / 3 if k <= 4 else 1.0)
        result.iterations += 1
        theta = theta + step
        decrease = (cost - new) / max(cost, 1e-300)
        cost = new
        result.theta, result.cost = jax.device_put(theta), cost
        result.history.append(cost)
        progress.iteration(2 * cost)
        if callback is not None:
            callback(it + 1, cost)
        small_step = float(np.linalg.norm(step)) < xtol * (1 + float(np.linalg.norm(theta)))
        if decrease < ftol or small_step:
            result.converged = True
            result.message = "converged"
            break
        r, J, size = linearise(theta, args)
        fresh = True
    return result
