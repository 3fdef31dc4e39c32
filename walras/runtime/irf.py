"""Impulse responses: how the states and outputs respond to a shock, by simulation.

A shock of `size` standard deviations of shock k moves the states at time 0 along its
volatility vector: x → x + size·σ_k(x) (one standard deviation of a year's Brownian increment),
kept in the domain; an arrival of a Poisson shock N moves them by its jumps, x → x + J_N(x) (held
at an edge, as in simulation). The response of each variable is the mean over paths of its
value after the shock minus its value without it, the two driven by the same Brownian paths and
arrivals (common random numbers), so the difference carries little Monte Carlo noise. Paths
start at one point, or at draws from the stationary distribution (the response averaged over it).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .dynamics import Dynamics
from .schema import Role, role_of
from .simulate import simulate
from .stationary import centres, stationary


def impulse_responses(
    dyn: Dynamics,
    start=None,
    stationary_start: bool = False,
    size: float = 1.0,
    paths: int = 1000,
    years: float = 10.0,
    dt: float = 1 / 12,
    seed: int = 0,
    **options,
) -> xr.Dataset:
    """The response (shock, time) of every state and output to each Brownian shock and each
    arrival of a Poisson shock; `start` one point (default the middle of the domain), or with
    `stationary_start` draws from the stationary distribution."""
    x0 = _starts(dyn, start, stationary_start, paths, seed)
    _, vol = dyn.law(jnp.asarray(x0))
    moves = [size * np.asarray(vol[:, :, k]) for k in range(len(dyn.shocks))]
    if dyn.arrivals is not None:
        _, jumps = dyn.arrivals(jnp.asarray(x0))
        moves += [np.asarray(jumps[:, :, k]) for k in range(len(dyn.poisson))]
    base = simulate(dyn, paths=paths, years=years, dt=dt, seed=seed, start=x0, **options)
    responses = []
    for move in moves:
        moved = np.clip(x0 + move, dyn.lo, dyn.hi)
        hit = simulate(dyn, paths=paths, years=years, dt=dt, seed=seed, start=moved, **options)
        keep = [n for n, v in hit.data_vars.items() if role_of(v) is not None and n != "absorbed"]
        responses.append((hit[keep] - base[keep]).mean("path", keep_attrs=True))
    shocks = [*dyn.shocks, *dyn.poisson]
    ds = xr.concat(responses, dim="shock").assign_coords(shock=shocks)
    for name in ds.data_vars:
        if role_of(ds[name]) is None:
            ds[name].attrs["role"] = str(Role.DEFINITION)
    ds.attrs.update({**dyn.attrs, "size": size, "paths": paths, "seed": seed})
    ds.attrs["start"] = "stationary" if stationary_start else str(np.asarray(x0[0]).tolist())
    return ds


def _starts(dyn: Dynamics, start, stationary_start: bool, paths: int, seed: int) -> np.ndarray:
    d = len(dyn.states)
    if not stationary_start:
        point = dyn.middle if start is None else np.asarray(start, float).reshape(d)
        return np.tile(point, (paths, 1))
    density = stationary(dyn)
    p = density["density"].values.ravel()
    rng = np.random.default_rng(seed)
    cells = rng.choice(p.size, size=paths, p=p / p.sum())
    axes = centres(dyn, density.attrs["cells"])
    index = np.unravel_index(cells, density["density"].shape)
    h = (dyn.hi - dyn.lo) / density.attrs["cells"]
    jitter = rng.uniform(-0.5, 0.5, size=(paths, d)) * h
    return np.stack([axes[j][index[j]] for j in range(d)], axis=-1) + jitter
