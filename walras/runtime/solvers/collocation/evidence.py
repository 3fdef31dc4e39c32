"""Evidence of convergence of a collocation solve: residuals on a fine grid off the nodes (their
sup-norm, where it is largest), unknowns that leave their bounds, the decay of the Chebyshev
coefficients, the runs of the active set of a complementarity, how far a cut edge reaches into
the solution and the error it leaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from ...results import grid_axes, mesh
from ...schema import Role, tag
from .problem import System, values_at

if TYPE_CHECKING:
    import xarray as xr

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
    for j, (name, r) in enumerate(boundary.items()):
        p = owner[j]
        xb = np.asarray(system.states_at(system.fine_faces[name], lo[p], hi[p]))
        found[name] = (np.asarray(r)[p].ravel(), xb)
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
                at = ", ".join(f"{s} = {c:.4g}" for s, c in zip(system.compiled.states, x[k]))
                out.append(
                    f"{u.name} = {v[k]:.4g} breaks its bound {bound:g}"
                    + (f" at {at}" if at else "")
                )
    return out


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


def edge_change(
    before: System,
    theta,
    after: System,
    theta_after,
    *,
    edge: float,
    moved: float,
    converged: bool,
    grid: int,
) -> dict[str, xr.DataArray]:
    """How much each unknown with states moves on the results grid when the cut edges move from
    `edge` (`before`) to `moved` (`after`), shares of each cut state's range, by unknown; NaN
    below the higher cut, or everywhere when the moved solve did not converge: how far the cut
    reaches into the solution."""
    import xarray as xr

    axes = grid_axes(before.compiled, grid)
    x = mesh(axes)
    log = list(before.log)
    keep = np.all(x[:, log] >= after.lo[log], axis=1) & before.problem.domain.inside(x)
    fields, moved_fields = before.fields(theta), after.fields(theta_after)
    out = {}
    for u, idx in before.args.items():
        if not idx:
            continue
        y = jnp.asarray(x[:, idx])
        change = np.abs(
            np.asarray(values_at(fields[u], y)) - np.asarray(values_at(moved_fields[u], y))
        )
        out[u] = tag(
            xr.DataArray(
                np.where(keep & converged, change, np.nan).reshape([len(v) for v in axes.values()]),
                dims=list(axes),
                coords=axes,
            ),
            Role.EVIDENCE,
            unknown=u,
            long_name=f"change of {u} when the cut edges move from {edge:g} to {moved:g} of "
            "the range",
        )
    return out


def cut_error(change: xr.DataArray, further: xr.DataArray, noise: float):
    """The error a cut edge at ε leaves in an unknown, on the results grid, and the factor q by
    which the changes shrink per decade of the cut. Near a singular edge the solution is a power
    of the state times a series in powers of it, so what the cut leaves behind is about C·ε^p, and
    moving the cut tenfold changes the solution by C·ε^p·(10^p − 1): the change from ε to 10ε
    (`change`) is the error times q − 1, q = 10^p. q is measured, as the ratio of the largest
    changes of two successive decades (`further`, from 10ε to 100ε) where both are known; the
    error is then the sum of the changes of all the decades below the cut, change / (q − 1).
    When neither change rises above `noise` (how much solves that should agree differ: the cut
    does not show) the error is the change itself; infinite where the changes do not shrink, or
    where a moved solve failed (NaN changes)."""
    import xarray as xr

    both = np.isfinite(change.values) & np.isfinite(further.values)
    if not both.any():
        return xr.full_like(change, np.inf), np.nan
    first, second = float(change.values[both].max()), float(further.values[both].max())
    q = second / max(first, 1e-300)
    if q > 1:
        return change / (q - 1), q
    if second <= noise:
        return change, q
    return xr.full_like(change, np.inf), q
