"""The collocation solve: attempts at fixed parameters (a semismooth stage that finds the active
set, then the exact stage with the cut at its switch), walked along the homotopy and the edge path
(`continuation`), and the retry with zero edges cut when the whole domain fails.

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
from dataclasses import dataclass, field, replace

import jax
import numpy as np

from ... import interrupt
from ...progress import Progress
from ..base import Options, Problem, Solver
from ..continuation import edge_path, homotopy_path, homotopy_start
from ..least_squares import levenberg_marquardt
from ..start import Guess, fields_guess, start_guess
from . import (
    active_set,
    coarse_start,
    crowd,
    cut_edge,
    estimate,
    free_boundary,
    homotopy,
    report,
    start_check,
)
from .evidence import active_runs, evidence
from .first_solve import leave_start, several
from .free_boundary import PIN
from .start_values import interpolated
from .systems import Attempt, Systems

EDGE = 1e-6  # where zero edges are cut when the whole domain fails: what the cut changes leaks
# into the interior like a power of it (about edge^1.2 in basak_cuoco), and the expansions are
# in log x there, so a low cut costs a few degrees and keeps the leak far below tol_error
MISSES = 2  # raises of the degree in a row that did not help, after which the raises end
# (brusan_log at σ = 0.05 fails at degrees 32 and 48 and converges at 72)
ROUNDING = 1e-13  # solves that agree to rounding still differ by this much (relative): the
# noise below which a cut's changes are not evidence (leland at σ = 0.2: changes of 4e-15 to
# 7e-14 on E ≤ 8.3 whose ratio per decade was noise, so the cut's error came out infinite)
NEAR = 1e3  # a failed solve whose residual sup-norm is within this many `residual_tol` is near a
# solution (the degree's truncation, say): the next try, at a higher degree or with the nodes
# crowded, starts from it by Newton rather than along the walk again
START_COEFFICIENTS = 400  # per unknown: with several states, the solve starts at a degree whose
# expansions have at most this many coefficients (a dense Jacobian of a few thousand columns),
# and the degree rises by itself (`_raise_degree`, `estimate.refine`) while the solve needs it


@dataclass
class Walk:
    """The last attempt of a walk, with the residual history and iterations of all of them."""

    attempt: Attempt
    history: list[float]
    iterations: int
    edge: float = 0.0  # where its zero edges are cut (0: not cut)
    notes: list[str] = field(default_factory=list)  # how the solver found its way
    settled: bool = False  # the cut stopped where the error it leaves is small enough (within
    # CUT_SHARE of tol_error on its way down, within tol_error where a move down failed)
    crowded: bool = False  # crowding the nodes towards an edge was tried on it
    short: bool = False  # an attempt at the model's parameters fell short of its degree, not
    # of its start (`Attempt.short`)


class CollocationSolver(Solver):
    """Chebyshev collocation. `options.guess`: a previous solution's `fields` (continuation), or
    a function (unknown, points of its states) -> values; by default the model's `guess`
    statements, and a constant inside each unknown's bounds for unknowns without one. When the
    expansions fail on the whole domain and a state's range starts at 0 (where, say, a
    consumption-wealth ratio diverges like a power), the solve is repeated with that edge cut at
    `EDGE` (the setting `edge` chooses the cut from the start)."""

    def solve(self, problem: Problem, settings, options: Options):
        with interrupt.catching(), Progress(None, options.quiet, "collocation").active():
            return self._solve(problem, settings, options)

    def _solve(self, problem: Problem, settings, options: Options):
        """The walk, the retry with zero edges cut, the retry with the nodes crowded towards an
        edge (`crowd`), the walk from the model's easier parameters and higher degrees (these
        first where the walk's degree fell short, `Walk.short`), the edge change and the error
        estimate; Ctrl-C (`interrupt`) stops each between
        Levenberg-Marquardt iterations, and the solution is what was reached."""
        systems = Systems(problem, settings.basis, settings.positive == "log")
        params, given = problem.params, settings.edge
        settings = settings.replace(
            degree=systems.degree(settings.degree, budget=START_COEFFICIENTS)
        )
        walk, settings = _walk_or_cut(systems, settings, params, options)
        if not walk.attempt.coarse:
            again = _again(systems, settings, params, options, walk)
            walk = crowd.towards_edge(systems, walk, again, settings)
        easier = problem.compiled.model.easier
        done = walk.attempt.solved(settings) or interrupt.requested()
        if not (done or settings.homotopy) and easier:
            if walk.short:  # higher degrees first: the walk from easier parameters would
                # end where this one did
                target = _target(walk, given)
                walk, settings = _raise_degree(systems, settings, params, options, walk, target)
                done = walk.attempt.solved(settings) or interrupt.requested()
            if not done:
                walk, settings = _from_easier(systems, settings, params, options, walk, easier)
        walk, settings = _raise_degree(
            systems, settings, params, options, walk, _target(walk, given)
        )
        settings = settings.replace(edge=walk.edge)  # where the cut ended, not where it was asked
        attempt = walk.attempt
        attempt.notes[:0] = walk.notes
        change, errors, cuts, described = {}, {}, None, {}
        solve = lambda s, guess: _attempt(systems, s, params, guess)  # noqa: E731
        if attempt.solved(settings) and not interrupt.requested():
            attempt, settings, errors, described = estimate.refine(solve, settings, attempt, params)
        if errors and any(attempt.system.log) and not interrupt.requested():
            unknowns = {u: e for u, e in errors.items() if u in attempt.system.args}
            size = {u: estimate.size(attempt, u) for u in unknowns}
            # two solves, each within its own error of the truth, differ by up to twice it
            noise = {u: 2 * max(e, ROUNDING) * size[u] for u, e in unknowns.items()}
            budget = {u: (settings.tol_error - e) * size[u] for u, e in unknowns.items()}
            change, reach, sizes, cuts = cut_edge.cut_reach(solve, settings, attempt, noise, budget)
            for u, v in reach.items():  # what the cut leaves adds to the truncation error
                errors[u] += v / max(estimate.size(attempt, u), sizes[u])
        solution = report.solution(
            attempt,
            params,
            settings,
            walk.history,
            walk.iterations,
            change,
            errors,
            cuts,
            interrupt.requested(),
        )
        solution.derived_errors = described
        return solution


def _target(walk: Walk, given: float) -> float:
    """Where the cut should reach: where the walk settled it, else the cut asked for, else
    `EDGE` where edges are cut."""
    return walk.edge if walk.settled else given or (EDGE if walk.edge else 0.0)


def _walk_or_cut(systems: Systems, settings, params, options: Options) -> tuple[Walk, object]:
    """The walk on the whole domain, then, when it fails and a state's range starts at 0, with
    zero edges cut. A failed walk that started in pseudo-time is first repeated with the nodes
    crowded towards the edge where its residuals peak (`crowd`): what the finite-horizon
    economy reaches is bounded there, and a cut would leave a power law below it. The crowded
    walk is kept where it converges, or, with no edge to cut, where it ends with smaller
    residuals (as `crowd.towards_edge` keeps it after a direct solve)."""
    walk = _walk(systems, settings, params, options.guess)
    if walk.attempt.coarse:  # the degree's truncation: no cut or crowding applies
        return walk, settings
    failed = not (walk.attempt.converged(settings) or settings.edge or interrupt.requested())
    if failed and walk.attempt.walked and not systems.anchors:
        again = _again(systems, settings, params, options, walk)
        crowded = crowd.towards_edge(systems, walk, again, settings)
        kept = crowded is not walk and not systems.problem.cuttable
        if crowded.attempt.converged(settings) or kept:
            return crowded, settings
        systems.anchors, walk.crowded = (), True
    if failed and systems.problem.cuttable:
        return _cut_edges(systems, settings, params, options, walk)
    return walk, settings


def _from_easier(systems: Systems, settings, params, options: Options, walk: Walk, easier):
    """The walk again along a homotopy from the model's easier parameter values; kept when it
    converges or ends with smaller residuals."""
    start = ", ".join(f"{k}={v:g}" for k, v in easier.items())
    again, tried = _walk_or_cut(systems, settings.replace(homotopy=start), params, options)
    history, iterations = walk.history + again.history, walk.iterations + again.iterations
    before = walk.attempt
    if again.attempt.converged(tried) or again.attempt.ev.total < before.ev.total:
        note = (
            f"the direct solve did not converge (residual sup-norm {before.ev.total:.1e}), so "
            f"the solve walked from {start}"
        )
        notes = [note, *again.notes]
        return Walk(again.attempt, history, iterations, again.edge, notes, again.settled), tried
    note = f"a walk from {start} did not help either"
    return Walk(before, history, iterations, walk.edge, [*walk.notes, note]), settings


def _raise_degree(systems: Systems, settings, params, options: Options, walk: Walk, target):
    """Higher degrees (by half at a time, to the cap) while the solve has not converged (its
    residuals finite, its coefficients not decayed) or its cut could not move down to `target`
    (and the cuts it reached do not show it leaves less than `tol_error`, `Walk.settled`):
    from the last solution when its residuals are small, else along the walk (homotopy and cut)
    again; the best solve so far is kept, and the raises end after `MISSES` in a row that did
    not improve on it."""
    degree, misses = walk.attempt.system.degree, 0
    while not interrupt.requested():
        attempt = walk.attempt
        stalled = walk.edge > target and not walk.settled
        if attempt.solved(settings) and not stalled:
            break
        higher = systems.degree(degree + max(2, degree // 2), "up")
        decayed = attempt.decayed and not stalled
        attempt.exhausted = higher == degree
        if attempt.exhausted or not np.isfinite(attempt.ev.total) or decayed:
            break
        raised = settings.replace(degree=higher, edge=target)
        again = _again(systems, raised, params, options, None if stalled else walk)()
        if stalled:
            better = again.attempt.converged(raised) and again.edge < walk.edge
        else:
            better = again.attempt.ev.total < attempt.ev.total
        degree = higher
        if not better:  # a fresh walk may fail at one degree and succeed at the next
            walk.notes.append(f"degree {higher} did not help")
            misses += 1
            if misses == MISSES:
                attempt.exhausted = True
                break
            continue
        misses = 0
        notes = [*walk.notes, f"raised the degree from {attempt.system.degree} to {higher}"]
        history = walk.history + again.history
        iterations = walk.iterations + again.iterations
        walk = Walk(again.attempt, history, iterations, again.edge, notes, again.settled)
        settings = raised.replace(edge=again.edge)
    return walk, settings


def _again(systems: Systems, settings, params, options: Options, walk: Walk | None):
    """What tries again with `settings` (a higher degree, `systems.anchors` set): one solve from
    `walk`'s solution where it is `NEAR` one, else the walk from the start."""
    attempt = walk.attempt if walk is not None else None
    if attempt is None or not attempt.ev.total < NEAR * settings.residual_tol:
        return lambda: _walk(systems, settings, params, options.guess)

    def from_solution() -> Walk:
        one = _attempt(systems, settings, params, attempt.system.fields(attempt.theta))
        return Walk(one, one.history, one.iterations, settings.edge)

    return from_solution


def _cut_edges(systems: Systems, settings, params, options: Options, walk: Walk):
    """The walk again with zero edges cut at EDGE; kept when it converges or ends with smaller
    residuals than on the whole domain. Returns the walk and its settings."""
    again = _walk(systems, settings.replace(edge=EDGE), params, options.guess)
    cut = settings.replace(edge=again.edge)
    whole = walk.attempt
    history, iterations = walk.history + again.history, walk.iterations + again.iterations
    if again.attempt.converged(cut) or again.attempt.ev.total < whole.ev.total:
        note = (
            f"on the whole domain the expansions did not converge (residual sup-norm "
            f"{whole.ev.total:.1e}), so zero edges are cut"
        )
        return replace(again, history=history, iterations=iterations, notes=[note]), cut
    note = (
        f"cutting the zero edges at {EDGE:g} did not help (residual sup-norm "
        f"{again.attempt.ev.total:.1e})"
    )
    return Walk(whole, history, iterations, walk.edge, [note]), settings


def _walk(systems: Systems, settings, params: Mapping[str, float], guess) -> Walk:
    """The attempts along the homotopy path, then (with a cut edge) along the cut moving down
    the edge path; where a lower cut fails, the last cut that converged is kept."""
    edges = edge_path(settings.edge)
    path = [(step, edges[0]) for step in homotopy_path(settings, params)]
    path += [(params, edge) for edge in edges[1:]]
    history, iterations, kept, reached, settled, short = [], 0, None, [], False, False
    walked = []  # the homotopy's steps before `params`: (step, converged, residual sup-norm)
    for step, edge in path:
        first = kept is None and not history
        attempt = _attempt(systems, settings.replace(edge=edge), step, guess, first)
        if first and attempt.history and not np.isfinite(attempt.history[0]):
            otherwise = constant_guess(systems.problem, step)
            attempt.notes.insert(
                0, start_check.note(attempt.system, step, guess, otherwise, settings.margin)
            )
        history += attempt.history
        iterations += attempt.iterations
        if kept is not None and _falling(attempt, settings):  # a cut move from a converged
            # solution that ran out of iterations on its way: it continues once from there
            attempt = _attempt(systems, settings.replace(edge=edge), step, attempt.fields)
            history += attempt.history
            iterations += attempt.iterations
        guess = attempt.fields
        if interrupt.requested():
            break
        if step is not params:
            walked.append((step, attempt.converged(settings), attempt.ev.total))
        short = short or (step is params and attempt.short(settings))
        if step is params and attempt.converged(settings):
            kept = (attempt, edge)
            reached.append(kept)
            if (
                edge
                and (step, edge) != path[-1]
                and cut_edge.settled(reached, settings, estimate.size)
            ):
                attempt.notes.append(
                    f"the cut stops at {edge:g}: the error it leaves is within "
                    f"{cut_edge.CUT_SHARE:g} tol_error"
                )
                settled = True
                break
        elif step is params and kept is not None:
            kept[0].notes.append(
                f"moving the cut edge to {edge:g} failed, so it stays at {kept[1]:g}"
            )
            attempt, edge = kept
            # where it already leaves less than tol_error, higher degrees need not move it
            settled = cut_edge.settled(reached, settings, estimate.size, share=1.0)
            break
        if not attempt.ev.ok and (step, edge) != path[-1]:
            where = [f"{k} = {v:g}" for k, v in step.items() if v != params[k]]
            attempt.notes.append(
                "the homotopy failed at " + ", ".join(where)
                if where
                else f"moving the cut edge to {edge:g} failed"
            )
            break
    if walked and not interrupt.requested():
        same = homotopy.inert(attempt.system, attempt.theta, walked[0][0], params)
        if same or not attempt.converged(settings):
            names = list(homotopy_start(settings.homotopy, params))
            attempt.notes.append(homotopy.note(settings.homotopy, names, walked, same))
    return Walk(attempt, history, iterations, edge, settled=settled, short=short)


def _falling(attempt: Attempt, settings) -> bool:
    """Not converged, but its residuals fell over the attempt."""
    history = attempt.history
    return not attempt.converged(settings) and len(history) > 1 and history[-1] < history[0]


def _attempt(
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
            coarse_start.after_direct(systems, settings, params, guess, _attempt)
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


def constant_guess(problem: Problem, params) -> Guess:
    """A constant strictly inside each unknown's bounds (and its complementarity bound)."""
    clamps = problem.compiled.clamps(params)
    values = {}
    for u in problem.unknowns:
        floor, cap = clamps.get(u.name, (None, None))
        lo = u.lo if floor is None else (floor if u.lo is None else max(u.lo, floor))
        hi = u.hi if cap is None else (cap if u.hi is None else min(u.hi, cap))
        values[u.name] = (
            (lo + hi) / 2
            if lo is not None and hi is not None
            else lo + 1.0
            if lo is not None
            else hi - 1.0
            if hi is not None
            else 1.0
        )
    return lambda u, y: np.full(len(y), values[u])
