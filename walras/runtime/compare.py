"""How far apart two solutions of the same model are, per variable (`walras compare A.nc B.nc`).

Variables are selected by their role (`walras.runtime.schema`): the unknowns and definitions, on
the states' grid, are compared; residuals, convergence evidence and histories are not the
solution, so they are left out.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .schema import Role, role_of, state_dims

COMPARED = {Role.UNKNOWN, Role.DEFINITION}


def _labels(a: xr.Dataset, b: xr.Dataset) -> set[str]:
    """Dimensions that label their entries (shocks, agents) the same way in both results."""
    return {
        d
        for d in a.dims
        if d in a.coords
        and d in b.coords
        and role_of(a[d]) is not Role.STATE
        and a[d].size == b[d].size
        and bool(np.all(a[d].values == b[d].values))
    }


def comparable(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Unknowns and definitions of both results that live on the state grid (with labelled
    dimensions such as shocks beside it), or scalars when the model has no states."""
    grid = set(state_dims(a)) & set(state_dims(b))
    allowed = grid | _labels(a, b)
    return [
        name
        for name in a.data_vars
        if name in b.data_vars
        and {role_of(a[name]), role_of(b[name])} <= COMPARED
        and set(a[name].dims) == set(b[name].dims)
        and set(a[name].dims) <= allowed
        and (set(a[name].dims) & grid if grid else not a[name].dims)
    ]


def compare(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """Per variable: max and mean |a − b|, the max relative difference |a − b| / max|a|, and the
    state coordinates where the difference is largest. When the grids differ, b is interpolated
    (linearly) onto a's grid, and the result says so. Raises ValueError when nothing compares."""
    names = comparable(a, b)
    if not names:
        raise ValueError("the two results have no variables on a common state grid")
    dims = [d for d in state_dims(a) if any(d in a[n].dims for n in names)]
    same = all(a[d].size == b[d].size and np.allclose(a[d], b[d], rtol=0, atol=1e-12) for d in dims)
    b = b if same else b.interp({d: a[d] for d in dims})
    rows = {"max_abs": [], "mean_abs": [], "max_rel": []}
    where = {d: [] for d in dims}
    for name in names:
        diff = np.abs(a[name] - b[name].transpose(*a[name].dims))
        values = np.where(np.isfinite(diff.values), diff.values, np.inf)
        k = np.unravel_index(int(np.argmax(values)), values.shape) if values.ndim else ()
        scale = float(np.nanmax(np.abs(a[name].values))) if a[name].size else 0.0
        rows["max_abs"].append(float(values.max()))
        rows["mean_abs"].append(float(np.mean(values)))
        rows["max_rel"].append(float(values.max()) / scale if scale > 0 else np.nan)
        at = dict(zip(diff.dims, k))
        for d in dims:
            where[d].append(float(diff[d].values[at[d]]) if d in at else np.nan)
    out = xr.Dataset(
        {k: ("variable", np.array(v)) for k, v in rows.items()}, coords={"variable": names}
    )
    for d, v in where.items():
        out[f"where_{d}"] = ("variable", np.array(v), {"state": d})
    out.attrs.update(
        {
            "model_a": a.attrs.get("model", ""),
            "model_b": b.attrs.get("model", ""),
            "method_a": a.attrs.get("method", ""),
            "method_b": b.attrs.get("method", ""),
            "interpolated": int(not same),
        }
    )
    return out
