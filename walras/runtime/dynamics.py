"""The law of motion of a solved model, as pure JAX functions of the states.

`Dynamics` is what simulation, the forward equation and impulse responses need: the states and
their domain, the shocks, `law(x)` (drift (n, states) and volatility (n, states, shocks)) and
`outputs(x)` (every unknown and definition at the points), and for a model with Poisson shocks
`arrivals(x)` (their rates (n, poisson) and the jumps of the states (n, states, poisson)). Two
sources give one:

- `from_solution(solution)`: the solution itself (its fields through the compiled model), exact
  at any point; a function of the solution and its parameters, so a parametric solution or a
  calibration loop can build one per parameter value;
- `from_dataset(ds)`: a result file, whose variables on the state grid are interpolated
  multilinearly (linear extrapolation over the half cell between the outermost grid points and
  the edges). Its accuracy is that of the grid (`--solver grid=N` when solving).

Points are clipped into the domain before evaluation, a hair inside the edges (`EDGE_GAP` of the
width), so a state at a singular edge (a wealth share of 0) gives finite values; a discrete state
(`discrete`) is not moved off its values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from . import plausible
from .points import mesh
from .schema import Role, role_of, state_dims

EDGE_GAP = 1e-9


@dataclass(frozen=True)
class Dynamics:
    states: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray
    shocks: tuple[str, ...]
    law: Callable  # x (n, d) -> (drift (n, d), vol (n, d, k)), jittable
    outputs: Callable  # x (n, d) -> name -> (n,) or (n, shocks), jittable
    roles: dict  # output name -> Role
    docs: dict  # output name -> description
    attrs: dict  # model, title, parameters: copied onto what is derived from it
    poisson: tuple[str, ...] = ()  # the Poisson shocks
    arrivals: Callable | None = None  # x (n, d) -> (rates (n, p), jumps (n, d, p)), jittable
    values: tuple = ()  # per state: its values if it is discrete, else None
    # outputs interpolated between tables already checked (W158, `tabulate` or the dataset's
    # own): they stay between their values
    checked: bool = False

    @property
    def discrete(self) -> np.ndarray:
        """Per state: does it take only its listed values?"""
        return np.array([v is not None for v in self.values or [None] * len(self.lo)], bool)

    @property
    def middle(self) -> np.ndarray:
        """The default starting point: the middle of the domain, a discrete state's lowest value."""
        return np.where(self.discrete, self.lo, (self.lo + self.hi) / 2)

    def clip(self, x: jax.Array) -> jax.Array:
        gap = EDGE_GAP * (self.hi - self.lo) * ~self.discrete
        return jnp.clip(x, self.lo + gap, self.hi - gap)


def from_solution(solution) -> Dynamics:
    """The dynamics of a `Solution`, evaluated through its fields."""
    from .results import _docs, _roles

    compiled = solution.compiled
    model = compiled.model
    order = {s.name: s for s in model.states}
    states = [order[name] for name in compiled.states]
    params = {k: jnp.asarray(v) for k, v in solution.params.items()}
    roles = {k: r for k, r in _roles(compiled).items() if r is not Role.RESIDUAL}
    shocks = tuple(model.shocks)
    lo = np.array([s.lo for s in states], float)
    hi = np.array([s.hi for s in states], float)
    dyn = None

    @jax.jit
    def law(x):
        return compiled.dynamics(solution.fields, params, dyn.clip(x))

    @jax.jit
    def outputs(x):
        return compiled.outputs(solution.fields, params, dyn.clip(x), residuals=False)

    @jax.jit
    def arrivals(x):
        return compiled.arrivals(solution.fields, params, dyn.clip(x))

    dyn = Dynamics(
        tuple(compiled.states),
        lo,
        hi,
        shocks,
        law,
        outputs,
        roles,
        _docs(compiled),
        {
            "model": model.name,
            "title": model.title or "",
            "parameters": json.dumps(dict(solution.params)),
        },
        tuple(model.rates),
        arrivals if model.rates else None,
        tuple(tuple(s.values) if s.discrete else None for s in states),
    )
    return dyn


def from_dataset(ds: xr.Dataset) -> Dynamics:
    """The dynamics of a result Dataset, interpolated on its state grid."""
    states = state_dims(ds)
    if not states:
        raise ValueError("the results have no states to move")
    moved = [n for n in ds.data_vars if n.startswith(("drift_", "vol_", "jump_"))]
    if not moved:
        raise ValueError("the results hold no law of motion (drift_, vol_ or jump_ variables)")
    axes = [np.asarray(ds[s].values, float) for s in states]
    names = [n for n, v in ds.data_vars.items() if role_of(v) in (Role.UNKNOWN, Role.DEFINITION)]
    tables = {n: _table(ds[n], states) for n in names}
    kept = ("model", "title", "parameters", "implausible_values")  # its values were checked
    attrs = {k: ds.attrs[k] for k in kept if k in ds.attrs}
    poisson = tuple(json.loads(ds.attrs.get("poisson", "[]")))
    values = tuple(tuple(a) if ds[s].attrs.get("discrete") else None for s, a in zip(states, axes))
    return _interpolated(
        states,
        *_domain(ds, states, axes),
        _shocks(ds),
        axes,
        tables,
        {n: role_of(ds[n]) for n in names},
        {n: ds[n].attrs.get("long_name", "") for n in names},
        attrs,
        poisson=poisson,
        values=values,
    )


def tabulate(dyn: Dynamics, points: int | None = None) -> Dynamics:
    """`dyn` interpolated multilinearly from its values on a uniform grid spanning the domain
    (`points` per state; by default 20,001 in one state, 301 per state in two, 61 in three),
    for fast simulation. The attributes `table_error_max` and `table_error_mean` compare the
    drift and volatility with `dyn`'s at the cell centres of that grid, relative to their largest
    size (the largest is that of a cell where the law jumps, at a free boundary, if any)."""
    d = len(dyn.states)
    points = points or {1: 20001, 2: 301}.get(d, 61)
    gap = EDGE_GAP * (dyn.hi - dyn.lo)
    levels = dyn.values or [None] * d
    axes = [
        np.linspace(a + g, b - g, points) if v is None else np.asarray(v, float)
        for a, b, g, v in zip(dyn.lo, dyn.hi, gap, levels)
    ]
    x = jnp.asarray(mesh(dict(zip(dyn.states, axes))))
    shape = [len(a) for a in axes]
    values = _chunked(dyn.outputs, x)
    tables = {n: v.reshape(*shape, *v.shape[1:]) for n, v in values.items()}
    mu, vol = _chunked(dyn.law, x)
    law = {"__drift": mu.reshape(*shape, d), "__vol": vol.reshape(*shape, d, -1)}
    if dyn.arrivals is not None:
        rate, jump = _chunked(dyn.arrivals, x)
        law.update(__rate=rate.reshape(*shape, -1), __jump=jump.reshape(*shape, d, -1))
    checked = {**values, **{n.strip("_"): v.reshape(len(x), -1) for n, v in law.items()}}
    note = plausible.check(checked, x, dyn.states, what="the tables of the law of motion")
    out = _interpolated(
        dyn.states,
        dyn.lo,
        dyn.hi,
        dyn.shocks,
        axes,
        tables,
        dyn.roles,
        dyn.docs,
        dyn.attrs,
        law,
        dyn.poisson,
        dyn.values,
    )
    mid = [a if v is not None else (a[1:] + a[:-1]) / 2 for a, v in zip(axes, levels)]
    if d > 1:  # the centres of a sample of cells
        rng = np.random.default_rng(0)
        mid = [rng.choice(m, 2000) for m in mid]
        xm = jnp.asarray(np.stack(mid, axis=-1))
    else:
        xm = jnp.asarray(mid[0][:, None])
    worst, mean = 0.0, 0.0
    pairs = [(dyn.law, out.law)] + ([(dyn.arrivals, out.arrivals)] if dyn.arrivals else [])
    for exact, approx in (p for f, g in pairs for p in zip(_chunked(f, xm), g(xm))):
        if exact.size:
            gap = jnp.abs(exact - approx) / (float(jnp.max(jnp.abs(exact))) or 1.0)
            worst, mean = max(worst, float(gap.max())), max(mean, float(gap.mean()))
    out.attrs.update(table_error_max=worst, table_error_mean=mean)
    out.attrs["table_points"] = points
    if note:
        out.attrs["implausible_values"] = note
    return out


def _chunked(f, x, size: int = 100_000):
    parts = [f(x[i : i + size]) for i in range(0, len(x), size)]
    return jax.tree.map(lambda *p: jnp.concatenate(p), *parts)


def _interpolated(
    states, lo, hi, shocks, axes, tables, roles, docs, attrs, law=None, poisson=(), values=()
):
    """Dynamics read from tables over a grid; the law from `law` (keys __drift, __vol, and with
    Poisson shocks __rate, __jump) or from the tables' drift_<state>, vol_<state>, rate_<shock>
    and jump_<state>_<shock>."""
    grid = [_Axis(a) for a in axes]
    if law is None:
        still = jnp.zeros(np.shape(next(iter(tables.values())))[: len(states)])
        drift = jnp.stack([tables.get(f"drift_{s}", still) for s in states], axis=-1)
        shape = (*drift.shape[:-1], len(shocks))
        vols = [tables[f"vol_{s}"].reshape(shape) if f"vol_{s}" in tables else None for s in states]
        vol = jnp.stack([jnp.zeros(shape) if v is None else v for v in vols], axis=-2)
    else:
        drift, vol = law["__drift"], law["__vol"]
    if poisson and law is not None:
        rate, jump = law["__rate"], law["__jump"]
    elif poisson:
        rate = jnp.stack([tables[f"rate_{k}"] for k in poisson], axis=-1)
        zero = jnp.zeros(rate.shape[:-1])
        jump = jnp.stack(
            [
                jnp.stack([tables.get(f"jump_{s}_{k}", zero) for s in states], axis=-1)
                for k in poisson
            ],
            axis=-1,
        )
    dyn = None

    @jax.jit
    def law_(x):
        x = dyn.clip(x)
        return _interp(drift, grid, x), _interp(vol, grid, x)

    names = list(tables)
    extra = [tables[n].shape[len(grid) :] for n in names]
    stacked = jnp.concatenate(
        [tables[n].reshape(*tables[n].shape[: len(grid)], -1) for n in names], -1
    )
    cuts = np.cumsum([int(np.prod(e)) for e in extra])[:-1]

    @jax.jit
    def outputs(x):  # one interpolation of every table at once
        values = jnp.split(_interp(stacked, grid, dyn.clip(x)), cuts, axis=-1)
        return {n: v.reshape(len(x), *e) for n, v, e in zip(names, values, extra)}

    @jax.jit
    def arrivals(x):
        x = dyn.clip(x)
        return _interp(rate, grid, x), _interp(jump, grid, x)

    dyn = Dynamics(
        tuple(states),
        lo,
        hi,
        tuple(shocks),
        law_,
        outputs,
        dict(roles),
        dict(docs),
        dict(attrs),
        tuple(poisson),
        arrivals if poisson else None,
        tuple(values),
        checked=True,
    )
    return dyn


def _shocks(ds: xr.Dataset) -> tuple[str, ...]:
    if "shock" in ds.coords:
        return tuple(str(k) for k in ds["shock"].values)
    if "shocks" in ds.attrs:
        return tuple(json.loads(ds.attrs["shocks"]))
    return ("Z",)


def _domain(ds, states, axes):
    """Each state's declared bounds (attributes `lo`, `hi` of its coordinate), or the grid's
    cell edges when a file predates them."""
    lo, hi = [], []
    for s, a in zip(states, axes):
        half = (a[1] - a[0]) / 2 if len(a) > 1 else 0.0
        lo.append(float(ds[s].attrs.get("lo", a[0] - half)))
        hi.append(float(ds[s].attrs.get("hi", a[-1] + half)))
    return np.array(lo), np.array(hi)


def _table(da: xr.DataArray, states) -> jax.Array:
    """A variable as an array over the state grid (states first, `shock` last where it has
    one)."""
    extra = [d for d in da.dims if d not in states]
    da = da.transpose(*states, *extra)
    return jnp.asarray(np.asarray(da.values, float))


class _Axis:
    """The points of a table's axis, with their spacing where it is even (the cell of a point is
    then found by arithmetic, not by a binary search)."""

    def __init__(self, points):
        points = np.asarray(points, float)
        gaps = np.diff(points)
        even = len(points) > 1 and np.allclose(gaps, gaps[0], rtol=1e-9, atol=0.0)
        self.points, self.step = jnp.asarray(points), float(gaps[0]) if even else None

    def __len__(self) -> int:
        return len(self.points)

    def cell(self, x):
        """The index i of the cell [g_i, g_i+1] holding x (the outermost beyond the grid)."""
        g = self.points
        if self.step is None:
            i = jnp.searchsorted(g, x) - 1
        else:
            i = jnp.floor((x - g[0]) / self.step).astype(int)
        return jnp.clip(i, 0, len(g) - 2)


def _interp(table: jax.Array, grid: list[_Axis], x: jax.Array) -> jax.Array:
    """Multilinear interpolation of `table` (grid..., extra...) at the rows of `x`, linear
    beyond the outermost grid points."""

    def one(xi):
        corners = [[]]
        weights = [jnp.ones(())]
        for axis, g in enumerate(grid):
            if len(g) == 1:
                idx, w = jnp.zeros((), int), jnp.zeros(())
            else:
                idx = g.cell(xi[axis])
                w = (xi[axis] - g.points[idx]) / (g.points[idx + 1] - g.points[idx])
            corners = [c + [idx + b] for c in corners for b in (0, 1)]
            weights = [wc * (w if b else 1 - w) for wc in weights for b in (0, 1)]
        return sum(
            wc * table[tuple(jnp.minimum(i, len(g) - 1) for i, g in zip(c, grid))]
            for c, wc in zip(corners, weights)
        )

    return eqx.filter_vmap(one)(x)
