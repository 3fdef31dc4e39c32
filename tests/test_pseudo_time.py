"""The pseudo-time start of collocation (`collocation/pseudo_time.py`, the setting `start`): the
time-dependent equations walked from the start select the equilibrium a finite-horizon economy
reaches as its horizon recedes, and change nothing where the equations have one solution."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import driver, pseudo_time
from walras.runtime.solvers.collocation.start_values import interpolated
from walras.runtime.solvers.start import start_guess

# dv/dτ = −r(v − 1)(v − 3) + drift of v, r a rate of an economy's size: the constants 1 and 3
# both solve the stationary equation; walked in time from 1.2 the value rises to the stable one,
# 3, while Newton's method from 1.2 finds the nearer, 1
TWO_STEADY_STATES = """
model two_steady_states "two constant solutions; time selects the stable one"
parameter a = 0.1, s = 0.2, r = 0.05
state x in [0, 1]
shock Z
process x: drift = a*(0.5 - x), vol[Z] = s*x*(1 - x)
unknown v(x) > 0
guess v = 1.2
equation value: drift(v) - r*(v - 1)*(v - 3) = 0
"""


def solved(text_or_name: str, **settings):
    model = walras.load(text_or_name)
    return walras.solve(model, method="collocation", quiet=True, degree=8, **settings)


def test_the_walk_in_time_selects_the_stable_solution():
    """From v = 1.2 the direct solve converges to v = 1 (and `auto` keeps it: it converged);
    walked in pseudo-time first, the solve reaches v = 3, where the time-dependent equation
    leads (both exact constants)."""
    x = np.linspace(0, 1, 11)
    direct = solved(TWO_STEADY_STATES, start="direct")
    walked = solved(TWO_STEADY_STATES, start="pseudo_time")
    assert direct.outcome.value == walked.outcome.value == "converged"
    assert np.abs(direct.evaluate(x)["v"].values - 1.0).max() < 1e-9
    assert np.abs(walked.evaluate(x)["v"].values - 3.0).max() < 1e-9
    assert "pseudo-time" in walked.message and "pseudo-time" not in direct.message


def test_a_walk_whose_steps_fail_gives_up_in_bounded_time():
    """Steps that cannot be solved (one Levenberg-Marquardt iteration each, never converged)
    end the walk after GIVE_UP failures in a row, not after STEPS: the walk costs at most
    GIVE_UP iterations here, and says it gave up."""
    problem = Problem.build(walras.load(TWO_STEADY_STATES).compile(), None)
    system = driver.Systems(problem).get(8, 1, 0.0)
    params = {k: jax.device_put(np.float64(v)) for k, v in problem.params.items()}
    guess = start_guess(problem, problem.params, None, driver.constant_guess(problem, params))
    plan = system.plan({}, pin=0.0, tau=system.tau(None))
    stepper = pseudo_time.stepper(system)
    walked = pseudo_time.walk(stepper, interpolated(system, guess), params, plan, iterations=1)
    assert walked.gave_up and walked.steps == 0
    assert walked.failed == pseudo_time.GIVE_UP < pseudo_time.STEPS
    assert walked.iterations == pseudo_time.GIVE_UP
    enough = pseudo_time.walk(stepper, interpolated(system, guess), params, plan, iterations=50)
    assert not enough.gave_up and enough.residual <= pseudo_time.SETTLED


@pytest.mark.slow  # 12 s of CPU; the fast test above holds the capability
def test_a_walk_in_time_changes_nothing_where_the_solution_is_unique():
    """lucas from its constant start: the walk ends at the closed form, where the direct solve
    ends too (tests/test_solvers.py)."""
    p = walras.load("lucas").compile().params
    rho, gamma, mu, sigma = (p[k] for k in ("rho", "gamma", "mu", "sigma"))
    exact = 1 / (rho + (gamma - 1) * mu - gamma * (gamma - 1) * sigma**2 / 2)
    y = np.linspace(0.5, 2.0, 7)
    solution = solved("lucas", start="pseudo_time")
    assert solution.outcome.value == "converged" and "pseudo-time" in solution.message
    assert np.abs(solution.evaluate(y)["pd"].values / exact - 1).max() < 1e-9
