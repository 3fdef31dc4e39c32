"""Crowding the nodes towards an edge. When a solve fails with coefficients that have not decayed
and its residuals peak close to an edge of a wide state range (Campbell-Cochrane's log surplus
ratio on [−300, s_max], all of the curvature within a unit of s_max), the affine map of the range
onto [−1, 1] leaves a handful of nodes where the solution bends. The solve is repeated with that
axis mapped affinely in log|x − anchor|, the anchor beyond the edge at a quarter of the distance
from the edge to the residuals' peak: the nodes then crowd geometrically towards the edge, as
finite-difference grids of such models are stretched by hand (Boyd, *Chebyshev and Fourier
Spectral Methods*, ch. 16, maps for boundary layers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ... import interrupt
from . import report, root
from .chebyshev import Anchor

NEAR = 0.01  # residual peaks within this share of a state's range from an edge are "at" it
OFFSET = 0.25  # the anchor's distance beyond the edge, as a share of the peak's distance


def anchor_for(attempt) -> tuple[int, Anchor] | None:
    """The axis and anchor that crowd the nodes towards the edge where the residuals of a failed
    attempt peak (None: they peak away from every edge, or the coefficients have decayed)."""
    system, ev = attempt.system, attempt.ev
    tail = max(report.tails(system, attempt.theta).values(), default=0.0)
    if not np.isfinite(ev.total) or tail <= report.DECAYED:
        return None
    where = np.asarray(ev.where[ev.worst], float)
    in_simplex = {i for group in system.simplices for i in group}
    # a boundary condition's residual lies on its face: no peak next to that edge
    face = {b.name: b.state for b in system.problem.boundaries}.get(ev.worst)
    best = None
    for i, (lo, hi) in enumerate(zip(system.lo, system.hi)):
        mapped = system.log[i] or root.is_root(system.maps[i])
        on_face = system.compiled.states[i] == face
        if system.values[i] is not None or mapped or on_face or i in in_simplex or i >= where.size:
            continue
        width = hi - lo
        for edge, side in ((lo, -1.0), (hi, 1.0)):
            gap = abs(where[i] - edge)
            if gap < NEAR * width and (best is None or gap / width < best[0]):
                best = (gap / width, i, edge + side * max(OFFSET * gap, 1e-9 * width))
    return None if best is None else (best[1], Anchor(float(best[2])))


def towards_edge(systems, walk, again: Callable, settings):
    """The solve again with the nodes crowded towards the edge where the residuals of the failed
    `walk` (on the whole domain: no cut edge) peak (`again()` repeats the walk, or solves from
    its solution where it is near one, with `systems.anchors` set); kept when it converges or
    ends with smaller residuals."""
    attempt = walk.attempt
    tried = systems.anchors or walk.edge or walk.crowded
    if attempt.converged(settings) or interrupt.requested() or tried:
        return walk
    found = anchor_for(attempt)
    if found is None:
        return walk
    systems.anchors = (found,)
    crowded = again()
    if crowded.attempt.converged(settings) or crowded.attempt.ev.total < attempt.ev.total:
        i, anchor = found
        name = systems.problem.states[i].name
        crowded.notes.insert(
            0,
            f"the residuals peaked near an edge of {name} (residual sup-norm "
            f"{attempt.ev.total:.1e}), so the nodes crowd towards it (the expansions are in "
            f"{log_formula(name, anchor.at)})",
        )
        crowded.history[:0] = walk.history
        crowded.iterations += walk.iterations
        return crowded
    systems.anchors = ()
    walk.notes.append(
        f"crowding the nodes towards an edge did not help ({crowded.attempt.ev.total:.1e})"
    )
    return walk


def log_formula(name: str, at: float) -> str:
    """log|x − at| with the anchor's value written in, so that no state's name can clash."""
    if at == 0:
        return f"log|{name}|"
    return f"log|{name} {'−' if at > 0 else '+'} {abs(at):.4g}|"
