"""The start of a collocation system: coefficients interpolating a guess on each piece, and a
constant guess for unknowns without one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..base import Problem
from ..start import Guess
from . import regimes
from .problem import TINY, System


def interpolated(system: System, guess: Callable[[str, np.ndarray], np.ndarray], cut=None):
    """θ interpolating `guess(unknown, points)` on each piece, with the cut at `cut`."""
    tree = system.unravel(np.zeros(system.size))
    if system.pieces > 1:
        tree["tau"] = np.asarray(system.tau(cut))
    lo, hi = (np.asarray(v) for v in system.boxes(tree, system.lo))
    for u in tree["coef"]:
        idx = [i for i in system.args[u] if system.values[i] is None]
        flags, positive = tuple(system.maps[i] for i in idx), u in system.positive
        value = (lambda y: np.maximum(guess(u, y), TINY)) if positive else (lambda y: guess(u, y))
        values = [system.values[system.args[u][k]] for k in system.regimes[u]]
        tree["coef"][u] = np.stack(
            [
                regimes.interpolate(
                    value,
                    lo[p, idx],
                    hi[p, idx],
                    system.n,
                    flags,
                    positive,
                    values,
                    system.regimes[u],
                    len(system.args[u]),
                    system.local[u],
                    system.sparse(u),
                )
                for p in range(system.pieces)
            ]
        )
    for u in tree["scalar"]:
        tree["scalar"][u] = np.asarray(float(np.ravel(guess(u, np.zeros((1, 0))))[0]))
    return system.flat.ravel(tree)


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
