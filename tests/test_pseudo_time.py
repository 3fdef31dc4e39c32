"""The pseudo-time start of collocation (`collocation/pseudo_time.py`, the setting `start`): the
time-dependent equations walked from the start select the equilibrium a finite-horizon economy
reaches as its horizon recedes, and change nothing where the equations have one solution."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import pseudo_time
from walras.runtime.solvers.collocation.start_values import constant_guess, interpolated
from walras.runtime.solvers.collocation.systems import Systems
from walras.runtime.solvers.start import start_guess

# dv/dτ = −r(v − 1)(v − 3) + drift of v, r a rate of an economy's size: the constants 1 and 3
# both solve the stationary equation; walked in time from 1.2 the value rises to the stable one,
# 3, while Newton's method from 1.2 finds the nearer, 1. With a = 2r the equation linearised at
# v = 1 would be solved by v = 1 + c(x - 0.5) for every c (its residual r c^2 (x - 0.5)^2), and a
# converged direct solve would stop anywhere within 1e-9 of 1 (1.2e-9 and 1.8e-9 seen)
TWO_STEADY_STATES = """
model two_steady_states "two constant solutions; time selects the stable one"
parameter a = 0.2, s = 0.2, r = 0.05
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
    system = Systems(problem).get(8, 1, 0.0)
    params = {k: jax.device_put(np.float64(v)) for k, v in problem.params.items()}
    guess = start_guess(problem, problem.params, None, constant_guess(problem, params))
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


MOVING = """
model moving "two unknowns of two states, with drifts, a boundary row and a cut edge"
parameter r = 0.05
state x in [0, 1]
state y in [1, 2]
shock Z
process x: drift = 0.1*(0.5 - x), vol[Z] = 0.2*x*(1 - x)
process y: drift = 0.1*(1.5 - y), vol[Z] = 0.2*(y - 1)*(2 - y)
unknown v(x, y) > 0
unknown w(x, y)
equation value: drift(v)/v - r + x*y - 0.1*w = 0
equation other: drift(w) - r*w + v*x + 0.1*d(w, x, y) = 0
boundary at y = 2: d(w, y) - v = 0
"""


@pytest.mark.parametrize(
    "source, degree, edge, logs",
    [
        (TWO_STEADY_STATES, 8, 0.0, False),
        (TWO_STEADY_STATES, 8, 0.0, True),
        (MOVING, 5, 1e-3, True),
    ],
)
def test_a_step_from_the_local_rows_is_the_step_traced_whole(source, degree, edge, logs):
    """An implicit step's residual, Jacobian and trial costs from the time-dependent model's
    local rows (`local_rows.Step`: each unknown's series gains its derivative in τ, of log u for
    a positive unknown) equal the step traced whole (`Stepper._residual`, forward mode over every
    coefficient): plain and positive unknowns, two states, a boundary row, a cut edge's rows."""
    problem = Problem.build(walras.load(source).compile(), None)
    system = Systems(problem, logs=logs).get(degree, 1, edge)
    stepper = pseudo_time.Stepper(system)
    assert stepper.parts is not None and bool(system.positive) == logs
    rng = np.random.default_rng(0)
    theta = 0.3 * rng.standard_normal(system.size)
    old = theta + 0.05 * rng.standard_normal(system.size)
    params = {k: jax.device_put(np.float64(v)) for k, v in problem.params.items()}
    plan = system.plan({}, tau=system.tau(None))
    args = (params, plan, old, 3.0)
    whole = jax.jit(lambda t: stepper._residual(t, *args))
    wanted = np.asarray(whole(theta))
    exact = np.asarray(jax.jit(jax.jacfwd(lambda t: stepper._residual(t, *args)))(theta))
    r, J, _ = stepper.parts[0](theta, *args)
    np.testing.assert_allclose(r, wanted, rtol=0, atol=1e-12 * np.abs(wanted).max())
    assert np.abs(J - exact).max() <= 1e-12 * np.abs(exact).max()
    steps = 0.01 * rng.standard_normal((3, system.size))
    direct = [0.5 * float(np.sum(np.asarray(whole(theta + d)) ** 2)) for d in steps]
    np.testing.assert_allclose(stepper.parts[1](theta, steps, *args), direct, rtol=1e-12)
    assert np.abs(stepper.residual(theta, *args) - wanted).max() <= 1e-12 * np.abs(wanted).max()
