"""Evidence of convergence of a collocation solve: residuals on a fine grid off the nodes (their
sup-norm, where it is largest), unknowns that leave their bounds, the decay of the Chebyshev
coefficients, the runs of the active set of a complementarity (what a cut edge leaves:
`cut_edge`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import System

SMALLEST_RUN = 0.02  # active-set runs shorter than this share of the domain are wiggles


@dataclass
class Evidence:
    """Residuals on the fine grid off the nodes, by equation (complementarity as min(a, b), so a
    sign violation shows): sup-norm, where it is largest, mean square."""

    sup: dict[str, float]
    where: dict[str, np.ndarray]
    mean_square: dict[str, float]
    binds: np.ndarray  # (points, complementarities): the variable is at its bound (b < a)
    x: np.ndarray  # the fine points, (points, states)
    violations: list[str]  # unknowns outside their declared bounds

    @property
    def worst(self) -> str:
        return max(self.sup, key=lambda k: self.sup[k])

    @property
    def total(self) -> float:
        return max(self.sup.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.total)) and not self.violations


def evidence(system: System, theta, params, margin: float) -> Evidence:
    """Evidence on the fine grid, keeping `margin` (a share of each state's range) off the edges
    of the domain like the neural solver's samples: where an equation divides by a state that
    vanishes at an edge, the residual there measures the division, not the solution."""
    raw, values, boundary, lo, hi = system.evaluate(theta, params)
    lo, hi = np.asarray(lo)[:, None], np.asarray(hi)[:, None]
    x = np.asarray(system.states_at(system.fine, lo, hi))
    x = x.reshape(system.pieces * len(system.fine), system.d)
    gap = margin * (system.hi - system.lo) * np.array([v is None for v in system.values])
    inside = np.all((x >= system.lo + gap) & (x <= system.hi - gap), axis=1)
    for group in system.simplices:
        inside &= x[:, list(group)].sum(axis=1) <= 1 - margin
    x = x[inside]
    values = {u: np.asarray(v).ravel()[inside] for u, v in values.items()}
    found, binds = {}, []
    for name, r in raw.items():
        r = np.asarray(r).reshape(inside.size, -1)[inside]
        if name in system.comps:
            binds.append(r[:, 1] < r[:, 0])
            r = np.minimum(r[:, 0], r[:, 1])
        found[name] = (r.ravel(), x)
    owner = system.owner.argmax(axis=0)
    for j, b in enumerate(system.problem.boundaries):
        p = owner[j]
        xb = np.array(system.states_at(system.fine_faces[b.name], lo[p], hi[p]))
        xb[:, system.compiled.states.index(b.state)] = b.at  # the face (the compiler sets it)
        found[b.name] = (np.asarray(boundary[b.name])[p].ravel(), xb)
    sup, where, ms = {}, {}, {}
    for name, (r, pts) in found.items():
        if r.size == 0:  # no point inside: the pieces' edges are not finite (a failed free cut)
            sup[name], where[name], ms[name] = np.inf, np.full(system.d, np.nan), np.inf
            continue
        bad = np.where(np.isfinite(r), np.abs(r), np.inf)
        k = int(np.argmax(bad))
        sup[name], where[name], ms[name] = float(bad[k]), pts[k], float(np.mean(r * r))
    binds = np.stack(binds, -1) if binds else np.zeros((len(x), 0), bool)
    return Evidence(sup, where, ms, binds, x, _violations(system, values, x))


def _violations(system: System, values, x) -> list[str]:
    """Unknowns that leave their declared bounds on the fine grid (a bound is not imposed on an
    expansion, so this is how an impossible equilibrium shows)."""
    out = []
    for u in system.compiled.model.unknowns:
        v = values[u.name]
        for bound, bad in (
            (u.lo, v <= u.lo if u.lo is not None else None),
            (u.hi, v >= u.hi if u.hi is not None else None),
        ):
            if bad is not None and bad.any():
                k = int(np.argmax(bad))
                out.append(
                    f"{u.name} = {v[k]:.4g} breaks its bound {bound:g}"
                    + located(system.compiled.states, x[k], " at ")
                )
    return out


def located(states, x, before: str = "") -> str:
    """`before` and "s = x" for each state s at a point x of them; "" without states."""
    at = ", ".join(f"{s} = {v:.4g}" for s, v in zip(states, x))
    return before + at if at else ""


def decays(system: System, theta) -> dict[str, np.ndarray]:
    """Coefficient decay of each unknown with continuous states, one row per piece (the worst
    regime's where it has discrete states too)."""
    coef = system.unravel(theta)["coef"]
    out = {}
    for u, c in coef.items():
        lead = len(system.regimes[u])
        if lead == c.ndim - 1:  # discrete states only: nothing to decay
            continue
        rows = []
        for p in range(system.pieces):
            per_regime = np.asarray(c[p]).reshape((-1,) + c.shape[1 + lead :])
            rows.append(np.max([system.decay(u, r) for r in per_regime], axis=0))
        out[u] = np.stack(rows)
    return out


def active_runs(ev: Evidence, width: float) -> list[list]:
    """Runs [start, end, pattern] of the active set along the (single) state, in order; runs
    shorter than SMALLEST_RUN of the domain (wiggles of an expansion that cannot follow a kink)
    merge into a neighbour."""
    order = np.argsort(ev.x[:, 0])
    runs: list[list] = []
    for x, row in zip(ev.x[order, 0], ev.binds[order]):
        if runs and runs[-1][2] == tuple(row):
            runs[-1][1] = x
        else:
            runs.append([x, x, tuple(row)])
    while len(runs) > 1:
        k = min(range(len(runs)), key=lambda j: runs[j][1] - runs[j][0])
        if runs[k][1] - runs[k][0] >= SMALLEST_RUN * width:
            break
        j = k - 1 if k > 0 else 1
        runs[j][0], runs[j][1] = min(runs[j][0], runs[k][0]), max(runs[j][1], runs[k][1])
        del runs[k]
        merged = [runs[0]]
        for r in runs[1:]:
            if r[2] == merged[-1][2]:
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        runs = merged
    return runs
