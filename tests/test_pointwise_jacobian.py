"""The Jacobian of a collocation system from the pointwise partials (`collocation/jacobian.py`)
equals forward mode over every coefficient (`jax.jacfwd`): one state, two states in a tensor
basis with positive unknowns as logarithms and an edge condition, and a Smolyak basis (slow:
6 s). The fast cases take about 9 s of CPU."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
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
        pytest.param(TWO_STATES, "smolyak", 3, False, marks=pytest.mark.slow),  # 6 s
    ],
)
def test_the_pointwise_jacobian_is_forward_mode(source, basis, degree, logs):
    problem = Problem.build(walras.load(source).compile(), None)
    system = Systems(problem, basis, logs=logs).get(degree, 1, 0.0)
    assert jacobian.applies(system)
    rng = np.random.default_rng(0)
    theta = jnp.asarray(0.3 * rng.standard_normal(system.size))
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    plan = system.plan({}, tau=system.tau(None))
    found = jax.jit(lambda t: jacobian.pointwise(system, t, params, plan))(theta)
    exact = jax.jit(jax.jacfwd(lambda t: system.residual(t, params, plan)))(theta)
    assert found.shape == exact.shape
    assert float(jnp.abs(found - exact).max()) <= 1e-12 * float(jnp.abs(exact).max())
