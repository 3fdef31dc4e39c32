"""Outputs on large batches of points (the dataset path: a grid over the states and parameters).

XLA's CPU backend (jaxlib 0.10.2) fuses a dot whose operand is a broadcast scalar, with the
product and sum after it, into a YNNPACK fusion that reads the broadcast as a full matrix: the
result is garbage (values like 1e200) or wrong, depending on the memory beside the scalar. The
Chebyshev series' derivative rule once evaluated a series of a zero matrix (the coefficients'
instantiated zero tangent under a second derivative in the states) and so fed that pattern to
XLA: `mu_q` of a parametric Lucas dataset came out garbage in some processes (docs/results.md).
"""

from __future__ import annotations

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpy.polynomial.chebyshev as C
import pytest
from jax.extend.core import Literal
from references import lucas_pd, lucas_r

import walras
from walras.runtime.dynamics import Dynamics, tabulate
from walras.runtime.plausible import ImplausibleValuesWarning, check
from walras.runtime.results import Solution, grid_axes
from walras.runtime.schema import Role
from walras.runtime.simulate import along
from walras.runtime.solvers.base import Outcome
from walras.runtime.solvers.collocation.chebyshev import Chebyshev, interpolate
from walras.settings import Settings


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


SPIKE = """model spike "a definition that divides by zero at a point of the grid"
parameter k = 0.5
state x in [-1, 1]
shock Z
process x: drift = -k*x, vol[Z] = 0.2*(1 - x^2)
unknown f(x)
let g = 1/x
equation level: f = x
"""


def test_values_not_finite_at_points_of_the_domain_are_told():
    """g = 1/x is infinite at the grid's middle cell centre, x = 0: the dataset and evaluate
    say so (W158) and carry the count; points outside the domain (extrapolation) are not
    checked."""
    compiled = walras.load(SPIKE).compile()
    f = Chebyshev(jnp.asarray([0.0, 1.0]), jnp.asarray([-1.0]), jnp.asarray([1.0]), (False,))
    sol = Solution(
        compiled, {"f": f}, compiled.params, Settings(), np.zeros(1), Outcome.CONVERGED, {}
    )
    with pytest.warns(
        ImplausibleValuesWarning, match=r"W158.*g at 1 of 101 points \(first at x = 0\)"
    ):
        ds = sol.dataset
    assert ds.attrs["implausible_values"] == "g: 1 of 101"
    np.testing.assert_allclose(ds.g.values[:50], 1 / ds.x.values[:50])  # the rest as computed
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleValuesWarning)
        fine = sol.evaluate(np.array([0.5, -0.25]))
        assert "implausible_values" not in fine.attrs
        np.testing.assert_allclose(fine.g.values, [2.0, -4.0])


def test_the_check_counts_points_of_the_domain_only():
    """Garbage like issue 16's (1e209) and NaN are counted per output and per point (a point
    counts once across shocks); points where `where` is false are not."""
    x = np.array([[0.1, 2.0], [0.2, 3.0], [0.3, 4.0], [0.4, 5.0]])
    values = {
        "mu_q": np.array([0.02, 1e209, 0.02, np.nan]),
        "sigma": np.array([[1.0, np.inf], [np.nan, np.nan], [1.0, 1.0], [1.0, 1.0]]),
        "pd": np.array([10.0, 11.0, 12.0, 13.0]),
    }
    where = np.array([True, True, True, False])
    with pytest.warns(ImplausibleValuesWarning) as record:
        note = check(values, x, ("y", "gamma"), where)
    assert note == "mu_q: 1 of 3; sigma: 2 of 3"
    assert "mu_q at 1 of 3 points (first at y = 0.2, gamma = 3)" in str(record[0].message)
    assert check({"pd": values["pd"]}, x, ("y", "gamma")) == ""


def test_tables_and_paths_with_values_not_finite_are_told():
    """An output that is NaN above x = 0.55: the tables a simulation interpolates say so (W158),
    and so do paths through the exact law; paths through the checked tables are not checked
    again (they interpolate between the tables' values), but carry the tables' attribute."""
    law = jax.jit(lambda x: (-x, 0.1 * jnp.ones((len(x), 1, 1))))
    outputs = jax.jit(lambda x: {"g": jnp.where(x[:, 0] > 0.55, jnp.nan, 2 * x[:, 0])})
    exact = Dynamics(
        ("x",), np.array([0.0]), np.array([1.0]), ("Z",), law, outputs,
        {"g": Role.DEFINITION}, {}, {},
    )  # fmt: skip
    with pytest.warns(ImplausibleValuesWarning, match=r"W158.*tables.*g at 5 of 11 points"):
        table = tabulate(exact, points=11)
    assert table.attrs["implausible_values"] == "g: 5 of 11"
    states = np.array([[[0.1], [0.2], [0.7]], [[0.3], [0.9], [0.4]]])
    with pytest.warns(ImplausibleValuesWarning, match=r"W158.*g at 2 of 6 points"):
        paths = along(exact, states, np.arange(3.0))
    assert paths.attrs["implausible_values"] == "g: 2 of 6"
    np.testing.assert_allclose(paths.g.values[0, :2], [0.2, 0.4])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleValuesWarning)
        assert "implausible_values" not in along(table, states, np.arange(3.0)).attrs
