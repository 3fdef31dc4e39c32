"""What a collocation solve tells its user when it fails: where (in the model's states), what
became of a homotopy, a start that is not finite, an interrupted solve."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from test_root_map import DISSAVING

import walras
from walras.api import LIBRARY
from walras.runtime.solvers.base import Outcome, Problem
from walras.runtime.solvers.collocation import homotopy, report
from walras.runtime.solvers.collocation.evidence import evidence
from walras.runtime.solvers.collocation.problem import System
from walras.runtime.solvers.collocation.start_values import interpolated
from walras.runtime.solvers.collocation.systems import Attempt

A_MIN = -0.5  # DISSAVING's borrowing limit, below zero: not where any map puts z = 0


def failed(text: str, start, degree: int = 8) -> Attempt:
    """An attempt left at `start` (unknown, points -> values), as a failed solve leaves one."""
    compiled = walras.load(text).compile()
    system = System(Problem.build(compiled), degree, 1)
    theta = interpolated(system, start)
    params = {k: jnp.float64(v) for k, v in compiled.params.items()}
    return Attempt(system, theta, evidence(system, theta, params, 1e-3), [1.0], 0, [], None)


def test_a_face_is_located_at_its_own_value_of_the_state():
    """The borrowing limit's face is a = a_min (the square-root map at a state constraint puts
    z = 0, where the face's points were mapped, at a = a_min + (a_max - a_min)/4)."""
    attempt = failed(DISSAVING, lambda u, y: 1.0 + y[:, 0])
    assert attempt.ev.worst == "boundary_a_lo"
    assert attempt.ev.where["boundary_a_lo"].tolist() == [A_MIN]
    settings = walras.Settings(method="collocation")
    solution = report.solution(attempt, {}, settings, [1.0], 0, {}, {})
    assert solution.outcome is Outcome.NOT_CONVERGED
    assert f"largest in 'boundary_a_lo' at a = {A_MIN:.4g};" in solution.message


LOG_START = """model log_start
state x in [-1, 1]
process x: drift = 0
unknown V(x)
equation e: V = x + 2
guess V = log(x) + 2
"""

SHARP_START = """model sharp_start
state x in [0, 1]
process x: drift = 0
unknown V(x)
equation e: sqrt(d(V, x)) = 1
guess V = -1/(x + 0.001)
"""


def place(message: str, after: str) -> float:
    """The value of x that `message` gives after `after`."""
    return float(message.split(after, 1)[1].split(":")[0].split(";")[0])


@pytest.mark.parametrize("text", [LOG_START, SHARP_START])
def test_a_start_that_is_not_finite_says_where_and_why(text):
    """log(x) is not finite for x <= 0, so the guess's own residual is not finite from the
    domain's left edge; -1/(x + 0.001) is finite with its slope 1/(x + 0.001)^2 > 0 on [0, 1],
    but its degree-8 interpolant is not monotone there (checked below with NumPy), so the
    square root of its slope is not finite somewhere: the message says which, where, and asks
    for another guess, not for a homotopy."""
    solution = walras.solve(walras.load(text), method="collocation", quiet=True, degree=8)
    message = solution.message
    assert solution.outcome is Outcome.NONFINITE
    assert "Newton stalled" not in message and "give a guess" in message
    if text is LOG_START:
        assert "the guess gives residuals that are not finite in 'e' at x = " in message
        assert -1 < place(message, "not finite in 'e' at x = ") <= 0
        return
    x = np.polynomial.chebyshev.chebpts1(9)  # the Gauss-Chebyshev nodes of degree 8, on [0, 1]
    fit = np.polynomial.Chebyshev.fit((x + 1) / 2, -1 / ((x + 1) / 2 + 0.001), 8, domain=[0, 1])
    falls = np.linspace(0, 1, 4001)[fit.deriv()(np.linspace(0, 1, 4001)) < 0]
    assert falls.size and "the guess is finite there, but not its expansion at degree 8" in message
    at = place(message, "not finite in 'e' at x = ")
    assert np.min(np.abs(falls - at)) < 1e-3


def test_a_start_from_a_constant_asks_for_a_guess():
    """growth without its guess: V starts from a constant, so V' = 0 and c = V'^(-1/γ) is not
    finite anywhere; the message names V and asks for its guess, not for another one."""
    text = "\n".join(
        line
        for line in (LIBRARY / "growth.econ").read_text().splitlines()
        if not line.startswith("guess")
    )
    solution = walras.solve(walras.load(text), method="collocation", quiet=True)
    assert solution.outcome is Outcome.NONFINITE
    assert "V starts from a constant (no `guess`)" in solution.message
    assert "give a guess for V (`guess V = ...`)" in solution.message


def test_an_interrupted_solve_is_not_called_converged():
    """Stopped (Ctrl-C, SIGTERM) on an attempt whose residuals are within their tolerance (the
    guess V = x + 2 is the solution of V = x + 2), the message says where it stopped and that it
    is not converged, not "converged"."""
    attempt = failed(LOG_START, lambda u, y: y[:, 0] + 2)
    settings = walras.Settings(method="collocation")
    assert attempt.ev.total <= settings.residual_tol
    done = report.solution(attempt, {}, settings, [0.0], 1, {}, {})
    stopped = report.solution(attempt, {}, settings, [0.0], 1, {}, {}, interrupted=True)
    assert done.outcome is Outcome.CONVERGED
    assert stopped.outcome is Outcome.INTERRUPTED and not stopped.converged
    assert stopped.message.startswith("interrupted at degree 8, not converged: residual sup-norm")
    assert "converged" not in stopped.message.replace("not converged", "")


BOUND = """model bound
parameter x_min = 0.5, k = 2
state x in [x_min, 2]
process x: drift = 0
unknown V(x)
equation e: V = k*x^2
"""


def test_a_homotopy_in_a_parameter_that_sets_only_a_bound_says_it_changed_nothing():
    """x_min sets only the state's lower bound, which a homotopy does not move: the solve says
    so; a homotopy in k, which enters the equation, converges without a note on it."""
    model = walras.load(BOUND)
    settings = dict(method="collocation", quiet=True, degree=8, homotopy_steps=2)
    bound = walras.solve(model, homotopy="x_min=1", **settings)
    assert "the homotopy from x_min=1 (2 steps before the model's values) changed nothing: " in (
        bound.message
    )
    assert "x_min enters no equation or boundary condition" in bound.message
    moving = walras.solve(model, homotopy="k=1", **settings)
    assert moving.converged and "homotopy" not in moving.message


def test_a_homotopy_that_did_not_converge_says_how_far_it_got():
    steps = [({"k": 1.0}, False, 3.0), ({"k": 1.5}, False, 2.0)]
    first = homotopy.note("k=1", ["k"], steps, False)
    assert first.endswith(
        "its first step did not converge (residual sup-norm 3.0e+00 off the "
        "nodes), and each later step started from the one before"
    )
    steps[0] = ({"k": 1.0}, True, 1e-12)
    assert homotopy.note("k=1", ["k"], steps, False).endswith(
        "converged up to k = 1 (step 1), not beyond"
    )
