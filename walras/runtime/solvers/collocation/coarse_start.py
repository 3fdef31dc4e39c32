"""A start from a coarse solve, for models of several continuous states whose direct solve from
the start fails (the remedy after it, before the walk in pseudo-time).

Where the start is far from the solution (`di_tella`: residuals of 100 at the nodes where the
equations' terms are of order 1000 and a ratio of unknowns to the fourth power must rise
500-fold), Levenberg-Marquardt on the working degree's expansions creeps to another point, and
each pseudo-time step at that degree costs as much. A low degree is cheap (a dense Jacobian of a
few hundred columns), and with the unknowns declared positive expanded as their logarithms its
ratios and powers are smooth in the coefficients: there the direct solve reaches the coarse
collocation solution. That solution, carried up a step at a time (the degree raised by half per
step, each solve of the plain expansions starting from the last), is a start from which the
working degree converges in a few dozen iterations (docs/models/di_tella.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ... import interrupt
from .systems import Attempt

if TYPE_CHECKING:
    from .systems import Systems

COARSE = 8  # degree per state of the coarse solve: 81 coefficients per unknown with two states
LONGER = 4  # the coarse solve may take this many times the iterations of a stage: they are
# cheap, and from a far start it creeps before it converges (di_tella: 54 iterations)
FELL = 1e-10  # a chain whose sum of squares fell this far from its start reached a root (`_held`)

Solve = Callable  # (degree, guess or None for the start, coarse) -> Attempt: a direct solve,
# with `coarse` in logarithms and LONGER iterations


def ladder(coarse: int, degree: int, raised: Callable[[int], int]) -> list[int]:
    """The degrees of the steps: the coarse one (in logarithms), then up by half again each
    (`raised` rounds a degree up in the basis) while that leaves more than a doubling to
    `degree`, then `degree` itself (8, 12, 19 for the two-state default)."""
    steps = [min(coarse, degree)]
    while 2 * steps[-1] < degree:
        steps.append(max(steps[-1] + 2, raised(steps[-1] + steps[-1] // 2)))
    return [*steps, degree]


def reach(solve: Solve, degrees: list[int], start=None) -> tuple[Attempt | None, list, str]:
    """The coarse solve in logarithms at the first degree, then the plain expansions at each next
    degree from the last solution. Returns the attempt at the working degree (None where a step
    did not converge at its nodes), every attempt made, and a note that says what was done.
    `start`: the first step's guess (None: the solver's start)."""
    done: list[Attempt] = []
    guess = start
    for i, degree in enumerate(degrees):
        attempt = solve(degree, guess, i == 0)
        done.append(attempt)
        if not (attempt.reached and attempt.ev.ok) or interrupt.requested():
            return None, done, _note(degrees[: i + 1], failed=True)
        guess = attempt.fields
    return done[-1], done, _note(degrees, failed=False)


def after_direct(
    systems: Systems, settings, params, start, solve_at: Callable
) -> Callable[[Attempt], Attempt]:
    """The coarse start after a failed direct solve `direct`, from the same start (`solve_at`:
    `stages.attempt`, (systems, settings, params, guess) -> Attempt):
    the attempt at the working degree where it got there and the equations hold at its nodes
    (`_held`), else the direct one, with the residual history and iterations of all its solves
    and a note."""

    def solve(degree: int, guess, logs: bool) -> Attempt:
        iterations = settings.iterations * (LONGER if logs else 1)
        at = settings.replace(degree=degree, start="direct", iterations=iterations)
        return solve_at(systems.logged() if logs else systems, at, params, guess or start)

    def attempt(direct: Attempt) -> Attempt:
        rounded = lambda d: systems.degree(d, "up")  # noqa: E731
        degrees = ladder(COARSE, direct.system.degree, rounded)
        found, done, note = reach(solve, degrees)
        history = direct.history + [h for a in done for h in a.history]
        iterations = direct.iterations + sum(a.iterations for a in done)
        why = f"the direct solve did not converge (residual sup-norm {direct.ev.total:.1e}), so "
        held = found is not None and _held(found, done, settings)
        if found is None or not (found.ev.total < direct.ev.total and held):
            failed = note
            if found is not None and not held:  # stalled: no root at the nodes
                failed += (
                    ", where the equations do not hold at the nodes (sum of squares "
                    f"{found.history[-1]:.1e})"
                )
            elif found is not None:
                failed += ", which did not help"
            return Attempt(
                direct.system, direct.theta, direct.ev, history, iterations, [failed], None
            )
        notes = [
            f"{why}the solve started from {note}, where the collocation equations hold at the "
            f"nodes (sum of squares {found.history[-1]:.1e}): the residual off them is the "
            f"degree's truncation"
        ]
        return Attempt(
            found.system,
            found.theta,
            found.ev,
            history,
            iterations,
            notes,
            None,
            reached=True,
            coarse=True,
        )

    return attempt


def _held(found: Attempt, done: list[Attempt], settings) -> bool:
    """Whether the chain ended at a root of its equations at the nodes: within `residual_tol`
    there (`Attempt.held`), or its sum of squares FELL times the one it started from, for
    equations whose own scale leaves more at rounding (di_tella: from about 1e2 to 9.2e-13).
    Not a stall: a Levenberg-Marquardt solve also ends where no step decreases the sum, as a
    new user's Haddad model did at its constant start (2.0 to 2.0)."""
    return found.held(settings) or found.history[-1] <= FELL * done[0].history[0]


def _note(degrees: list[int], failed: bool) -> str:
    head = f"a solve at degree {degrees[0]} with the positive unknowns as logarithms"
    if len(degrees) == 1:
        return head + " did not converge"
    carried = " → ".join(str(d) for d in degrees[1:])
    if failed:
        return (
            f"{head}, carried up by degrees ({carried}), did not converge at degree {degrees[-1]}"
        )
    return f"{head}, carried up by degrees ({carried})"
