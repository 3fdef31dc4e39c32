"""Where a positive unknown goes below a cut edge. Below its cut the expansions continue as power
laws of the state, and on the cut domain the equations may hold on a branch on which an unknown
declared `> 0` falls towards 0 like a power of the state while the economic solution stays
bounded away from 0 (`garleanu_panageas`: p_A like x^0.05 below the cut at x = 1e-6, where the
economy has p_A(0) = 13.6). Both branches are smooth on the cut domain and both hardly move when
the cut moves, so neither the change of degree nor the cut's error estimate sees the difference;
the values at the cut do. With ℓ_k the unknown's logarithm at the cut times 10^k (k = 0, 1, 2),
the fall over the first decade above the cut is d₁ = ℓ₁ − ℓ₀ and over the next d₂ = ℓ₂ − ℓ₁; a
bounded solution u₀ + c·x^β has d₁/d₂ = 10^−β, so its falls shrink decade by decade towards the
edge and sum to a small total, whereas a power law x^α falls by the same α·ln 10 every decade.
The fall below the cut is the geometric series of d₁ with the ratio r = d₁/d₂ (at most 1: a fall
that does not slow down is at least a power law), followed down to `FLOOR` of the state's range;
an unknown that loses more than half its value there tends to 0 at the edge, which its bound
forbids."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..base import Outcome
from .problem import values_at

FLOOR = 1e-300  # of the state's range: how far below the cut the fall is followed (floats end)
HALF = math.log(2.0)  # a fall below the cut beyond this (in log u) makes the unknown tend to 0
SAMPLES = 5  # points along each other continuous state
POINTS = 625  # at most, of the other states' points (beyond, scattered ones)


def refused(solution, system, theta):
    """`solution`, reported as not converged where an unknown falls towards 0 below a cut edge
    (`vanishing`)."""
    if not (solution.converged and any(system.log)):
        return solution
    found = vanishing(system, theta)
    if not found:
        return solution
    message = f"{Outcome.NOT_CONVERGED.message}: {'; '.join(found)} ({solution.message})"
    return dataclasses.replace(solution, outcome=Outcome.NOT_CONVERGED, message=message)


def vanishing(system, theta) -> list[str]:
    """What breaks its bound at a cut edge: for each unknown declared `> 0` (expanded as its
    logarithm there) that falls towards 0 below a cut lower edge, where and how fast."""
    fields = system.fields(theta) if system.positive else {}
    found = []
    for i, cut in enumerate(system.log):
        eps, hi = float(system.lo[i]), float(system.hi[i])
        if not cut or 100 * eps >= hi:
            continue
        x = _points(system, i, eps)
        for u in sorted(system.positive):
            idx = system.args[u]
            if i not in idx:
                continue
            logs = [np.log(np.asarray(values_at(fields[u], p[:, idx]))).ravel() for p in x]
            fall, d1 = below(*logs, decades=math.log10(eps / (FLOOR * hi)))
            k = int(np.argmax(fall))
            if fall[k] > HALF:
                name = system.problem.states[i].name
                at, above = math.exp(logs[0][k]), math.exp(logs[1][k])
                found.append(
                    f"{u} falls towards 0 below the cut {name} = {eps:g} ({at:.4g} there, "
                    f"{above:.4g} a decade above: like {name}^{d1[k] / math.log(10):.2g}), "
                    f"which breaks its bound {u} > 0 at {name} = 0: on the cut domain the "
                    "equations hold on a branch that the economy at the edge does not allow"
                )
    return found


def below(l0, l1, l2, decades: float):
    """From the logarithms at the cut and a decade and two above: the fall of log u over the
    decades below the cut (0 where it does not fall towards the edge), and the first decade's
    fall d₁."""
    d1, d2 = l1 - l0, l2 - l1
    falling = (d1 > 0) & (d2 > 0) & np.isfinite(d1) & np.isfinite(d2)
    r = np.clip(np.where(falling, d1 / np.where(falling, d2, 1.0), 0.0), 0.0, 1.0)
    n = max(decades, 1.0)
    series = np.where(r < 1, r * (1 - r**n) / np.where(r < 1, 1 - r, 1.0), n)
    return np.where(falling, d1 * series, 0.0), d1


def _points(system, i: int, eps: float) -> list[np.ndarray]:
    """Points with state i at the cut and one and two decades above, the other states at
    interior points of their ranges (their values, for discrete states), inside the domain."""
    axes = []
    for j in range(system.d):
        if j == i:
            axes.append(np.zeros(1))
        elif system.values[j] is not None:
            axes.append(np.asarray(system.values[j], float))
        else:
            axes.append(np.linspace(system.lo[j], system.hi[j], SAMPLES + 2)[1:-1])
    grid = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=-1)
    if len(grid) > POINTS:
        grid = grid[np.random.default_rng(0).choice(len(grid), POINTS, replace=False)]
    out = []
    for k in range(3):
        p = grid.copy()
        p[:, i] = eps * 10**k
        out.append(p)
    inside = np.all([system.problem.domain.inside(p) for p in out], axis=0)
    return [p[inside] for p in out]
