"""What a cut edge leaves in a collocation solution, measured where the cut acts.

A solve with zero edges cut at ε is the solution of the equations on [ε, hi] with a power law
imposed at ε. What the cut leaves is largest at the cut itself and fades above it, often within
a decade or two: the results grid (cell centres from half a cell up) does not reach those
points, so the changes are measured on the results grid together with points spaced evenly in
log from the cut up (`cut_axes`). The error of this solve on [ε, hi] is its change against a
solve with the cut a decade lower, plus what that lower solve leaves (the change again, shrunk
by the factor q that the changes shrink per decade, measured from a solve with the cut a decade
higher): `cut_reach`. Where the lower solve does not converge, or its changes grow where they
should shrink (the rounding of equations that cancel towards the edge: he_krishnamurthy's θ,
exact to 1e-10, moved 1.8e-9 with its cut at 1e-6 of the range), the changes are those of two
moves up (10ε, 100ε); they say nothing of the decade [ε, 10ε], so the solution is claimed from
10ε up only. Below the claimed edge the expansions continue as power laws, which nothing
measures: the results are NaN there (`Solution.cuts`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from ...results import grid_axes, mesh
from ...schema import Role, tag
from .problem import System, values_at

if TYPE_CHECKING:
    import xarray as xr

    from .systems import Attempt

CUT_SHARE = 0.5  # of tol_error: a cut moving down the edge path stops at the first cut whose
# error (`cut_error`) is within this share, and leaves the rest to the truncation
PER_DECADE = 8  # points per decade of a cut state, from the cut up, where changes are measured
CLAIM_DECADES = 2  # the results may start this many decades above the cut, no more
MAX_POINTS = 400_000  # in the mesh of those points and the results grid's other axes
Solve = Callable  # (settings, guess) -> Attempt: the driver's solve at the model's parameters


def cut_reach(
    solve: Solve,
    settings,
    attempt: Attempt,
    noise: Mapping[str, float],
    budget: Mapping[str, float],
):
    """How far the cut edge reaches into the solution, from solves with the cut a decade lower
    and higher (two decades higher where the lower one fails); `noise` is how much two solves
    may differ by their truncation errors (absolute): changes below it are not the cut's;
    `budget` the error the cut may leave in each (absolute): where it leaves more next to the
    cut, the results start higher (`claim`). Returns the change of each unknown on the results grid
    (`edge_change_<unknown>`), the largest error the cut leaves in each on the points claimed,
    the unknown's largest size there (which, for an unknown that diverges at the edge, lies
    below the evidence points), and where the claimed results start along each cut state."""
    edge, fields = settings.edge, attempt.system.fields(attempt.theta)
    moved = {}

    def at(k: float):
        if k not in moved:
            moved[k] = solve(settings.replace(edge=k * edge), fields)
        return moved[k], k * edge, moved[k].converged(settings)

    def claimed(steps, below: bool):
        """Where the results start and the changes, errors and sizes from there, from solves
        a decade apart (lowest first; `below`: the lowest is below this one)."""
        axes = cut_axes(steps[0][0].system, settings.grid, [cut for _, cut, _ in steps])
        pairs = measure(steps, axes)

        def above(start):  # the changes, errors and sizes on the points claimed from `start`
            changes, left, sizes = errors_above(pairs, noise, start)
            if below:  # this solve's error: its change from the lower one, and what it leaves
                left = {u: changes[u] + v for u, v in left.items()}
            return changes, left, sizes

        def within(start) -> bool:
            return all(float(v.max()) <= budget[u] for u, v in above(start)[1].items())

        lo = {s.name: float(lo) for s, lo, log in _cut_states(steps[1][0].system) if log}
        cuts = claim(within, lo, axes)
        return cuts, above(cuts)

    lower = at(0.1)
    found = claimed([lower, (attempt, edge, True), at(10)], True) if lower[2] else None
    if found is None or any(np.isinf(v.values).any() for v in found[1][1].values()):
        found = claimed([(attempt, edge, True), at(10), at(100)], False)
    cuts, (changes, left, sizes) = found
    grid = grid_axes(attempt.system.compiled, settings.grid)
    shown = {}
    for u, v in changes.items():
        worst = left[u].where(left[u] == left[u].max(), drop=True)
        where = ", ".join(f"{k} = {float(c[0]):.3g}" for k, c in worst.coords.items() if c.size)
        v.attrs.update(cut_error=float(left[u].max()), cut_error_at=where)
        shown[u] = v.sel({k: grid[k] for k in v.dims})
    largest = {u: float(v.max()) for u, v in sizes.items()}
    return shown, {u: float(v.max()) for u, v in left.items()}, largest, cuts


def claim(within: Callable, cuts: Mapping[str, float], axes) -> dict[str, float]:
    """Where the results start along each cut state: at its cut, or up to `CLAIM_DECADES`
    higher, at the lowest point of `axes` from which on the cut's error is within what
    `tol_error` allows (`within(start)`: its decades measured on those points only), the other
    states from their cuts; at the cut where no such point is (the estimate then says so)."""
    out = dict(cuts)
    for s, lo in cuts.items():
        values = np.asarray(axes[s])
        for v in values[(values >= lo) & (values <= lo * 10**CLAIM_DECADES)]:
            if within({**cuts, s: float(v)}):
                out[s] = float(v)
                break
    return out


def measure(steps, axes):
    """From three solves (attempt, cut, converged) with the cut a decade apart, lowest first:
    the change of each unknown on `axes` and its size, for the first two and the last two
    (`edge_change`)."""
    return [
        edge_change(a.system, a.theta, b.system, b.theta, edge=e, moved=m, converged=ok, axes=axes)
        for (a, e, _), (b, m, ok) in zip(steps, steps[1:])
    ]


def errors_above(pairs, noise: Mapping[str, float], start: Mapping[str, float], cautious=True):
    """On the points at or above `start` along each cut state (`measure`'s pairs): the change of
    each unknown between the first two solves (`edge_change`), the error the first one's cut
    leaves (`cut_error`: that change summed over the decades below its cut) and each unknown's
    size where the change is known (0 elsewhere)."""
    (changes, sizes), (further, further_sizes) = pairs
    out, left, known = {}, {}, {}
    for u, v in changes.items():
        inside = _above(v, start)
        v = v.where(inside).assign_attrs(v.attrs)
        shares = (sizes[u], further_sizes[u]) if cautious else None
        left[u], ratio = cut_error(v, further[u].where(inside), noise.get(u, 0.0), shares)
        out[u] = v.assign_attrs(decade_ratio=ratio, cut_error=float(left[u].max()))
        known[u] = v.copy(data=np.where(np.isfinite(v.values), sizes[u], 0.0))
    return out, left, known


def _above(v: xr.DataArray, start: Mapping[str, float]) -> xr.DataArray:
    """Which points of `v`'s mesh lie at or above `start` along each state it names."""
    inside = v.copy(data=np.ones(v.shape, bool))
    for s, lo in start.items():
        inside = inside & (v[s] >= lo)
    return inside.transpose(*v.dims)


def settled(reached: list, settings, size: Callable, share: float = CUT_SHARE) -> bool:
    """Whether the lowest of the cuts reached so far (attempt, cut; a decade apart, highest
    first) leaves an error within `share` of `tol_error` in every unknown;
    `size(attempt, unknown)` is what its errors are relative to. A rule of cost, not a claim:
    measured on the results grid, with the decade ratio from the points above every cut (as
    before the estimate measured the cut's own decades), so that where the cut stops, and the
    solution, are what they were; the estimate (`cut_reach`) then says what the cut leaves."""
    if len(reached) < 3:
        return False
    steps = [(a, edge, True) for a, edge in reversed(reached[-3:])]
    axes = grid_axes(steps[0][0].system.compiled, settings.grid)
    _, left, _ = errors_above(measure(steps, axes), {}, {}, cautious=False)
    lowest = steps[0][0]
    return all(
        float(v.max()) / size(lowest, u) <= share * settings.tol_error for u, v in left.items()
    )


def _cut_states(system: System):
    return zip(system.problem.states, system.lo, system.log)


def cut_axes(system: System, grid: int, cuts) -> dict[str, np.ndarray]:
    """The results grid's axes and, along each cut state, points spaced evenly in log from the
    lowest cut up (`PER_DECADE` a decade, fewer where the mesh of several states would pass
    `MAX_POINTS`) with each cut itself (`cuts`, shares of the range)."""
    base = grid_axes(system.compiled, grid)
    for per_decade in (PER_DECADE, PER_DECADE // 2, PER_DECADE // 4, 1):
        axes = dict(base)
        for s, lo, log in _cut_states(system):
            if log:
                n = int(np.ceil(per_decade * np.log10(s.hi / lo))) + 1
                extra = np.concatenate([np.geomspace(lo, s.hi, n), np.asarray(cuts) * s.hi])
                axes[s.name] = np.union1d(axes[s.name], extra)
        if np.prod([len(v) for v in axes.values()]) <= MAX_POINTS:
            break
    return axes


def edge_change(
    before: System,
    theta,
    after: System,
    theta_after,
    *,
    edge: float,
    moved: float,
    converged: bool,
    axes: Mapping[str, np.ndarray],
) -> dict[str, xr.DataArray]:
    """How much each unknown with states moves on `axes` when the cut edges move from `edge`
    (`before`) to `moved` (`after`), shares of each cut state's range, by unknown; NaN below
    the higher cut, or everywhere when the moved solve did not converge; and the size of each
    unknown there (`before`'s)."""
    import xarray as xr

    x = mesh(axes)
    log = list(before.log)
    above = np.maximum(before.lo, after.lo)[log]
    keep = np.all(x[:, log] >= above, axis=1) & before.problem.domain.inside(x)
    fields, moved_fields = before.fields(theta), after.fields(theta_after)
    out, sizes = {}, {}
    shape = [len(v) for v in axes.values()]
    for u, idx in before.args.items():
        if not idx:
            continue
        y = x[:, idx]
        value = values_at(fields[u], y)
        change = np.abs(value - values_at(moved_fields[u], y))
        sizes[u] = np.abs(value).reshape(shape)
        out[u] = tag(
            xr.DataArray(
                np.where(keep & converged, change, np.nan).reshape(shape),
                dims=list(axes),
                coords=axes,
            ),
            Role.EVIDENCE,
            unknown=u,
            cut=edge,
            moved=moved,
            long_name=f"change of {u} when the cut edges move from {edge:g} to {moved:g} of "
            "the range",
        )
    return out, sizes


def cut_error(change: xr.DataArray, further: xr.DataArray, noise: float, sizes=None):
    """The error a cut edge at ε leaves in an unknown, pointwise, and the factor q by which the
    changes shrink per decade of the cut. Near a singular edge the solution is a power of the
    state times a series in powers of it, so what the cut leaves behind is about C·ε^p, and
    moving the cut tenfold changes the solution by C·ε^p·(10^p − 1): the change from ε to 10ε
    (`change`) is the error times q − 1, q = 10^p. q is measured as the ratio of the largest
    changes of two successive decades (`further`, from 10ε to 100ε); with `sizes` (the
    unknown's size at each point, for each), of the largest changes relative to the unknown
    there, each over the points above its own higher cut (else of the absolute changes over the
    points above both): next to the cut the changes shrink more slowly than far from it (in
    `he_krishnamurthy`, q from the points above both cuts undercounted the error at the cut by
    a fifth), and an unknown that diverges at the edge grows there as the cut moves down, so
    the changes relative to it, largest at the cuts, give the cautious ratio. The
    error is then the sum of the changes of all the decades below the cut, change / (q − 1).
    When neither change rises above `noise` (how much solves that should agree differ, in the
    unknown's units: the cut does not show) the error is the change itself; infinite where the
    changes do not shrink, or where a moved solve failed (all its changes NaN)."""
    import xarray as xr

    known = np.isfinite(change.values), np.isfinite(further.values)
    if sizes is None:
        known, sizes = (known[0] & known[1],) * 2, (1.0, 1.0)
    if not (known[0].any() and known[1].any()):
        return xr.full_like(change, np.inf), np.nan
    shares = [v.values / np.maximum(s, 1e-300) for v, s in zip((change, further), sizes)]
    first, second = (float(v[k].max()) for v, k in zip(shares, known))
    q = second / max(first, 1e-300)
    if q > 1:
        return change / (q - 1), q
    if max(float(np.nanmax(np.abs(v.values))) for v in (change, further)) <= noise:
        return change, q
    return xr.full_like(change, np.inf), q
