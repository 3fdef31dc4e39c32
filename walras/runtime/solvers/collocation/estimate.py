"""The estimated error of a converged collocation solve: the change at another degree (the
truncation) of each unknown and each control, to which the error a cut edge leaves is added
(`cut_edge`); the degree rises while the estimate is above `tol_error`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ... import derived, interrupt
from ...results import outputs_at
from .problem import values_at
from .sizing import degree_for

if TYPE_CHECKING:
    from .systems import Attempt

Solve = Callable  # (settings, guess) -> Attempt: the driver's solve at the model's parameters


def refine(solve: Solve, settings, attempt: Attempt, params):
    """The converged attempt, its settings, the estimated error of each unknown and control
    (its change at another degree, `degree_change`) and of each described definition
    (`derived.changes`, reported only); while an estimate is above `tol_error` and the solve at
    the higher degree converged, that solve is the better solution and the degree rises again
    (until the coefficients decay far enough, or the degree reaches its cap)."""
    while True:
        errors, described, again = degree_change(solve, settings, attempt, params)
        higher = again is not None and again.system.degree > attempt.system.degree
        done = max(errors.values(), default=0.0) <= settings.tol_error or interrupt.requested()
        if done or not (higher and again.solved(settings)):
            return attempt, settings, errors, described
        again.notes[:0] = [
            *attempt.notes,
            f"raised the degree from {attempt.system.degree} to {again.system.degree} "
            f"(estimated error {max(errors.values()):.1e} above tol_error)",
        ]
        attempt, settings = again, settings.replace(degree=again.system.degree)


def degree_change(solve: Solve, settings, attempt: Attempt, params):
    """The estimated error of each unknown and each control: how much it changes, relative to
    its largest size, on the evidence points when the solve is repeated at a higher degree (at
    a lower one, whose error bounds this one's, when the degree is at its cap or the higher
    solve does not converge), starting from this solution; infinite when that solve fails.
    A control is read from the unknowns' derivatives, so it can change far more than they do
    (consumption_saving: c 1e-8 from the reference at the borrowing limit, V 2e-11).
    Returns the errors, those of the described definitions (`derived`: reported only, none
    where the other solve failed) and the attempt at the other degree."""
    system = attempt.system
    problem, degree, basis = system.problem, system.degree, system.basis
    step = max(2, degree // 4)
    higher = degree_for(problem, degree + step, basis, "up")
    lower = degree_for(problem, max(1, degree - step), basis, "down")
    fields = attempt.system.fields(attempt.theta)
    again = None
    if higher > degree:
        again = solve(settings.replace(degree=higher), fields)
    if (again is None or not again.solved(settings)) and lower < degree:
        again = solve(settings.replace(degree=lower), fields)
    controls = [c.name for c in problem.compiled.model.controls]
    if again is None or not again.ev.ok:
        return {name: np.inf for name in [u.name for u in problem.unknowns] + controls}, {}, again
    others = again.system.fields(again.theta)
    mine = {u: values(attempt, fields, u) for u in attempt.system.args}
    theirs = {u: values(attempt, others, u) for u in attempt.system.args}
    described = derived.described(problem.compiled)
    if controls or described:  # read off the outputs, once for both
        outputs = [outputs_at(problem.compiled, f, params, attempt.ev.x) for f in (fields, others)]
        for found, out in zip((mine, theirs), outputs):
            found.update({k: np.asarray(out[k]) for k in controls + described})
    errors = {
        k: float(np.max(np.abs(mine[k] - theirs[k])) / largest(mine[k]))
        for k in mine
        if k not in described
    }
    deltas = {k: theirs[k] - mine[k] for k in described}
    return errors, derived.changes(described, mine, deltas), again


def values(attempt: Attempt, fields, u: str) -> np.ndarray:
    """An unknown's values at the evidence points of an attempt."""
    idx = attempt.system.args[u]
    x = np.asarray(attempt.ev.x)
    return values_at(fields[u], x[:, idx] if idx else x[:1, :0])


def size(attempt: Attempt, u: str) -> float:
    """An unknown's largest size at the evidence points (what its errors are relative to)."""
    return largest(values(attempt, attempt.system.fields(attempt.theta), u))


def largest(found: np.ndarray) -> float:
    """The largest size of values, at least 1e-300."""
    return max(float(np.max(np.abs(found))), 1e-300)
