"""Moments of a model's outputs: under the stationary distribution, or from simulated paths.

Both give one Dataset over `variable` (each state, unknown and definition; a quantity per shock
as NAME_SHOCK): `mean`, `std`, `autocorrelation` (at `lag` years) and `quantiles` (variable,
quantile). Simulated moments also carry their Monte Carlo standard errors (`mean_se`, ...), by
batch means: the paths are split into `batches` groups (an antithetic pair stays in one group),
each statistic is computed per group, and its standard error is the spread of the groups'
values over √batches.

Under the stationary distribution the autocorrelation comes from the forward equation's chain:
E[v(x_0) v(x_τ)] = Σ_i π_i v_i (e^{Qτ} v)_i (`scipy.sparse.linalg.expm_multiply`).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import scipy.sparse.linalg as spla
import xarray as xr

from . import plausible
from .dynamics import Dynamics
from .points import mesh
from .schema import Role, role_of, tag
from .stationary import centres, solve

QUANTILES = (0.05, 0.5, 0.95)
PATH_ROLES = (Role.STATE, Role.UNKNOWN, Role.DEFINITION)


def stationary_moments(
    dyn: Dynamics, cells: int | None = None, lag: float = 1.0, quantiles=QUANTILES
) -> xr.Dataset:
    """Moments of every output under the stationary distribution (forward equation, up to three
    states); raises `NoStationaryDistribution` where there is none."""
    cells, probability, q, _ = solve(dyn, cells)
    pi = probability.ravel()
    x = mesh(dict(zip(dyn.states, centres(dyn, cells))))
    outputs = dyn.outputs(jnp.asarray(x))
    note = plausible.check(outputs, x, dyn.states, what="the outputs on the grid")
    order = [n for n in dyn.roles if n in outputs] + [n for n in outputs if n not in dyn.roles]
    values = {s: x[:, i] for i, s in enumerate(dyn.states)}
    values.update(_flat({n: outputs[n] for n in order}))
    rows = {}
    for name, v in values.items():
        mean = float(pi @ v)
        var = max(float(pi @ (v - mean) ** 2), 0.0)
        moved = spla.expm_multiply(q * lag, v - mean)
        auto = float(pi @ ((v - mean) * moved)) / var if var > 1e-300 else np.nan
        rows[name] = (mean, np.sqrt(var), auto, _weighted_quantiles(v, pi, quantiles))
    ds = _table(rows, quantiles, lag)
    ds.attrs.update({**dyn.attrs, "source": "forward equation", "cells": cells})
    if note:
        ds.attrs["implausible_values"] = note
    return ds


def path_moments(
    paths: xr.Dataset, burn: float = 0.0, lag: float = 1.0, quantiles=QUANTILES, batches=20
) -> xr.Dataset:
    """Moments of every variable of simulated `paths` after `burn` years, pooled over paths and
    times, with Monte Carlo standard errors by batch means."""
    kept = paths.sel(time=paths["time"] >= burn - 1e-12)
    times = kept["time"].values
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    shift = round(lag / step) if step else 0
    if shift < 1 or shift >= len(times):
        raise ValueError(f"lag {lag:g} is not between one step and the length of the paths kept")
    n = kept.sizes["path"]
    half = n // 2 if paths.attrs.get("antithetic") else n
    batches = min(batches, half)
    group = (np.arange(n) % half) * batches // half  # antithetic pairs share a group
    rows, errors = {}, {}
    for name, da in kept.data_vars.items():
        if role_of(da) not in PATH_ROLES:
            continue
        for label, v in _per_shock(name, da):
            stats = [_path_stats(v[group == g], shift, quantiles) for g in range(batches)]
            rows[label] = _path_stats(v, shift, quantiles)
            errors[label] = tuple(np.std([s[i] for s in stats], axis=0, ddof=1) for i in range(4))
    ds = _table(rows, quantiles, lag)
    se = _table(errors, quantiles, lag)
    root = np.sqrt(batches)
    for key in ("mean", "std", "autocorrelation", "quantiles"):
        ds[f"{key}_se"] = tag(se[key] / root, Role.MOMENT, long_name=f"Monte Carlo s.e. of {key}")
    ds.attrs.update(
        {
            **{k: paths.attrs[k] for k in ("model", "title", "parameters") if k in paths.attrs},
            "source": "simulation",
            "paths": n,
            "burn": burn,
            "batches": batches,
        }
    )
    return ds


def _path_stats(v: np.ndarray, shift: int, quantiles):
    """mean, std, autocorrelation at `shift` steps and quantiles of (paths, times) values."""
    mean, std = float(v.mean()), float(v.std())
    a, b = v[:, :-shift] - mean, v[:, shift:] - mean
    auto = float((a * b).mean()) / std**2 if std > 1e-300 else np.nan
    return mean, std, auto, np.quantile(v, quantiles)


def _per_shock(name: str, da: xr.DataArray):
    if "shock" in da.dims:
        for k in da["shock"].values:
            yield f"{name}_{k}", np.asarray(da.sel(shock=k).values, float)
    else:
        yield name, np.asarray(da.values, float)


def _flat(values: dict) -> dict[str, np.ndarray]:
    """Outputs as flat vectors: a trailing (shock) dimension becomes NAME_0, NAME_1, ..."""
    out = {}
    for name, v in values.items():
        v = np.asarray(v)
        if v.ndim == 1:
            out[name] = v
        else:
            for i in range(v.shape[1]):
                out[f"{name}_{i}"] = v[:, i]
    return out


def _weighted_quantiles(v: np.ndarray, weights: np.ndarray, quantiles) -> np.ndarray:
    """Quantiles of values `v` with probabilities `weights`, each cell's mass spread evenly
    around its value (the distribution function interpolated linearly through cell middles)."""
    order = np.argsort(v)
    w = weights[order] / weights.sum()
    return np.interp(quantiles, np.cumsum(w) - w / 2, v[order])


def _table(rows: dict, quantiles, lag: float) -> xr.Dataset:
    names = list(rows)
    column = lambda i: np.array([rows[n][i] for n in names], float)
    ds = xr.Dataset(
        {
            "mean": tag(xr.DataArray(column(0), dims="variable"), Role.MOMENT),
            "std": tag(xr.DataArray(column(1), dims="variable"), Role.MOMENT),
            "autocorrelation": tag(
                xr.DataArray(column(2), dims="variable"),
                Role.MOMENT,
                long_name=f"autocorrelation at a lag of {lag:g} years",
            ),
            "quantiles": tag(
                xr.DataArray(
                    np.array([rows[n][3] for n in names], float), dims=("variable", "quantile")
                ),
                Role.MOMENT,
            ),
        },
        coords={"variable": names, "quantile": list(quantiles)},
    )
    ds.attrs["lag"] = lag
    return ds
