"""Di Tella (2017), two states and three unknowns, on EconPDEs.jl's calibration, against an
independent finite-difference reference (tests/di_tella_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import walras

sys.path.insert(0, str(Path(__file__).resolve().parent))
from di_tella_reference import pointwise  # noqa: E402

jax.config.update("jax_enable_x64", True)

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
