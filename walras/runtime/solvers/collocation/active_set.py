"""The active set of a one-state complementarity solved in two pieces: where the cut between
them starts, which part binds on each side (`modes`), and the exact stage at once where an
attempt starts from a two-piece solution (`from_known`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .evidence import active_runs, evidence
from .free_boundary import SPAN
from .pieces import Piecewise
from .start_values import interpolated


def from_known(system, settings, params, comps, guess, known: float, solved):
    """The exact stage at once, where the attempt starts from a two-piece solution cut at
    `known`: the active set read off that start (its two runs, the switch at `known`, as the
    first stage would place it: `switch`) instead of found by the semismooth solve; its result
    and evidence, or None where the start does not show that active set. The start and the
    equations are those the first stage leads to when it finds the same active set, so the
    solution is too; the attempt keeps it where the equations hold off the nodes."""
    width = system.hi[0] - system.lo[0]
    start = evidence(system, interpolated(system, guess), params, settings.margin)
    runs = active_runs(start, width)
    if len(runs) != 2 or switch(runs, known, width) != known:
        return None
    plan = system.plan(modes(comps, runs[0][2]), modes(comps, runs[1][2]))
    return solved(interpolated(system, guess, known), plan, 1e-14)


def cut_of(guess) -> float | None:
    """The cut of a two-piece solution given as the start (its fields), where it is one."""
    if isinstance(guess, Mapping):
        for field in guess.values():
            if isinstance(field, Piecewise):
                return float(field.at)
    return None


def switch(runs: list, known: float | None, width: float) -> float:
    """Where the cut starts between the first stage's two runs of the active set: at the cut of
    the solution the attempt started from (a step of the edge path, the estimate's solve at
    another degree), which its expansions already fit, where that lies within the span that
    `free_boundary` would search (SPAN of the domain's `width` from the gap between the runs;
    the first stage, its cut pinned in the middle, places the switch a few evidence points
    off); else in the gap's middle."""
    middle = 0.5 * (runs[0][1] + runs[1][0])
    if known is not None and abs(known - middle) <= SPAN * width:
        return known
    return middle


def modes(comps: Sequence[str], binds: tuple) -> dict[str, str]:
    return {c: ("b" if bind else "a") for c, bind in zip(comps, binds)}
