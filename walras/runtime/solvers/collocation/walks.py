"""Walks to the model's parameters: the attempts along the homotopy and the edge path, the retry
with zero edges cut when the whole domain fails, the walk from the model's easier parameters, and
what tries again from a solution."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ... import interrupt
from ..base import Options
from ..continuation import edge_path, homotopy_path, homotopy_start
from . import crowd, cut_edge, estimate, homotopy, stages, start_check
from .start_values import constant_guess
from .systems import Attempt, Systems

EDGE = 1e-6  # where zero edges are cut when the whole domain fails: what the cut changes leaks
# into the interior like a power of it (about edge^1.2 in basak_cuoco), and the expansions are
# in log x there, so a low cut costs a few degrees and keeps the leak far below tol_error
NEAR = 1e3  # a failed solve whose residual sup-norm is within this many `residual_tol` is near a
# solution (the degree's truncation, say): the next try, at a higher degree or with the nodes
# crowded, starts from it by Newton rather than along the walk again


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


def walk_or_cut(systems: Systems, settings, params, options: Options) -> tuple[Walk, object]:
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
        again = retry(systems, settings, params, options, walk)
        crowded = crowd.towards_edge(systems, walk, again, settings)
        kept = crowded is not walk and not systems.problem.cuttable
        if crowded.attempt.converged(settings) or kept:
            return crowded, settings
        systems.anchors, walk.crowded = (), True
    if failed and systems.problem.cuttable:
        return _cut_edges(systems, settings, params, options, walk)
    return walk, settings


def from_easier(systems: Systems, settings, params, options: Options, walk: Walk, easier):
    """The walk again along a homotopy from the model's easier parameter values; kept when it
    converges or ends with smaller residuals."""
    start = ", ".join(f"{k}={v:g}" for k, v in easier.items())
    again, tried = walk_or_cut(systems, settings.replace(homotopy=start), params, options)
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


def retry(systems: Systems, settings, params, options: Options, walk: Walk | None):
    """What tries again with `settings` (a higher degree, `systems.anchors` set): one solve from
    `walk`'s solution where it is `NEAR` one, else the walk from the start."""
    attempt = walk.attempt if walk is not None else None
    if attempt is None or not attempt.ev.total < NEAR * settings.residual_tol:
        return lambda: _walk(systems, settings, params, options.guess)

    def from_solution() -> Walk:
        one = stages.attempt(systems, settings, params, attempt.system.fields(attempt.theta))
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
        attempt = stages.attempt(systems, settings.replace(edge=edge), step, guess, first)
        if first and attempt.history and not np.isfinite(attempt.history[0]):
            otherwise = constant_guess(systems.problem, step)
            attempt.notes.insert(
                0, start_check.note(attempt.system, step, guess, otherwise, settings.margin)
            )
        history += attempt.history
        iterations += attempt.iterations
        if kept is not None and _falling(attempt, settings):  # a cut move from a converged
            # solution that ran out of iterations on its way: it continues once from there
            attempt = stages.attempt(systems, settings.replace(edge=edge), step, attempt.fields)
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
