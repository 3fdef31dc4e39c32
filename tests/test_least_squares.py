"""The dense Levenberg-Marquardt step: from Cholesky factors of the Gram matrix (wide and tall
Jacobians) against the exact damped step (scipy's least squares on the stacked system), the rule
that chooses it, and a whole solve against scipy's minimum."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import lstsq
from scipy.optimize import least_squares

from walras.runtime.solvers import least_squares as ls


def _ill_conditioned(m, n, seed=0):
    """J of rank min(m, n) with singular values from 1 to 1e-12 (a network's Jacobian spans as
    many decades), and a residual vector."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal((m, k)))
    V, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return U @ np.diag(np.logspace(0, -12, k)) @ V.T, rng.standard_normal(m)


def _exact(J, r, lam):
    """argmin ‖r + Jδ‖² + λ‖δ‖², by scipy's SVD-based least squares on the stacked system."""
    n = J.shape[1]
    return lstsq(np.vstack([J, np.sqrt(lam) * np.eye(n)]), -np.r_[r, np.zeros(n)])[0]


@pytest.mark.parametrize("shape", [(60, 100), (100, 60)])
def test_gram_step_is_the_damped_step_where_the_rule_allows_it(shape):
    J, r = _ill_conditioned(*shape)
    size = float(np.sum(J * J))
    for lam in (1e-2, 1e-6, 1e-10, 1e-13):  # every one where the rule allows the Gram matrix
        assert ls.gram_is_exact_enough(lam, size, J.dtype)
        exact = _exact(J, r, lam)
        bound = np.finfo(float).eps * size / lam  # measured: 0.04 to 0.25 times it
        for gram, within in ((False, 1e-9), (True, min(2 * bound, ls.STEP_ERROR))):
            steps = ls.damped_steps(jnp.asarray(J), jnp.asarray(r), jnp.asarray([lam]), gram)
            step = np.asarray(steps[0])
            error = np.linalg.norm(step - exact) / np.linalg.norm(exact)
            assert error <= within, (gram, lam, error)
    # below ε‖J‖² / STEP_ERROR it says no (the SVD's step then)
    assert not ls.gram_is_exact_enough(1e-15, size, J.dtype)


@pytest.mark.parametrize("accelerate", [False, True])
def test_levenberg_marquardt_reaches_scipys_minimum(monkeypatch, accelerate):
    """A fit whose damping falls from where the Gram matrix serves to where only the SVD does:
    scipy's minimum (MINPACK's Levenberg-Marquardt at tolerances of 1e-15), cost to 1e-12 and
    weights to 1e-8 (measured 4.6e-10), by both factorisations, with and without the geodesic
    acceleration. scipy's trf at its default ftol is no reference: it stops 1.6e-8 short in the
    weights on some processors."""
    used = []
    steps = ls._steps

    def spy(gram, *args):
        used.append(gram)
        return steps(gram, *args)

    monkeypatch.setattr(ls, "_steps", spy)
    t = np.linspace(0, 3, 40)
    target = 2 * np.exp(-t) + 0.5 * t + 0.01 * np.sin(7 * t)

    def residual(theta, t):
        a, b, c, d = theta
        return a * jnp.exp(b * t) + c * t + d - target

    theta0 = jnp.array([1.0, -0.3, 0.0, 0.2])
    tight = {"xtol": 1e-15, "ftol": 1e-15, "gtol": 1e-15}
    reference = least_squares(lambda th: np.asarray(residual(th, t)), theta0, method="lm", **tight)
    # the Gram matrix serves down to λ = ε‖J‖²/STEP_ERROR; at the default (1e-2) only the last
    # step or none falls below, as the processor's rounding has it; at 1e-4 (λ ≈ 5e-10) the
    # damping passes there after five steps on both processors measured
    monkeypatch.setattr(ls, "STEP_ERROR", 1e-4)
    result = ls.levenberg_marquardt(
        residual, theta0, args=(t,), iterations=200, gram=True, accelerate=accelerate
    )
    assert result.converged
    assert result.cost == pytest.approx(reference.cost, rel=1e-12)
    np.testing.assert_allclose(result.theta, reference.x, rtol=0, atol=1e-8)
    assert set(used) == {False, True}  # measured: 5 or 9 trials by the Gram matrix, 3 by the SVD


@pytest.mark.parametrize("shape", [(80, 80), (100, 80)])
def test_gauss_newton_step_is_the_least_squares_step(shape):
    """LU (square) and QR (tall) give scipy's least-squares step (an SVD) to κε, and none where
    J is singular to rounding."""
    rng = np.random.default_rng(1)
    m, n = shape
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    J, r = U @ np.diag(np.logspace(0, -8, n)) @ V.T, rng.standard_normal(m)
    step = ls.gauss_newton_step(J, r)
    exact = -lstsq(J, r)[0]
    assert np.linalg.norm(step - exact) <= 1e8 * 1e-14 * np.linalg.norm(exact)
    # singular to rounding (a null direction): no step, the damped steps take the shortest
    S = np.logspace(0, -8, n)
    S[-1] = 1e-17
    assert ls.gauss_newton_step(U @ np.diag(S) @ V.T, r) is None


@pytest.mark.parametrize("gram", [False, True])
def test_accelerated_steps_add_half_the_geodesic_acceleration(gram):
    """After the plain steps v come v + a/2, a = −(JᵀJ + λI)⁻¹Jᵀ r''[v, v] (Transtrum and
    Sethna), with the residual's second derivative written out by hand and the damped solves by
    numpy."""
    t = np.linspace(0, 2, 30)
    a, b, c = 1.3, -0.7, 0.2
    e = np.exp(b * t)
    r = a * e + c - (2 * np.exp(-t) + 0.5)
    J = np.column_stack([e, a * t * e, np.ones_like(t)])

    def curvature(v):  # d²/dh² of r(θ + h v): the mixed and the b-b terms of a·exp(b t)
        return 2 * v[0] * v[1] * t * e + v[1] ** 2 * a * t**2 * e

    lams = np.array([1e-3, 0.1])
    got = np.asarray(
        ls.damped_steps(jnp.asarray(J), jnp.asarray(r), jnp.asarray(lams), gram, curvature)
    )
    for i, lam in enumerate(lams):
        solve = lambda g: -np.linalg.solve(J.T @ J + lam * np.eye(3), J.T @ g)  # noqa: E731
        v = solve(r)
        np.testing.assert_allclose(got[i], v, rtol=1e-9)
        np.testing.assert_allclose(got[len(lams) + i], v + 0.5 * solve(curvature(v)), rtol=1e-9)


@pytest.mark.parametrize("shape", [(80, 80), (100, 80), (60, 80)])
def test_host_damped_steps_are_the_svds(shape):
    """The split path's damped steps on the host (from J's QR by LAPACK's tpqrt where J is tall
    or square, from its SVD where wide) equal those of one SVD (`damped_steps`), for dampings
    from far below to far above the smallest squared singular value; NaN where J is not
    finite."""
    rng = np.random.default_rng(2)
    m, n = shape
    U, _ = np.linalg.qr(rng.standard_normal((m, min(m, n))))
    V, _ = np.linalg.qr(rng.standard_normal((n, min(m, n))))
    J = U @ np.diag(np.logspace(2, -8, min(m, n))) @ V.T
    r, lams = rng.standard_normal(m), np.logspace(-12, 2, 8)
    host = ls._HostSteps(lambda theta, steps: np.zeros(len(steps)))
    _, steps = host.trials(np.zeros(n), r, J, lams, ())
    exact = np.asarray(ls.damped_steps(jnp.asarray(J), jnp.asarray(r), jnp.asarray(lams)))
    for found, wanted, lam in zip(steps, exact, lams, strict=True):
        # (the damped system's condition, 1e2/√λ, times ε)
        bound = 1e2 / np.sqrt(lam) * 1e-14 * np.linalg.norm(wanted)
        assert np.linalg.norm(found - wanted) <= max(bound, 1e-13 * np.linalg.norm(wanted))
    J[0, 0] = np.nan
    _, steps = ls._HostSteps(lambda theta, steps: np.zeros(len(steps))).trials(
        np.zeros(n), r, J, lams, ()
    )
    assert np.all(np.isnan(steps))


def test_split_levenberg_marquardt_takes_gauss_newton_steps_and_reaches_scipys_minimum(
    monkeypatch,
):
    """With the residual in parts on the host (collocation's split systems), Gauss-Newton steps
    where the linear model predicts the decrease and damped ones where it does not: scipy's
    root of a square system from a start where the undamped step overshoots."""
    newton = []
    split = ls._HostSteps.newton

    def spy(*args):
        step, new = split(*args)
        newton.append(step is not None)
        return step, new

    monkeypatch.setattr(ls._HostSteps, "newton", spy)

    def residual(theta):  # Rosenbrock's function as a system: root (1, 1)
        return np.array([10 * (theta[1] - theta[0] ** 2), 1 - theta[0]])

    def jacobian(theta):
        return np.array([[-20 * theta[0], 10.0], [-1.0, 0.0]])

    def linearise(theta):
        J = jacobian(np.asarray(theta))
        return residual(np.asarray(theta)), J, float(np.sum(J * J))

    def costs(theta, steps):
        return np.array([0.5 * np.sum(residual(np.asarray(theta) + d) ** 2) for d in steps])

    theta0 = np.array([-1.2, 1.0])
    result = ls.levenberg_marquardt(
        None, theta0, parts=(linearise, costs), iterations=100, gauss_newton=True
    )
    assert result.converged
    np.testing.assert_allclose(result.theta, [1.0, 1.0], rtol=0, atol=1e-12)
    assert True in newton and False in newton  # measured: both kinds of step
