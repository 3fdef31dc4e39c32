"""The first solve of a walk, from the start (not from a solution): directly, in pseudo-time, or
after a failed direct solve of a model with several states from the coarse start
(`coarse_start`)."""

from __future__ import annotations

from collections.abc import Callable

from ... import interrupt
from ..base import Problem
from . import pseudo_time
from .problem import System
from .systems import Attempt

CREEP = 10  # iterations over which a direct solve with the coarse start behind it must at least
# halve its sum of squares, else it pauses for the coarse start (di_tella at degree 19: 2-15% an
# iteration from the 11th on, each iteration a dense system of 1,240 x 1,200)
SAME = 1e-6  # residual sup-norms within this share of each other: one solution reached twice
# (the direct solve and the walk after it: 6e-11 apart in risk_sharing, 3e-8 in campbell_cochrane)


class Creep:
    """Levenberg-Marquardt's `callback` and `should_stop`: stops a solve whose sum of squares fell
    by less than half over the last CREEP iterations (`paused` then holds)."""

    def __init__(self):
        self.costs: list[float] = []
        self.paused = False

    def __call__(self, iteration: int, cost: float) -> None:
        self.costs.append(cost)

    def stop(self) -> bool:
        c = self.costs
        self.paused = len(c) > CREEP and c[-1] > 0.5 * c[-1 - CREEP]
        return self.paused


def several(problem: Problem) -> bool:
    """Two or more continuous states: where the coarse start applies."""
    return sum(not s.discrete for s in problem.states) >= 2


def leave_start(
    system: System,
    settings,
    p,
    plan,
    theta,
    solved: Callable,
    history: list[float],
    coarse: Callable[[Attempt], Attempt] | None = None,
) -> Attempt:
    """The solve from θ (the start): with `start = pseudo_time` from where a walk in pseudo-time
    from θ ends; with `auto` directly, and from the walk's end when that fails and the equations
    hold time derivatives (the better of the two solves is kept, the walk's where both end at
    one solution). With several states (`coarse`:
    `coarse_start.after_direct`) a failed direct solve is first followed by the coarse start,
    kept when it reaches the working degree's collocation solution with smaller residuals: the
    walk at the working degree costs up to GIVE_UP failed steps of a whole solve each. A direct
    solve that creeps (`Creep`) pauses for the coarse start and, where that does not help, goes
    on from where it stopped with the rest of its iterations."""
    direct = None
    if settings.start == "auto":
        creep = Creep() if coarse is not None else None
        result, ev = solved(theta, plan, 1e-14, watch=creep)
        direct = Attempt(
            system, result.theta, ev, history, result.iterations, [], None, reached=result.converged
        )
        if direct.converged(settings) or result.interrupted:
            return direct
        if coarse is not None:
            found = coarse(direct)
            if found.reached and found.ev.ok and found.ev.total < direct.ev.total:
                return found
            history[:] = found.history  # the iterations it spent count
            direct.iterations = found.iterations
            direct.notes.extend(found.notes)
            if creep.paused and not interrupt.requested():
                left = settings.iterations - result.iterations
                rest, direct.ev = solved(result.theta, plan, 1e-14, iterations=left)
                direct.theta, direct.reached = rest.theta, rest.converged
                direct.iterations += rest.iterations
                direct.notes.append(
                    f"the direct solve, paused after {result.iterations} iterations where it "
                    f"crept, went on from there for {rest.iterations} more"
                )
                if direct.converged(settings) or rest.interrupted:
                    return direct
    stepper = pseudo_time.stepper(system)
    if not stepper.dynamic(theta, p, plan):
        if direct is not None:
            return direct
        result, ev = solved(theta, plan, 1e-14)
        note = "no equation holds a time derivative, so the solve started directly"
        return Attempt(system, result.theta, ev, history, result.iterations, [note], None)
    walked = pseudo_time.walk(stepper, theta, p, plan, settings.iterations)
    history.extend(walked.history)
    result, ev = solved(walked.theta, plan, 1e-14)
    iterations = walked.iterations + result.iterations + (direct.iterations if direct else 0)
    why = (
        ""
        if direct is None
        else (f"the direct solve did not converge (residual sup-norm {direct.ev.total:.1e}), so ")
    )
    walk = (
        f"the solve walked {walked.steps} steps in pseudo-time from the start (the last Δτ "
        f"{walked.dt / pseudo_time.GROWTH:.3g}"
        if walked.steps
        else "a walk in pseudo-time from the start took no step (the smallest Δτ tried "
        f"{walked.dt * pseudo_time.SHRINK:.3g}"
    )
    note = (
        f"{why}{walk}, {walked.failed} failed steps, "
        f"residual sup-norm {walked.residual:.1e} at the nodes where it ended"
        + (
            f"; it gave up after {pseudo_time.GIVE_UP} failed steps in a row)"
            if walked.gave_up
            else ")"
        )
    )
    attempt = Attempt(system, result.theta, ev, history, iterations, [note], None, True)
    # where both reach one solution the walk's is kept: the finite-horizon economy reaches it, so
    # a failed walk is crowded before edges are cut (`walks.walk_or_cut`), not by a rounding tie
    if direct is None or attempt.converged(settings) or ev.total <= (1 + SAME) * direct.ev.total:
        return attempt
    direct.notes.append(note + ", which did not help")
    return direct
