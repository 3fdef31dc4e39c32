"""The power at which an equation is singular at a cut edge, measured from the equations at
constant unknowns (`edge_powers`), against a least-squares fit of log |residual| on log η over
the decade above the cut; the training rows scaled by η to that power, at most 3/4."""

import jax
import jax.numpy as jnp
import numpy as np

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural.edge_power import MAX_POWER, constant, edge_powers
from walras.runtime.solvers.neural.fields import compose, init_fields
from walras.runtime.solvers.neural.rows import Rows


def _fitted_powers(rows: Rows) -> dict[str, float]:
    """−slope of log |residual| against log η, at constant unknowns, at 9 points from the cut
    to a decade above it (numpy's least squares)."""
    problem, compiled = rows.problem, rows.problem.compiled
    trainable = init_fields(problem, rows.settings, problem.params, rows.cut, jax.random.PRNGKey(0))
    fields = compose(problem, {u: constant(f) for u, f in trainable.items()})
    params = {k: jnp.asarray(v) for k, v in problem.params.items()}
    eta = np.logspace(-4, -3, 9)
    x = jnp.asarray(rows.sampler.fixed(1, 0)).repeat(len(eta), 0).at[:, 0].set(eta)
    res = compiled.residuals(fields, params, x)
    return {
        k: -np.polyfit(np.log(eta), np.log(np.abs(np.asarray(r))), 1)[0] for k, r in res.items()
    }


def test_singular_edge_power_is_the_residuals_growth():
    """basak_cuoco (CRRA 5): the residuals grow like η^-q at constant unknowns; the measured q
    is the fitted one, and the rows are scaled by η^min(q, 3/4)."""
    rows = Rows(Problem.build(walras.load("basak_cuoco").compile()), walras.Settings())
    fitted = _fitted_powers(rows)
    point = rows.sampler.fixed(1, 0)[0]
    raw = edge_powers(rows.problem, rows.settings, rows.cut, [True], point, cap=np.inf)
    for (name, q), measured in zip(fitted.items(), raw[:, 0]):
        assert q > 0.9, (name, q)
        assert abs(measured - q) < 0.02 * q, (name, measured, q)
        np.testing.assert_allclose(rows.powers[name], [min(q, MAX_POWER)], atol=0.02)


def test_regular_edge_power_is_zero():
    """Two log agents (disasters_economy): their residuals at constant unknowns do not grow
    towards η = 0, whose solution (ω_i = ρ_i) is smooth there: power 0, rows unscaled."""
    rows = Rows(Problem.build(walras.load("disasters_economy").compile()), walras.Settings())
    for name, q in _fitted_powers(rows).items():
        assert abs(q) < 1e-6, (name, q)
        assert float(rows.powers[name][0]) == 0.0
    x = rows.sampler.fixed(64, 3)
    fields = init_fields(
        rows.problem, rows.settings, rows.problem.params, rows.cut, jax.random.PRNGKey(1)
    )
    fields = compose(rows.problem, fields)
    params = {k: jnp.asarray(v) for k, v in rows.problem.params.items()}
    scaled = rows.residuals(fields, params, x)
    for name, r in rows.compiled.residuals(fields, params, x).items():
        np.testing.assert_array_equal(np.asarray(scaled[name]), np.asarray(r))
