"""Outputs on large batches of points (the dataset path: a grid over the states and parameters).

XLA's CPU backend (jaxlib 0.10.2) fuses a dot whose operand is a broadcast scalar, with the
product and sum after it, into a YNNPACK fusion that reads the broadcast as a full matrix: the
result is garbage (values like 1e200) or wrong, depending on the memory beside the scalar. The
Chebyshev series' derivative rule once evaluated a series of a zero matrix (the coefficients'
instantiated zero tangent under a second derivative in the states) and so fed that pattern to
XLA: `mu_q` of a parametric Lucas dataset came out garbage in some processes (docs/results.md).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpy.polynomial.chebyshev as C
from jax.extend.core import Literal
from references import lucas_pd, lucas_r

import walras
from walras.runtime.results import grid_axes
from walras.runtime.solvers.collocation.chebyshev import Chebyshev, interpolate


def _zero_matrices(jaxpr, shape) -> int:
    """How many matrices of zeros of `shape` the program builds (in sub-programs too)."""
    count = 0
    for eqn in jaxpr.eqns:
        for value in eqn.params.values():
            for sub in value if isinstance(value, tuple | list) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    count += _zero_matrices(inner, shape)
        if (
            eqn.primitive.name == "broadcast_in_dim"
            and isinstance(eqn.invars[0], Literal)
            and eqn.outvars[0].aval.shape == shape
        ):
            count += 1
    return count


def _curvature(u, v):
    """∂²u along v, by nested JVPs as the compiler takes curvatures."""
    return lambda x: jax.jvp(lambda y: jax.jvp(u, (y,), (v,))[1], (x,), (v,))[1]


def test_second_derivatives_of_a_series_on_a_large_batch_match_numpy():
    """Curvatures of a 2-D Chebyshev expansion along a direction, at 10,201 points, equal those
    of numpy's Chebyshev module; the program has no series of a zero matrix."""
    rng = np.random.default_rng(16)
    coef = rng.normal(size=(17, 17)) / (1 + np.add.outer(np.arange(17), np.arange(17))) ** 2
    lo, hi = np.array([0.5, 2.0]), np.array([2.0, 8.0])
    u = Chebyshev(jnp.asarray(coef), jnp.asarray(lo), jnp.asarray(hi), (False, False))
    v = np.array([0.3, -1.7])
    x = np.stack(np.meshgrid(*[np.linspace(a, b, 101) for a, b in zip(lo, hi)]), -1).reshape(-1, 2)
    got = np.asarray(eqx.filter_jit(jax.vmap(_curvature(u, jnp.asarray(v))))(jnp.asarray(x)))
    # the chain rule of z = (2x - lo - hi) / (hi - lo): d/dx_i = 2 / (hi_i - lo_i) d/dz_i
    z = (2 * x - lo - hi) / (hi - lo)
    s = 2 * v / (hi - lo)
    want = sum(
        s[0] ** a
        * s[1] ** b
        * C.chebval2d(z[:, 0], z[:, 1], C.chebder(C.chebder(coef, a, axis=0), b, axis=1))
        for a, b in [(2, 0), (0, 2)]
    ) + 2 * s[0] * s[1] * C.chebval2d(
        z[:, 0], z[:, 1], C.chebder(C.chebder(coef, 1, axis=0), 1, axis=1)
    )
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())
    jaxpr = jax.make_jaxpr(jax.vmap(_curvature(u, jnp.asarray(v))))(jnp.asarray(x[:3])).jaxpr
    assert _zero_matrices(jaxpr, coef.shape) == 0


def test_parametric_lucas_dataset_on_the_full_grid_matches_the_closed_form():
    """The dataset path of issue 16: Lucas over gamma on the 101 x 101 grid of (y, gamma), its
    pd the Chebyshev interpolant of the closed form. Every point has mu_q = mu, sigma_q = sigma,
    r and pd the closed forms and a stock Euler residual at rounding level."""
    model = walras.load("lucas").solved_over(gamma=(2, 8))
    compiled = model.compile()
    lo, hi = np.array([0.5, 2.0]), np.array([2.0, 8.0])
    coef = interpolate(lambda x: lucas_pd(gamma=x[:, 1]), lo, hi, 17)
    fields = {"pd": Chebyshev(jnp.asarray(coef), jnp.asarray(lo), jnp.asarray(hi), (False, False))}
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    axes = grid_axes(compiled, 101)
    x = np.stack(np.meshgrid(*axes.values(), indexing="ij"), -1).reshape(-1, 2)
    out = eqx.filter_jit(compiled.outputs)(fields, params, jnp.asarray(x))
    gamma = x[:, 1]
    np.testing.assert_allclose(out["pd"], lucas_pd(gamma=gamma), rtol=1e-9)  # interpolation
    np.testing.assert_allclose(out["r"], lucas_r(gamma=gamma), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["mu_q"], 0.02, rtol=0, atol=1e-10)
    np.testing.assert_allclose(out["sigma_q"], 0.05, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["residual_stock_euler"], 0, atol=1e-10)
