"""The edge row from the indicial equation at a cut edge (`neural/indicial.py`): the roots found
by forward-mode probes against those derived by hand, and the row they select.

The model: x geometric (drift a·x, volatility s·x), f > 0 with drift(f) = b·x·f, that is
½s²x²f'' + a·x·f' = b·x·f. A relative perturbation f·x^p moves the residual by
x^p (½s²p(p − 1) + a·p) − b·x^(p+1), so at x → 0 the indicial equation is
½s²p² + (a − ½s²)p = 0: roots 0 (the constant) and 1 − 2a/s². With a > s²/2 the second is
singular and the edge row is D log f = 0; with a < s²/2 both are regular and the row stays the
power law's."""

import equinox as eqx
import jax
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural import indicial
from walras.runtime.solvers.neural.edge_power import constant_fields
from walras.runtime.solvers.neural.fields import init_fields
from walras.runtime.solvers.neural.rows import Rows

KEY = jax.random.PRNGKey(2)


def _toy(a: float, s: float = 0.2, b: float = 0.1) -> str:
    return (
        "\n".join(
            [
                'model edge_toy "a geometric state and a growth equation"',
                f"parameter a = {a}, s = {s}, b = {b}",
                "state x in [0, 1]",
                "shock Z",
                "process x: drift = a*x, vol[Z] = s*x",
                "unknown f(x) > 0",
                "equation growth: drift(f) = b*x*f",
                "boundary at x = 1: f = 1",
            ]
        )
        + "\n"
    )


@pytest.mark.parametrize("a", [0.05, 0.01])
def test_indicial_roots_are_the_hand_derived_ones(a):
    s, b = 0.2, 0.1
    settings = walras.Settings().replace(edge_row="indicial")
    rows = Rows(Problem.build(walras.load(_toy(a, s, b)).compile()), settings)
    problem, x = rows.problem, jax.numpy.asarray([1e-7])
    params = {k: jax.numpy.float64(v) for k, v in problem.params.items()}
    fields = constant_fields(problem, rows.settings, rows.cut)
    A, B, C = indicial.indicial_matrices(problem.compiled, fields, params, x, 0, [("f", 0)])
    np.testing.assert_allclose([A[0, 0], B[0, 0], C[0, 0]], [s**2 / 2, a - s**2 / 2, -b * 1e-7])
    roots, _ = indicial.indicial_roots(A, B, C)
    np.testing.assert_allclose(np.sort(roots.real), np.sort([0, 1 - 2 * a / s**2]), atol=1e-5)
    singular = 1 - 2 * a / s**2 < 0
    expected = (1.0, 0.0) if singular else indicial.POWER_LAW
    assert rows.edge_coefficients == {("f", 0, 0): expected}
    # the row at the cut is c1·D log f + c2·D² log f (D = d/d log x): central differences
    f = init_fields(problem, rows.settings, problem.params, rows.cut, jax.random.PRNGKey(1))["f"]
    last = f.mlp.layers[-1].weight
    f = eqx.tree_at(lambda g: g.mlp.layers[-1].weight, f, jax.random.normal(KEY, last.shape))
    row = float(rows.edge_rows({"f": f})[0])
    log_f = lambda t: float(jax.numpy.log(f(jax.numpy.array([np.exp(t)]))))  # noqa: E731
    t, h = np.log(rows.cut["x"]), 1e-3
    slope = (log_f(t + h) - log_f(t - h)) / (2 * h)
    curvature = (log_f(t + h) - 2 * log_f(t) + log_f(t - h)) / h**2
    assert abs(row - (expected[0] * slope + expected[1] * curvature)) < 1e-5


def test_row_coefficients_keep_the_regular_modes():
    """A constant, a regular power 0.5 and a singular −1: D(D − 0.5); without the constant, or
    without a singular mode, or with complex roots: the power law."""
    vectors = np.ones((1, 3))
    rows = indicial.row_coefficients
    assert rows(np.array([0.0, 0.5, -1.0]), vectors, 0) == (-0.5, 1.0)
    assert rows(np.array([0.3, 0.5, -1.0]), vectors, 0) == indicial.POWER_LAW
    assert rows(np.array([0.0, 0.5, 1.0]), vectors, 0) == indicial.POWER_LAW
    assert rows(np.array([0.0, -1 + 1j, -1 - 1j]), vectors, 0) == indicial.POWER_LAW
