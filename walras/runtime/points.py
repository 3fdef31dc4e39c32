"""The points `Solution.evaluate` accepts, checked and put in the shape the compiled functions take.

Accepted: an (n, states) array; for a model of one state a 1-D array of n points (or a number);
for several states a 1-D array of one value per state (one point); a mapping state -> 1-D array
(a grid, taken in the model's order of states whatever the mapping's order); a pandas DataFrame
with one column per state (one row per point, columns in any order). Anything else is a
coded error that says the shape expected and the model's states. Points outside the declared
domain are found here too (`outside`): what the solution says there is extrapolation.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..grammar.diagnostics import Diagnostic, EconError, did_you_mean
from .domain import Domain

SHAPES = "pass an (n, states) array, a mapping state -> 1-D array, or with one state a 1-D array"


@dataclass(frozen=True)
class Points:
    """Points to evaluate at: `x` (n, states), and how to label the results (dims, shape,
    coordinates: `point` for scattered points, one dimension per state for a grid)."""

    x: np.ndarray
    dims: list[str]
    shape: list[int]
    coords: dict


class ExtrapolationWarning(UserWarning):
    """Points outside the domain the model was solved on: what the solution says there is
    extrapolation."""


def _domains(states: Sequence) -> str:
    return ", ".join(f"{s.name} in [{s.lo:.6g}, {s.hi:.6g}]" for s in states) or "none"


def _fail(code: str, message: str, states: Sequence, hint: str | None = None):
    note = f"the model's states, in order: {_domains(states)}"
    raise EconError([Diagnostic(code, message, None, hint, (note,))])


def _numbers(values, what: str, states: Sequence) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        _fail("E155", f"{what} are not numbers", states, SHAPES)
    bad = ~np.isfinite(out)
    if bad.any():
        _fail(
            "E156",
            f"{what} hold {int(bad.sum())} value{'s' if bad.sum() > 1 else ''} that "
            f"{'are' if bad.sum() > 1 else 'is'} not finite (NaN or infinite)",
            states,
            "drop those points before evaluating",
        )
    return out


def _by_name(keys: list, states: Sequence) -> list[str]:
    """The state names, after checking that `keys` name each state once and nothing else."""
    names = [s.name for s in states]
    unknown = [str(k) for k in keys if k not in names]
    missing = [n for n in names if n not in keys]
    if unknown or missing:
        parts = [f"'{k}' is not a state" for k in unknown]
        parts += [f"no values for state '{n}'" for n in missing]
        hint = next((h for k in unknown if (h := did_you_mean(k, names))), None)
        _fail("E157", "; ".join(parts), states, hint or "give the values of each state once")
    return names


def grid(points: Mapping, states: Sequence) -> Points:
    """A mapping state -> values: the grid of every combination, in the model's state order."""
    names = _by_name(list(points), states)
    axes = {}
    for n in names:
        values = _numbers(points[n], f"the values of '{n}'", states)
        if values.ndim > 1 or values.size == 0:
            _fail("E155", f"the values of '{n}' have shape {values.shape}", states, SHAPES)
        axes[n] = np.atleast_1d(values)
    return Points(mesh(axes), list(axes), [len(v) for v in axes.values()], axes)


def mesh(axes: Mapping[str, np.ndarray]) -> np.ndarray:
    """Every combination of the values along each axis, one row per point; one empty point
    without axes."""
    if not axes:
        return np.zeros((1, 0))
    grids = np.meshgrid(*axes.values(), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=-1)


def scattered(points, states: Sequence) -> Points:
    """An array of points: (n, states); (n,) with one state; (states,) for one point."""
    d = len(states)
    x = _numbers(points, "the points", states)
    if x.ndim == 0 and d == 1:
        x = x.reshape(1, 1)
    elif x.ndim == 1 and d == 1:
        x = x[:, None]
    elif x.ndim == 1 and len(x) == d:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != d or x.shape[0] == 0:
        _fail(
            "E155",
            f"points of shape {x.shape} for a model of {d} state{'s' if d != 1 else ''}: "
            f"expected (n, {d})" + (" or (n,)" if d == 1 else f" or ({d},) for one point"),
            states,
            SHAPES,
        )
    coords = {s.name: ("point", x[:, i]) for i, s in enumerate(states)}
    return Points(x, ["point"] if d else [], [x.shape[0]] if d else [], coords)


def parse(points, states: Sequence) -> Points:
    """Points in any accepted form (see the module docstring); E155-E157 for the rest."""
    if isinstance(points, Mapping):
        return grid(points, states)
    if hasattr(points, "columns"):  # a table (pandas): one row per point, columns by state
        return scattered(points[_by_name(list(points.columns), states)], states)
    return scattered(points, states)


def outside(x: np.ndarray, states: Sequence, simplices=()) -> np.ndarray:
    """Which rows of `x` lie outside the declared domain of the states (edges included), the
    states of each simplex (tuples of indices) summing to at most one."""
    if not len(states):
        return np.zeros(len(x), bool)
    lo = np.array([s.lo for s in states], float)
    hi = np.array([s.hi for s in states], float)
    return ~Domain(lo, hi, tuple(simplices)).inside(x)


def warn_outside(x: np.ndarray, states: Sequence, simplices=(), stacklevel: int = 3) -> None:
    """Warn (W155) with how many points lie outside and, per state, the values beyond its edges
    (per simplex, how far its states' sum exceeds one)."""
    parts = []
    for i, s in enumerate(states):
        beyond = x[(x[:, i] < s.lo) | (x[:, i] > s.hi), i]
        if beyond.size:
            parts.append(
                f"{s.name} from {beyond.min():.6g} to {beyond.max():.6g} "
                f"(domain [{s.lo:.6g}, {s.hi:.6g}])"
            )
    for group in simplices:
        total = x[:, list(group)].sum(axis=1)
        if (total > 1 + 1e-12).any():
            names = " + ".join(states[i].name for i in group)
            parts.append(f"{names} up to {total.max():.6g} (at most 1: a simplex)")
    n, total = int(outside(x, states, simplices).sum()), len(x)
    message = f"{n} of {total} point{'s' if total != 1 else ''} outside the domain: " + "; ".join(
        parts
    )
    hint = "the values there are NaN; evaluate(points, extrapolate=True) gives the extrapolation"
    text = Diagnostic("W155", message, None, hint).render()
    warnings.warn(text, ExtrapolationWarning, stacklevel=stacklevel)


def below_cuts(x: np.ndarray, states: Sequence, cuts: Mapping[str, float]) -> np.ndarray:
    """Which rows of `x` lie below the cut of a state whose zero edge a solver cut (`cuts`:
    state -> where its results start)."""
    below = np.zeros(len(x), bool)
    for i, s in enumerate(states):
        if s.name in cuts:
            below |= x[:, i] < cuts[s.name]
    return below


def warn_below_cuts(x: np.ndarray, states: Sequence, cuts: Mapping[str, float]) -> None:
    """Warn (W184) that points lie below a cut edge, with the range of each state there."""
    parts = []
    for i, s in enumerate(states):
        if s.name in cuts and (x[:, i] < cuts[s.name]).any():
            low = x[x[:, i] < cuts[s.name], i]
            parts.append(
                f"{s.name} from {low.min():.6g} to {low.max():.6g} (results from "
                f"{cuts[s.name]:.6g})"
            )
    n = len(x)
    message = (
        f"{n} point{'s' if n != 1 else ''} below the cut edge where the solution starts: "
        + "; ".join(parts)
    )
    hint = (
        "the solver solved and measured its error above the cut only, so the values there are "
        "NaN; evaluate(points, extrapolate=True) gives the expansions' power-law continuation, "
        "whose error nothing measured"
    )
    text = Diagnostic("W184", message, None, hint).render()
    warnings.warn(text, ExtrapolationWarning, stacklevel=4)
