"""Where a positive unknown goes below a cut edge (collocation/limits.py): the fall of its
logarithm below the cut, from its values at the cut and one and two decades above, against the
closed forms of a bounded solution, a power law to 0 and a divergence; and the check on
expansions of a one-state model cut at 1e-6."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation.limits import HALF, below, vanishing
from walras.runtime.solvers.collocation.problem import System

jax.config.update("jax_enable_x64", True)

EPS = 1e-6
MODEL = """model power_edge "p = x^0.5 + c: bounded away from 0 only when c > 0"
parameter c = 0, rho = 0.005
state x in [0, 1]
shock Z
process x: drift = 0.02*x, vol[Z] = 0.2*x
unknown p(x) > 0
boundary at x = 1: p = 1 + c
equation value: rho*p = rho*c + drift(p)
"""


def falls(u, decades: float = 294.0):
    logs = [np.log(np.atleast_1d(u(EPS * 10.0**k))) for k in range(3)]
    return below(*logs, decades=decades)[0][0]


@pytest.mark.parametrize("beta", [1.0, 0.5, 0.2])
def test_a_bounded_unknown_falls_below_the_cut_by_what_its_closed_form_loses(beta):
    """u = 2 + x^β: below the cut at ε it falls by log(u(ε)/2) (β = 0.2: 3.1e-2), which the
    geometric series of the decades' falls gives to within 4% (the log is not quite linear in
    x^β over the decades above the cut)."""
    u = lambda x: 2 + x**beta  # noqa: E731
    exact = math.log(u(EPS) / 2)
    assert falls(u) == pytest.approx(exact, rel=5e-2)
    assert falls(u) < HALF


@pytest.mark.parametrize("alpha", [0.05, 0.5])
def test_a_power_law_to_zero_falls_without_bound_and_a_divergence_does_not_fall(alpha):
    """u = x^α falls by α·ln 10 per decade, all the way down (294 decades to 1e-300);
    u = x^−α grows towards the edge, which a cut edge is for."""
    assert falls(lambda x: x**alpha) == pytest.approx(294 * alpha * math.log(10), rel=1e-9)
    assert falls(lambda x: x**-alpha) == 0.0


def test_the_check_names_an_expansion_that_tends_to_0_and_passes_a_bounded_one():
    """Expansions (degree 12, x cut at 1e-6, log p in log x) of the model's closed-form
    solutions: p = x^0.5 (c = 0) tends to 0 at x = 0, which `p > 0` forbids; p = 1 + x^0.5
    (c = 1) does not."""
    compiled = walras.load(MODEL).compile()
    system = System(Problem.build(compiled), 12, 1, EPS)
    for c, named in ((0.0, True), (1.0, False)):
        theta = system.start(lambda u, y, c=c: np.sqrt(y[:, 0]) + c)
        found = vanishing(system, theta)
        assert bool(found) is named
        if named:
            assert "p falls towards 0 below the cut x = 1e-06" in found[0]
            assert "like x^0.5" in found[0]
