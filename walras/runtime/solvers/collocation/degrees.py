"""Higher degrees while the solve needs them: its residuals, its coefficients' decay or its cut."""

from __future__ import annotations

import numpy as np

from ... import interrupt
from ..base import Options
from .systems import Systems
from .walks import Walk, retry

MISSES = 2  # raises of the degree in a row that did not help, after which the raises end
# (brusan_log at σ = 0.05 fails at degrees 32 and 48 and converges at 72)


def raise_degree(systems: Systems, settings, params, options: Options, walk: Walk, target):
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
        again = retry(systems, raised, params, options, None if stalled else walk)()
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
