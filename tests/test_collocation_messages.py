"""What a collocation solve tells its user when it fails: where (in the model's states), what
became of a homotopy, a start that is not finite, an interrupted solve."""

from __future__ import annotations

import jax.numpy as jnp

import walras
from walras.runtime.solvers.base import Outcome, Problem
from walras.runtime.solvers.collocation import report
from walras.runtime.solvers.collocation.evidence import evidence
from walras.runtime.solvers.collocation.problem import System
from walras.runtime.solvers.collocation.start_values import interpolated
from walras.runtime.solvers.collocation.systems import Attempt

A_MIN = -0.5  # a borrowing limit below zero: its face is not where any map puts z = 0

DISSAVING = f"""model dissaving
parameter rho = 0.05, z = 0.1, a_min = {A_MIN}, a_max = 1
state a in [a_min, a_max]
control c > 0
unknown V(a)
process a: drift = z - c
equation hjb: rho*V = max(c): log(c) + drift(V)
boundary at a = a_min: drift(a) >= 0
"""


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
