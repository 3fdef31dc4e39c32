"""Di Tella (2017), two states and three unknowns, on EconPDEs.jl's calibration, against an
independent finite-difference reference (tests/di_tella_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras

sys.path.insert(0, str(Path(__file__).resolve().parent))
from di_tella_reference import error, pointwise, refine, solve_fd  # noqa: E402

jax.config.update("jax_enable_x64", True)

REFERENCE_ERROR = (
    2e-5  # off the row ν = 0: the spread of the extrapolated pairs (32, 64), (64, 128)
)

# Smooth test fields (logs of pA, pB, p): any functions serve to compare two codes of the same
# equations; these have the solution's size and some slope and curvature along both states.
LOGS = {
    "pA": lambda x, nu: jnp.log(10.0) - 0.4 * x + 0.3 * nu + 0.2 * x * nu + 0.1 * nu**2,
    "pB": lambda x, nu: jnp.log(8.0) + 0.1 * x - 0.2 * nu - 0.1 * x**2 * nu,
    "p": lambda x, nu: jnp.log(6.5) + 0.05 * x - 0.1 * nu + 0.03 * x * nu**2,
}


def _derivatives(f, x, nu):
    """f and its derivatives along x, ν, xx, νν, xν at one point."""
    fx, fn = jax.grad(f, 0), jax.grad(f, 1)
    return [
        f(x, nu),
        fx(x, nu),
        fn(x, nu),
        jax.grad(fx, 0)(x, nu),
        jax.grad(fn, 1)(x, nu),
        jax.grad(fx, 1)(x, nu),
    ]


def test_the_model_is_the_reference_equations():
    """walras's residuals of the file's three equations equal the reference's, written from
    EconPDEs.jl's example, at test fields on a grid: the two codes solve the same problem."""
    compiled = walras.load("di_tella").compile()
    p = dict(compiled.params)
    xs, ns = np.meshgrid(np.linspace(0.01, 0.99, 7), np.linspace(0.05, 1.0, 7))
    xs, ns = xs.ravel(), ns.ravel()
    # the file's first state is log x
    points = jnp.asarray(np.stack([np.log(xs), ns], axis=1))
    fields = {k: (lambda f: lambda z: jnp.exp(f(jnp.exp(z[0]), z[1])))(f) for k, f in LOGS.items()}
    values = {k: jnp.asarray(v) for k, v in p.items()}
    ours = compiled.residuals(fields, values, points)

    def reference(z):
        u = jnp.stack([d for f in LOGS.values() for d in _derivatives(f, z[0], z[1])])
        return pointwise(p, z[0], z[1], u)[0]

    theirs = np.asarray(jax.vmap(reference)(jnp.asarray(np.stack([xs, ns], axis=1))))
    assert np.abs(theirs).max() > 1e-2  # the test fields do not solve the equations
    # the reference divides the two ratios' equations by the ratio; goods as written
    for column, name in enumerate(["experts", "households", "goods"]):
        assert np.allclose(np.asarray(ours[name]), theirs[:, column], rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_the_reference_converges_under_refinement():
    """The plain scheme's differences from 16 to 32 and from 32 to 64 intervals fall by more
    than twofold (second order, not yet asymptotic: 3 to 3.8 at most nodes), and its value at
    (x, ν) = (0.0995, 0.25), the paper's benchmark, is within both of the extrapolation."""
    p = dict(walras.load("di_tella").compile().params)
    g16, u16 = solve_fd(p, 16)
    g32, u32 = refine(p, g16, u16)
    _, u64 = refine(p, g32, u32)
    plain = [np.exp(u)[:, :: len(u[0]) // 16, :: len(u[0]) // 16] for u in (u16, u32, u64)]
    first, second = (np.abs(b - a)[:, :, 1:].max() for a, b in zip(plain, plain[1:]))
    assert first / second > 2
    extrapolated = (4 * plain[2] - plain[1]) / 3
    i = np.argmin(np.abs(g16.x - 0.1))  # x = 0.0995 on every grid (log-uniform)
    assert np.allclose(extrapolated[:, i, 4], [10.78427, 8.12068, 6.65240], rtol=2e-5)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["auto", "neural"])
def test_each_solver_with_defaults_is_right_or_says_it_is_not(method):
    """`walras solve di_tella` (the method 'auto' picks collocation for two states) and the
    neural solver: exit 0 only within the solver's own estimate (plus the reference's
    accuracy), and collocation, the default, within 1e-4 of the reference (issue 13's goal)."""
    solution = walras.solve("di_tella", method=method, quiet=True)
    if method == "auto":
        assert solution.converged, solution.message
    if solution.converged:
        found = error(solution)
        assert found <= max(solution.errors.values()) + REFERENCE_ERROR
        assert found < 1e-4
    else:
        assert "not converged" in solution.message
