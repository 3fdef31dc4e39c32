"""Simulated paths as a table of steps, for the factor path (`data simulation "paths.nc"`).

A (path, time) simulation becomes one row per step [t, t + Δ] between consecutive saved times
of each path, with the columns

- `v`: each variable of the paths at the step's start (a quantity per shock as `v_SHOCK`);
- `d_v`: its change over the step (`d_W_Z`, the change of the Brownian motion `W_Z`, is the
  shock Z of the step);
- `ret_X`: for each pair `mu_X`, `sigma_X` (the drift and volatility of a return or a growth
  rate, as the economy layer names them: `mu_R_tree1`, `sigma_R_tree1`), the realized return
  over the step, mu_X·Δ + Σ_k sigma_X,k·ΔW_k (the Euler increment, with the step's shocks);
- `ex_X`: ret_X − r·Δ, the excess return, where the paths have the riskless rate `r`.

Rows carry dates: the paths are laid end to end from 2000-01-01, path p's step at time t
dated (p·L + t) years later (L: the paths' length plus one step; years of 365.25 days), so the
time-series estimators pool all the paths' steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

EPOCH = pd.Timestamp("2000-01-01")


def steps(ds: xr.Dataset, time: str = "date") -> pd.DataFrame:
    """The steps of a simulation as a frame (see the module), its dates in column `time`;
    ValueError when `ds` is not a (path, time) simulation."""
    if not {"path", "time"} <= set(ds.dims) or ds.sizes["time"] < 2:
        raise ValueError("not a simulation: it needs (path, time) variables and two times")
    t = np.asarray(ds["time"].values, float)
    dt = np.diff(t)[None, :]
    columns = {}
    for name, v in ds.data_vars.items():
        if v.dims[:2] != ("path", "time") or not np.issubdtype(v.dtype, np.number):
            continue
        for label, a in _per_shock(name, v):
            columns[label] = a[:, :-1]
            columns[f"d_{label}"] = np.diff(a, axis=1)
    for name in list(columns):
        x = name.removeprefix("mu_")
        if name == x or f"sigma_{x}" not in ds:
            continue
        sigma = ds[f"sigma_{x}"]
        shocks = [str(k) for k in sigma["shock"].values] if "shock" in sigma.dims else None
        shocks = shocks or [n.removeprefix("d_W_") for n in columns if n.startswith("d_W_")]
        if len(shocks) != (sigma.sizes.get("shock", 1)):
            continue
        vols = [
            columns[f"sigma_{x}_{k}" if "shock" in sigma.dims else f"sigma_{x}"] for k in shocks
        ]
        columns[f"ret_{x}"] = columns[name] * dt + sum(
            s * columns[f"d_W_{k}"] for s, k in zip(vols, shocks)
        )
        if "r" in columns:
            columns[f"ex_{x}"] = columns[f"ret_{x}"] - columns["r"] * dt
    paths = ds.sizes["path"]
    length = t[-1] - t[0] + (t[1] - t[0])
    years = (np.arange(paths)[:, None] * length + t[None, :-1]).ravel()
    frame = pd.DataFrame({k: v.ravel() for k, v in columns.items()})
    frame.insert(0, time, EPOCH + pd.to_timedelta(years * 365.25, unit="D"))
    return frame


def _per_shock(name: str, v: xr.DataArray):
    if v.ndim == 2:
        return [(name, np.asarray(v.values, float))]
    if v.ndim == 3 and "shock" in v.dims:
        v = v.transpose("path", "time", "shock")
        return [
            (f"{name}_{k}", np.asarray(v.sel(shock=k).values, float)) for k in v["shock"].values
        ]
    return []
