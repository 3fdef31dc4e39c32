"""Bansal-Yaron (2004), two states, on EconPDEs.jl's domain, against an independent
finite-difference reference (tests/bansal_yaron_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bansal_yaron_reference import domain, error, solve_fd  # noqa: E402

jax.config.update("jax_enable_x64", True)

REFERENCE_ERROR = 1e-7  # of max p: the spread of the extrapolated pairs (64, 128), (128, 256)


def params(**changes) -> dict[str, float]:
    return dict(walras.load("bansal_yaron").with_params(**changes).compile().params)


@pytest.fixture(scope="module")
def plain():
    """p by the plain scheme on 16, 32 and 64 intervals per state."""
    p = params()
    return {n: np.exp(solve_fd(p, n)[2]) for n in (16, 32, 64)}


def extrapolate(coarse: np.ndarray, fine: np.ndarray) -> np.ndarray:
    return (4 * fine[::2, ::2] - coarse) / 3


def test_the_reference_converges_under_refinement(plain):
    """The plain scheme's successive differences fall about fourfold per halving (second
    order); the extrapolated values of the pairs (16, 32) and (32, 64) agree within
    10 REFERENCE_ERROR (the pairs the other tests use are finer)."""
    at = [plain[n][:: n // 8, :: n // 8] for n in (16, 32, 64)]
    first, second = (np.abs(b - a).max() for a, b in zip(at, at[1:]))
    assert 3.0 < first / second < 4.5
    coarse, fine = extrapolate(plain[16], plain[32]), extrapolate(plain[32], plain[64])
    assert np.abs(fine[::2, ::2] - coarse).max() < 10 * REFERENCE_ERROR * fine.max()
    assert 45.80 < fine[16, 16] < 45.82  # at (μ̄, v_max/2); 45.62 at (μ̄, v̄)


def chebyshev_fit(p: dict, values: np.ndarray, degree: int = 14):
    """A tensor Chebyshev fit (least squares) of log p on the uniform grid of `values`, as a
    JAX field."""
    lo, hi, top = domain(p)
    to_z = (lambda x: (2 * x - lo - hi) / (hi - lo), lambda x: 2 * x / top - 1)
    z = np.linspace(-1, 1, values.shape[0])
    z_mu, z_v = np.meshgrid(z, z, indexing="ij")
    basis = np.polynomial.chebyshev.chebvander2d(z_mu.ravel(), z_v.ravel(), [degree, degree])
    coef = np.linalg.lstsq(basis, np.log(values).ravel(), rcond=None)[0]
    coef = jnp.asarray(coef.reshape(degree + 1, degree + 1))
    k = jnp.arange(degree + 1)

    def field(x):
        t_mu = jnp.cos(k * jnp.arccos(to_z[0](x[0])))
        t_v = jnp.cos(k * jnp.arccos(to_z[1](x[1])))
        return jnp.exp(t_mu @ coef @ t_v)

    return field


def test_the_model_is_the_reference_equation(plain):
    """walras's residual of the model's equation at the reference (a Chebyshev interpolant of
    its log) vanishes against the equation's scale, 1/p (about 0.02): the file and the
    reference solve the same problem."""
    compiled = walras.load("bansal_yaron").compile()
    p = dict(compiled.params)
    lo, hi, top = domain(p)
    mu, v = np.meshgrid(np.linspace(lo, hi, 23)[1:-1], np.linspace(0, top, 23)[1:-1])
    points = jnp.asarray(np.stack([mu.ravel(), v.ravel()], axis=1))
    values = {k: jnp.asarray(val) for k, val in p.items()}
    wealth = compiled.residuals(
        {"p": chebyshev_fit(p, extrapolate(plain[32], plain[64]))}, values, points
    )["wealth"]
    assert np.abs(np.asarray(wealth)).max() < 1e-6


@pytest.mark.slow
def test_collocation_with_defaults_matches_the_reference():
    """`walras solve bansal_yaron` (the file chooses collocation): within 1e-4 of the
    reference, and within its own estimate."""
    solution = walras.solve("bansal_yaron", quiet=True)
    assert solution.converged, solution.message
    found = error(solution)
    assert found < 1e-4
    assert found <= max(solution.errors.values()) + REFERENCE_ERROR


@pytest.mark.slow
def test_the_neural_solver_is_right_or_says_it_is_not():
    """The neural solver with its defaults: exit 0 only within its own error estimate."""
    solution = walras.solve("bansal_yaron", method="neural", quiet=True)
    if solution.converged:
        estimate = max(solution.errors.values())
        assert error(solution) <= estimate + REFERENCE_ERROR
    else:
        assert "not converged" in solution.message
