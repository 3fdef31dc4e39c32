"""After a solve: the drift of each state along which an unknown is differentiated must not
point out of the domain at an edge where the model gives no condition (the dynamic twin of the
static check W170, for drifts that depend on the unknowns). Where it does, the equations hold on
a branch whose paths leave the domain (the growth model's saving branch at the upper edge of
capital), so the solve is not converged. At a state constraint the drift is taken with the face's
clipped control, which keeps it inward by construction."""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np

from .. import cache

OUTWARD = 1e-3  # of the largest |drift| on the domain: an edge drift beyond it points outward
STILL = 1e-12  # of the state's range per unit of time: a drift below it is rounding (two log
# agents with equal discount rates: η's drift is 0 everywhere and came out 7.7e-34 at an edge)
SAMPLES = 5  # points per continuous state along an edge
POINTS = 625  # at most: beyond, scattered points of that grid


def leaving(solution):
    """`solution`, reported as not converged where a drift points out of the domain at an edge
    without a condition; a solve that did not converge says so too, as a likely cause (the
    equations near such an edge depend on what lies beyond it)."""
    from .base import Outcome

    compiled = solution.compiled
    model = compiled.model
    if solution.outcome not in (Outcome.CONVERGED, Outcome.NOT_CONVERGED):
        return solution
    if not compiled.states:
        return solution
    found = _outward(solution, model)
    if not found:
        return solution
    advice = "(give a boundary condition at that edge, or widen the domain)"
    where = "; ".join(found)
    if not solution.converged:
        note = f"{where}: with no condition there the equations near that edge depend on what "
        note += f"lies beyond it {advice}"
        return dataclasses.replace(solution, message=f"{solution.message}; {note}")
    message = (
        f"{Outcome.NOT_CONVERGED.message}: {where}; with no condition there the equations hold "
        f"on a branch whose paths leave the domain {advice} ({solution.message})"
    )
    return dataclasses.replace(solution, outcome=Outcome.NOT_CONVERGED, message=message)


def _outward(solution, model) -> list[str]:
    checked = set(solution.compiled.outline.along)
    states = {s.name: s for s in model.states}
    names = list(solution.compiled.states)
    on_simplex = {n for group in model.simplices for n in group}
    edges = [
        i
        for i, name in enumerate(names)
        if name in checked
        and not states[name].discrete
        and name not in on_simplex
        and name not in model.parametric
    ]
    if not edges:  # nothing to check (every continuous state on a simplex, or checked)
        return []
    rng = np.random.default_rng(0)
    axes = [
        np.array(states[n].values, float)
        if states[n].discrete
        else np.linspace(states[n].lo, states[n].hi, SAMPLES + 2)[1:-1]
        for n in names
    ]
    if math.prod(len(a) for a in axes) <= POINTS:
        grid = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=-1)
    else:  # many states: scattered points of the grid (it grows exponentially)
        grid = np.stack([rng.choice(a, POINTS) for a in axes], axis=-1)
    for group in model.simplices:  # points of the simplex only
        shares = [names.index(n) for n in group]
        inside = grid[:, shares].sum(axis=1) <= 1
        if inside.any():
            grid = grid[inside]
        else:  # seven shares or more: no point of the grid is on it; drawn on it instead,
            # every share at least a tenth of an equal one (off the faces, as the grid is)
            floor = max(max(states[n].lo for n in group), 0.1 / (len(group) + 1))
            d = rng.dirichlet(np.ones(len(group) + 1), len(grid))
            grid[:, shares] = (floor + (1 - d.shape[1] * floor) * d)[:, :-1]
    params = {k: jax.device_put(np.float64(v)) for k, v in solution.params.items()}
    drift = _drift(solution, params, grid)  # not finite somewhere in a solve that failed
    scale = np.max(np.where(np.isfinite(drift), np.abs(drift), 0.0), axis=0)
    found = []
    for i in edges:
        name, state = names[i], states[names[i]]
        for upper, edge in ((False, state.lo), (True, state.hi)):
            held = [b for b in model.boundaries if b.state == name and math.isclose(b.at, edge)]
            if held and held[0].constraint is None:
                continue
            at = grid.copy()
            at[:, i] = edge
            face = held[0].name if held else None  # a state constraint's control
            out = _drift(solution, params, at, face)[:, i] * (1 if upper else -1)
            worst = np.nanmax(out) if np.isfinite(out).any() else -np.inf
            if worst > max(OUTWARD * scale[i], STILL * (state.hi - state.lo)):
                found.append(
                    f"the drift of {name} points out of the domain at its "
                    f"{'upper' if upper else 'lower'} edge {name} = {edge:g} ({worst:.2g})"
                )
    return found


def _drift(solution, params, x: np.ndarray, face: str | None = None) -> np.ndarray:
    """The drift of the states at points x (with the steps of boundary `face`, a state
    constraint's clipped control), as one compiled function (not an operation at a time, each
    compiled on its own; exported where it can be: `cache.call`)."""
    compiled = solution.compiled

    def drift(fields, p, x):
        steps = None
        if face is not None:
            steps = next(b.steps for b in compiled.system.boundaries if b.name == face)
        return compiled.dynamics(fields, p, x, steps)[0]

    key = compiled.key and f"{compiled.key} drift {face}"
    return np.asarray(cache.call(drift, key, solution.fields, params, jax.device_put(x)))
