"""The matrix-free Levenberg-Marquardt polish: its inexact CG step against the exact damped step
(a dense least-squares solve), the Eisenstat-Walker forcing term against its formula, and the
stopping rules (a stalled cost at scipy's minimum, the CG budget, the error estimate's gate)."""

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import lstsq
from scipy.optimize import least_squares

from walras.runtime.solvers.neural import matrix_free
from walras.runtime.solvers.neural.estimate import Stop, gauss_newton_step

T = np.linspace(0, 3, 40)
NOISE = 0.01 * np.sin(7 * T)  # a fixed misfit: the minimum's residual is not zero


def _model(theta, t):
    """Residuals of a·exp(b t) + c·t + d against samples of 2·exp(−t) + 0.5 t + noise."""
    a, b, c, d = theta
    return a * jnp.exp(b * t) + c * t + d - (2 * jnp.exp(-t) + 0.5 * t + NOISE)


THETA0 = jnp.array([1.0, -0.3, 0.0, 0.2])


def test_inexact_step_meets_its_forcing_term_and_the_exact_step_at_a_tight_one():
    J = np.asarray(jax.jacfwd(_model)(THETA0, T))
    r = np.asarray(_model(THETA0, T))
    g, lam = J.T @ r, 0.01
    exact = lstsq(np.vstack([J, np.sqrt(lam) * np.eye(4)]), -np.r_[r, np.zeros(4)])[0]
    step = matrix_free.damped_step(_model, THETA0, lam, (T,))[0]
    np.testing.assert_allclose(step, exact, rtol=1e-8)
    # from a last step whose gradient norm was 3‖g‖ with η 0.3: η = 0.9 (1/3)² = 0.1
    step, _, predicted, norm, eta, k = matrix_free.damped_step(
        _model, THETA0, lam, (T,), (3 * np.linalg.norm(g), 0.3)
    )
    assert float(norm) == pytest.approx(np.linalg.norm(g), rel=1e-12)
    assert float(eta) == pytest.approx(0.9 * (1 / 3) ** 2, rel=1e-12)
    assert np.linalg.norm((J.T @ J + lam * np.eye(4)) @ step + g) <= eta * norm
    assert 1 <= k < 4
    # the linear model's decrease ½‖r‖² − ½‖r + Jδ‖²
    linear = r + J @ np.asarray(step)
    assert float(predicted) == pytest.approx(0.5 * (r @ r - linear @ linear), rel=1e-10)


def test_accelerated_step_is_the_cheaper_of_the_step_and_its_geodesic_correction():
    """With `accelerate`, the CG step v at a tight forcing term and v + a/2, a = −(JᵀJ +
    λI)⁻¹Jᵀ r''[v, v] (Transtrum and Sethna), against numpy with r'' written out by hand: the
    one of lower cost is taken (here v at the smallest damping, v + a/2 at the others), and the
    CG iterations of both solves are counted."""
    theta = jnp.array([1.8, -0.8, 0.4, 0.2])
    a, b = 1.8, -0.8
    e = np.exp(b * T)
    J = np.column_stack([e, a * T * e, T, np.ones_like(T)])
    r = np.asarray(_model(theta, T))
    chosen = []
    for lam in (1e-3, 0.1, 10.0):
        solve = lambda g: -np.linalg.solve(J.T @ J + lam * np.eye(4), J.T @ g)  # noqa: E731
        v = solve(r)
        curvature = 2 * v[0] * v[1] * T * e + v[1] ** 2 * a * T**2 * e  # d²/dh² r(θ + h v)
        faster = v + 0.5 * solve(curvature)
        costs = [0.5 * np.sum(np.asarray(_model(theta + s, T)) ** 2) for s in (v, faster)]
        chosen.append(int(np.argmin(costs)))
        plain = matrix_free.damped_step(_model, theta, lam, (T,))
        step, after, *_, k = matrix_free.damped_step(_model, theta, lam, (T,), accelerate=True)
        expected = (v, faster)[chosen[-1]]
        assert np.linalg.norm(step - expected) <= 1e-8 * np.linalg.norm(expected)
        assert float(after) == pytest.approx(min(costs), rel=1e-8)
        assert int(k) > int(plain[-1])
    assert chosen == [0, 1, 1]


def test_forcing_term_is_eisenstat_walkers_choice_two_safeguarded():
    assert float(matrix_free.forcing_term(1.0, np.inf, 0.5)) == 0.5
    assert float(matrix_free.forcing_term(1.0, 10.0, 0.1)) == pytest.approx(0.009)
    # the safeguard 0.9 · 0.5² = 0.225 > 0.1 holds η up when ‖g‖ falls fast
    assert float(matrix_free.forcing_term(1.0, 10.0, 0.5)) == pytest.approx(0.225)
    assert float(matrix_free.forcing_term(1.0, 0.1, 0.5)) == 0.9  # capped at ETA_MAX


def test_polish_stops_when_the_cost_stalls_at_scipys_minimum():
    """Stalled: the cost within 1e-9 of scipy's minimum (relative), the weights then within
    1e-5 (the cost is flat there: second order in them)."""
    reference = least_squares(lambda th: np.asarray(_model(th, T)), THETA0, xtol=1e-15)
    result = matrix_free.levenberg_marquardt(_model, THETA0, args=(T,), iterations=200)
    assert result.message == "stalled"
    assert result.iterations < 200
    assert result.cost == pytest.approx(reference.cost, rel=1e-9)
    np.testing.assert_allclose(result.theta, reference.x, rtol=0, atol=1e-5)


def test_polish_spends_at_most_its_cg_budget():
    result = matrix_free.levenberg_marquardt(_model, THETA0, args=(T,), iterations=200, budget=5)
    assert result.message == "CG budget spent" and 5 <= result.cg < 5 + 4


def test_stop_asks_the_fresh_estimate_only_once_the_step_is_within_tol_error():
    """The gate: no estimate while the residual or the step is large; after a refusal by the
    estimate, none until the step has halved."""
    asked = []

    def estimator(theta, params):
        asked.append(theta)
        return {"u": 2e-4 if len(asked) == 1 else 5e-5}

    moved = {}
    settings = types.SimpleNamespace(tol=1e-8, tol_error=1e-4)
    stop = Stop(estimator, lambda theta, step, params: {"u": moved["u"]}, {}, settings)
    moved["u"] = 1e-5
    assert not stop(1, None, cost=1e-8) and asked == []  # 2·cost above tol
    moved["u"] = 2e-4
    assert not stop(2, None, cost=1e-10) and asked == []  # the step above tol_error
    moved["u"] = 8e-5
    assert not stop(3, None, cost=1e-10) and asked == [3]  # the estimate 2e-4 refuses
    moved["u"] = 6e-5
    assert not stop(4, None, cost=1e-10) and asked == [3]  # not halved from 8e-5
    moved["u"] = 3e-5
    assert stop(5, None, cost=1e-10) and asked == [3, 5]


@pytest.mark.parametrize("on_the_matrix", [False, True])
def test_the_estimates_correction_is_the_least_squares_one_when_ill_conditioned(on_the_matrix):
    """The estimate's Gauss-Newton step on a linear residual A θ − b, A of rank 8 with singular
    values from 1 to 1e-10 (as a network's Jacobian: few directions, many decades), is the
    pseudo-inverse's to a percent (measured: 8.4e-4 of its largest entry, from the directions
    of singular value 1e-10): LSQR is not stopped at scipy's default limit on the condition
    number (1e8), which ended it 37% off here. The same on Jacobian-vector products and on the
    matrix itself (the estimate's way where the polish's Jacobian is dense)."""
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((60, 8)))
    V, _ = np.linalg.qr(rng.standard_normal((40, 8)))
    A = U @ np.diag(np.logspace(0, -10, 8)) @ V.T
    b = A @ rng.standard_normal(40)

    def residual(theta, params):
        return jnp.asarray(A) @ theta - params["b"]

    jacobian = (lambda theta, params: jnp.asarray(A)) if on_the_matrix else None
    step = gauss_newton_step(residual, jnp.zeros(40), {"b": jnp.asarray(b)}, jacobian)
    expected = np.linalg.pinv(A, rcond=1e-14) @ b
    assert np.abs(np.asarray(step) - expected).max() < 1e-2 * np.abs(expected).max()
