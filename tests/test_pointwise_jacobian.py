"""The Jacobian of a collocation system from the pointwise partials (`collocation/split.py`)
equals forward mode over every coefficient (`jax.jacfwd`): one state, two states in a tensor
basis with positive unknowns as logarithms and an edge condition, and a Smolyak basis (slow:
6 s). The fast cases take about 9 s of CPU."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import chebyshev as cheb
from walras.runtime.solvers.collocation import jacobian
from walras.runtime.solvers.collocation.systems import Systems

jax.config.update("jax_enable_x64", True)

TWO_STATES = """
model two_states "two unknowns of two states, one of them positive, with a curvature condition"
parameter k = 0.05
state x in [0, 1]
state y in [1, 2]
shock Z
process x: drift = 0.1*(0.5 - x), vol[Z] = 0.2*x*(1 - x)
process y: drift = 0.1*(1.5 - y), vol[Z] = 0.2*(y - 1)*(2 - y)
unknown v(x, y) > 0
unknown w(x, y)
equation value: log(v) - (x + y) + k*(d(v, x, x)/v - d(v, x, y)*d(w, y)) = 0
equation other: w - v*x + k*(d(w, y, y) + d(v, x)*w^2) = 0
boundary at x = 0: d(v, x, x)/v - (d(v, x)/v)^2 = 0
"""
SIMPLEX = """
model simplex_rows "two unknowns of two shares on a simplex"
state a, b in simplex
shock Z
process a: drift = 0.1*(0.3 - a), vol[Z] = 0.2*a*(1 - a - b)
process b: drift = 0.1*(0.3 - b), vol[Z] = 0.1*b*(1 - a - b)
unknown v(a, b) > 0
unknown w(a, b)
equation value: log(v) - (a + 2*b) + 0.05*(d(v, a, a)/v - d(v, a, b)*d(w, b)) = 0
equation other: w - v*a + 0.05*(d(w, b, b) + d(v, a)*w^2) = 0
"""
ONE_STATE = """
model one_state "one unknown of one state"
state x in [0, 1]
shock Z
process x: drift = 0.1*(0.5 - x), vol[Z] = 0.2*x*(1 - x)
unknown v(x) > 0
equation value: 0.05*v - 1 - d(v, x)*0.1*(0.5 - x) - 0.5*(0.2*x*(1 - x))^2*d(v, x, x) = 0
"""


@pytest.mark.parametrize(
    "source, basis, degree, logs",
    [
        (ONE_STATE, "tensor", 9, False),
        (TWO_STATES, "tensor", 6, True),
        (SIMPLEX, "tensor", 5, False),
        pytest.param(TWO_STATES, "smolyak", 3, False, marks=pytest.mark.slow),  # 6 s
    ],
)
def test_the_split_system_is_the_whole_one(source, basis, degree, logs):
    """The residual, its Jacobian, the trial costs and the fine grid's evaluation from the
    model's rows at the local series (`split.Split`) equal the system traced whole:
    `System.residual`, forward mode over every coefficient, and `System._evaluate`."""
    problem = Problem.build(walras.load(source).compile(), None)
    system = Systems(problem, basis, logs=logs).get(degree, 1, 0.0)
    assert jacobian.applies(system) and system.split is not None
    rng = np.random.default_rng(0)
    theta = 0.3 * rng.standard_normal(system.size)
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    plan = system.plan({}, tau=system.tau(None))
    r, J, size = system.split.linearise(theta, params, plan)
    whole = jax.jit(lambda t: system.residual(t, params, plan))
    exact = jax.jit(jax.jacfwd(lambda t: system.residual(t, params, plan)))(theta)
    scale = float(jnp.abs(exact).max())
    np.testing.assert_allclose(
        r, whole(theta), rtol=0, atol=1e-12 * float(np.nanmax(np.abs(whole(theta))))
    )
    assert J.shape == exact.shape
    assert float(np.abs(J - exact).max()) <= 1e-12 * scale
    np.testing.assert_allclose(size, float(jnp.sum(exact * exact)), rtol=1e-12)
    steps = 0.01 * rng.standard_normal((3, system.size))
    costs = system.split.costs(theta, steps, params, plan)
    direct = [0.5 * float(jnp.sum(whole(theta + d) ** 2)) for d in steps]
    np.testing.assert_allclose(costs, direct, rtol=1e-12)
    mode = system.plan({c: "min" for c in system.comps})
    split = system.split.evaluate(theta, params, mode)
    traced = jax.jit(system._evaluate)(jnp.asarray(theta), params, mode)
    for found, wanted in zip(jax.tree.leaves(split), jax.tree.leaves(traced), strict=True):
        wanted = np.asarray(wanted)
        np.testing.assert_allclose(found, wanted, rtol=0, atol=1e-11 * np.nanmax(np.abs(wanted)))


@pytest.mark.parametrize(
    "axis", [False, True, cheb.Anchor(-0.1), cheb.LOGIT], ids=["affine", "cut", "anchor", "logit"]
)
def test_the_basis_by_recurrence_is_the_series_at_the_unit_vectors(axis):
    """The local series' matrix of a one-axis expansion of degree 300 from the basis'
    recurrence (`Chebyshev.basis`) equals the series' value, slope and curvature at each unit
    vector of coefficients by its own derivative rule (`jacobian.taylor`), at the nodes, near
    the ends and beyond a cut edge, where the series continues linearly."""
    n, lo, hi = 300, 0.01, 0.9
    series = cheb.Chebyshev(jnp.zeros(n), jnp.array([lo]), jnp.array([hi]), (axis,))
    z = np.concatenate([cheb.nodes(n), [-0.9999, 0.9999, -1.2, 1.2]])
    x = jnp.asarray(cheb.to_box(z[:, None], np.array([lo]), np.array([hi]), (axis,)))
    found = np.asarray(jacobian.local_matrix(series, series.coef, x))
    at = lambda c, y: jacobian.taylor(dataclasses.replace(series, coef=c), y)  # noqa: E731
    by_rule = jax.vmap(lambda y: jax.jacfwd(at)(series.coef, y))
    wanted = np.asarray(jax.jit(by_rule)(x))
    scale = np.abs(wanted).max(axis=(0, 2), keepdims=True)  # per derivative's order
    assert float((np.abs(found - wanted) / scale).max()) <= 1e-12


def test_the_model_rows_are_compiled_once_for_every_degree():
    """Two degrees, and the expansions of v and of log v, share the model's compiled rows
    (`LocalRows`): the others compile only the matrices of their series."""
    problem = Problem.build(walras.load(ONE_STATE).compile(), None)
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    systems = Systems(problem, "tensor")
    low, high = systems.get(6, 1, 0.0), systems.get(9, 1, 0.0)
    logs = Systems(problem, "tensor", logs=True).get(7, 1, 0.0)
    assert logs.positive and not low.positive
    assert low.split.model is high.split.model is logs.split.model
    linear = low.split.model.linear
    for system in (low, high, logs):
        system.split.linearise(np.zeros(system.size), params, system.plan({}))
    compiled = len(linear.calls) if hasattr(linear, "calls") else linear._cache_size()
    assert compiled == 1


def test_two_pieces_split_are_the_whole_system():
    """Two pieces joined at a cut (brusan_log's complementarity, each piece with its own mode,
    the cut pinned): residual, Jacobian (τ's column by the same central difference), costs and
    the fine grid's evaluation equal the system traced whole."""
    from walras.runtime.solvers.collocation.start_values import constant_guess, interpolated

    problem = Problem.build(walras.load("brusan_log").compile(), None)
    system = Systems(problem, "tensor").get(10, 2, 0.0)
    assert system.split is not None and system.split.tau is not None
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    start = interpolated(system, constant_guess(problem, problem.params), 0.3)
    theta = np.asarray(start) + 0.01 * np.random.default_rng(1).standard_normal(system.size)
    (comp,) = system.comps
    plan = system.plan({comp: "a"}, {comp: "b"}, pin=10.0, tau=system.tau(0.3))
    r, J, _ = system.split.linearise(theta, params, plan)
    whole = jax.jit(lambda t: system.residual(t, params, plan))
    exact = np.asarray(jax.jit(lambda t: system.jacobian(t, params, plan))(jnp.asarray(theta)))
    wanted = np.asarray(whole(jnp.asarray(theta)))
    np.testing.assert_allclose(r, wanted, rtol=0, atol=1e-12 * np.abs(wanted).max())
    scale = np.abs(exact).max()
    assert np.abs(J[:, :-1] - exact[:, :-1]).max() <= 1e-12 * scale
    assert np.abs(J[:, -1] - exact[:, -1]).max() <= 1e-8 * scale  # (two central differences)
    steps = 0.01 * np.random.default_rng(2).standard_normal((3, system.size))
    direct = [0.5 * float(np.sum(np.asarray(whole(jnp.asarray(theta + d))) ** 2)) for d in steps]
    np.testing.assert_allclose(system.split.costs(theta, steps, params, plan), direct, rtol=1e-12)
    mode = system.plan({comp: "min"})
    split = system.split.evaluate(theta, params, mode)
    traced = jax.jit(system._evaluate)(jnp.asarray(theta), params, mode)
    for found, wanted in zip(jax.tree.leaves(split), jax.tree.leaves(traced), strict=True):
        wanted = np.asarray(wanted)
        np.testing.assert_allclose(found, wanted, rtol=0, atol=1e-11 * np.nanmax(np.abs(wanted)))
