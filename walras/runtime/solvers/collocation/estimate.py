"""The estimated error of a converged collocation solve: the change at another degree (the
truncation) of each unknown and each control, to which the error a cut edge leaves is added
(`cut_edge`); the degree rises while the estimate is above `tol_error`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ... import derived, interrupt
from ...results import outputs_at
from .evidence import decays
from .problem import values_at
from .sizing import degree_for

if TYPE_CHECKING:
    from .systems import Attempt

Solve = Callable  # (settings, guess) -> Attempt: the driver's solve at the model's parameters
GEOMETRIC = 12  # coefficients falling faster than n^-12 (the factor below 1.1): no extrapolation
ROUNDING = 1e-13  # coefficients this small against the unknown's largest are rounding


def refine(solve: Solve, settings, attempt: Attempt, params):
    """The converged attempt, its settings, the estimated error of each unknown and control
    (its change at another degree, `degree_change`) and of each described definition
    (`derived.changes`, reported only); while an estimate is above `tol_error` and the solve at
    the higher degree converged, that solve is the better solution and the degree rises again
    (until the coefficients decay far enough, or the degree reaches its cap)."""
    below = None  # the solve at the degree before, which measures the rate at a kink
    while True:
        errors, described, again = degree_change(solve, settings, attempt, params, below)
        higher = again is not None and again.system.degree > attempt.system.degree
        done = max(errors.values(), default=0.0) <= settings.tol_error or interrupt.requested()
        if done or not (higher and again.solved(settings)):
            return attempt, settings, errors, described
        again.notes[:0] = [
            *attempt.notes,
            f"raised the degree from {attempt.system.degree} to {again.system.degree} "
            f"(estimated error {max(errors.values()):.1e} above tol_error)",
        ]
        below, attempt = attempt, again
        settings = settings.replace(degree=again.system.degree)


def degree_change(solve: Solve, settings, attempt: Attempt, params, below: Attempt | None = None):
    """The estimated error of each unknown and each control: how much it changes, relative to
    its largest size, on the evidence points when the solve is repeated at a higher degree (at
    a lower one, whose error bounds this one's, when the degree is at its cap or the higher
    solve does not converge), starting from this solution; infinite when that solve fails.
    Where the coefficients decay algebraically (a kink), the change understates the error and is
    scaled by the rate the solves converge at (`algebraic`), measured against `below` (a solve
    at a lower degree) or a solve a quarter lower.
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
    described = derived.described(problem.compiled)
    mine = quantities(attempt, fields, params, controls + described)

    def change(other: Attempt) -> dict[str, float]:
        theirs = quantities(attempt, other.system.fields(other.theta), params, controls + described)
        return compared(mine, theirs)

    found = change(again)
    decay = algebraic(system, attempt.theta)
    if again.system.degree > degree and lower < degree and decay is not None:
        below = below or solve(settings.replace(degree=lower), fields)
        before = change(below) if below.ev.ok and below.held(settings) else {}
        degrees = (below.system.degree, degree, again.system.degree)
        most = max(1.0, decay - 2)
        found = {
            k: v * extrapolation(before.get(k, np.nan), v, degrees, most) for k, v in found.items()
        }
    errors = {k: v for k, v in found.items() if k not in described}
    return errors, {k: found[k] for k in described}, again


def quantities(attempt: Attempt, fields, params, outputs: list[str]) -> dict[str, np.ndarray]:
    """Each unknown of fields and each of `outputs` (controls, definitions) at the evidence
    points of an attempt."""
    found = {u: values(attempt, fields, u) for u in attempt.system.args}
    if outputs:
        out = outputs_at(attempt.system.problem.compiled, fields, params, attempt.ev.x)
        found.update({k: np.asarray(out[k]) for k in outputs})
    return found


def compared(mine: dict, theirs: dict) -> dict[str, float]:
    """max |theirs − mine| / max |mine| of each quantity (`derived.changes`)."""
    return derived.changes(mine, mine, {k: theirs[k] - mine[k] for k in mine})


def algebraic(system, theta) -> float | None:
    """The slowest algebraic decay s of the unknowns' Chebyshev coefficients, where one decays
    so: from the middle of the degrees to three quarters their envelope falls like n^-s with
    1 <= s < GEOMETRIC (faster is geometric; flatter is a floor of noise, or no decay at all),
    above the rounding floor (ROUNDING of the unknown's largest coefficient, over every piece);
    None where none does."""
    rates = []
    for rows in decays(system, theta).values():
        envelopes = [np.maximum.accumulate(row[::-1])[::-1] for row in np.atleast_2d(rows)]
        scale = max(e[0] for e in envelopes)
        for envelope in envelopes:
            n = len(envelope)
            start, end = n // 2, (3 * n) // 4  # not the last quarter: a collocation solution's
            # last coefficients fall off (tests/test_kink_estimate.py at degree 77: 6.8e-8 to
            # 1.0e-8 over its last four, where n^-4 falls 4%)
            if n < 8 or envelope[end] <= ROUNDING * scale:
                continue
            rate = np.log(envelope[start] / envelope[end]) / np.log(end / start)
            if 1 <= rate < GEOMETRIC:
                rates.append(float(rate))
    return min(rates, default=None)


def extrapolation(before: float, after: float, degrees, most: float) -> float:
    """The factor that turns the change between degrees N and M into the error at N, when the
    error falls like N^-p: 1/(1 − (N/M)^p), with p from the change between L and N before it
    (the ratio of the two changes is ((N/L)^p − 1)/(1 − (N/M)^p)), at least 1, the slowest rate
    worth calling convergence (a factor of 5 for M = 1.25 N), and at most `most`; p = 1 where
    the solve at L failed. The caller's `most` is s − 2 for coefficients falling like n^-s:
    the error of a collocation solution falls two orders slower than its coefficients (a second
    derivative in the equations), and where a node meets the kink at some degrees and misses it
    at others the two changes alone read a rate far above it (the kink of
    `tests/test_kink_estimate.py` at degree 187 with σ = 0.6: a factor of 1.1, the estimate
    2.6 times below the error; s − 2 ≈ 2)."""
    from scipy.optimize import brentq  # only here: a warm solve does not load scipy.optimize

    L, N, M = degrees

    def ratio(p: float) -> float:
        return ((N / L) ** p - 1) / (1 - (N / M) ** p)

    p = 1.0
    if np.isfinite(before) and after > 0 and before / after > ratio(1.0):
        seen = before / after
        p = most if seen >= ratio(most) else brentq(lambda q: ratio(q) - seen, 1.0, most)
    return 1 / (1 - (N / M) ** p)


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
