"""One attempt at fixed parameters: a semismooth stage that finds the active set, then the exact
stage with the cut at its switch.

In a one-state model with a complementarity the domain is cut in two pieces, each with its own
expansion of every unknown, joined by continuity (and smooth pasting for unknowns that enter to
second order). The first stage imposes the semismooth min(a, b) = 0 with the cut pinned at the
middle; it shows where the variable sits at its bound. When the active set switches once, the cut
moves there and becomes an unknown (where that stalls, `free_boundary` finds the cut of least
residual near the switch and the solve starts again from it), and on each side the binding part
of the complementarity is imposed as an equation: the free boundary is then located to the
accuracy of the expansions."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import numpy as np

from ..least_squares import levenberg_marquardt
from ..start import Guess, fields_guess, start_guess
from . import active_set, coarse_start, free_boundary
from .evidence import active_runs, evidence
from .first_solve import leave_start, several
from .free_boundary import PIN
from .start_values import constant_guess, interpolated
from .systems import Attempt, Systems


def attempt(
    systems: Systems,
    settings,
    params: Mapping[str, float],
    guess: Mapping[str, Callable] | Guess | None,
    first: bool = False,
) -> Attempt:
    """The semismooth solve with the cut pinned at the middle, then (one state, complementarity)
    the exact solve: the cut at the switch of the active set (at the starting solution's cut
    where it has one nearby: `active_set.switch`), or kept when there is none; a free
    cut that stalls off its place is located by variable projection and solved again. Where the
    attempt starts from a two-piece solution, the exact solve runs at once on the active set
    read off that start (`active_set.from_known`), and the two stages only when it fails. A `first`
    attempt (from the walk's start, not from a solution) of a model without a complementarity
    walks in pseudo-time first as the setting `start` says (`first_solve`)."""
    problem = systems.problem
    p = {k: jax.device_put(np.float64(v)) for k, v in params.items()}
    known = active_set.cut_of(guess)
    guess = start_guess(problem, params, guess, constant_guess(problem, params))
    comps = problem.complementarities
    pieces = 2 if comps and len(problem.states) == 1 else 1
    system = systems.get(systems.degree(settings.degree), pieces, settings.edge)
    plan = system.plan({c: "min" for c in comps}, pin=PIN, tau=system.tau(None))
    history: list[float] = []
    notes: list[str] = []

    def solved(theta, plan, ftol, iterations=None, watch=None):
        result = levenberg_marquardt(
            system.residual,
            theta,
            jacobian=system.jacobian,
            args=(p, plan),
            iterations=settings.iterations if iterations is None else iterations,
            ftol=ftol,
            callback=watch,
            should_stop=watch.stop if watch else lambda: False,
            export=system.key,
            parts=system.parts,
            gauss_newton=system.pieces == 1,
        )
        history.extend(2 * h for h in result.history)
        return result, evidence(system, result.theta, p, settings.margin)

    if first and pieces == 1 and settings.start != "direct":
        coarse = (
            coarse_start.after_direct(systems, settings, params, guess, attempt)
            if several(problem)
            else None
        )
        return leave_start(
            system, settings, p, plan, interpolated(system, guess), solved, history, coarse
        )
    spent = 0  # iterations of an exact solve from the start that did not hold (`from_known`)
    if pieces > 1 and known is not None:
        tried = active_set.from_known(system, settings, p, comps, guess, known, solved)
        if tried is not None:
            result, ev = tried
            if ev.total <= settings.residual_tol or result.interrupted:
                cut, reached = system.cut(result.theta), result.converged
                return Attempt(
                    system,
                    result.theta,
                    ev,
                    history,
                    result.iterations,
                    notes,
                    cut,
                    reached=reached,
                )
            spent = result.iterations
    # with two pieces, the first solve only finds the active set
    result, ev = solved(interpolated(system, guess), plan, 1e-3 if pieces > 1 else 1e-14)
    iterations, free = spent + result.iterations, False
    runs = active_runs(ev, system.hi[0] - system.lo[0]) if pieces > 1 else []
    if len(runs) > 2:
        notes.append(
            f"the active set switches {len(runs) - 1} times; region splitting "
            f"handles one switch, so the complementarity stays semismooth"
        )
    elif runs and not result.interrupted:
        if len(runs) == 1:  # the same equations everywhere: keep the cut where it is
            plan = system.plan(active_set.modes(comps, runs[0][2]), pin=PIN, tau=system.tau(None))
            theta = result.theta
        else:  # the cut moves to the switch and is free
            modes = (active_set.modes(comps, runs[0][2]), active_set.modes(comps, runs[1][2]))
            switch, free = active_set.switch(runs, known, system.hi[0] - system.lo[0]), True
            plan = system.plan(*modes)
            start = guess if switch == known else fields_guess(system.fields(result.theta))
            theta = interpolated(system, start, switch)
        result, ev = solved(theta, plan, 1e-14)
        iterations += result.iterations
        if free and ev.total > settings.residual_tol and not result.interrupted:
            theta, _ = free_boundary.locate(system, result.theta, p, modes, switch)
            result, ev = solved(theta, plan, 1e-14)
            iterations += result.iterations
    theta = result.theta
    cut = system.cut(theta) if free else None
    return Attempt(system, theta, ev, history, iterations, notes, cut, reached=result.converged)
