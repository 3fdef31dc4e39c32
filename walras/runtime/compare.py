"""How far apart two solutions of the same model are, per variable (`walras compare A.nc B.nc`).

Variables are selected by their role (`walras.runtime.schema`): the unknowns and definitions, on
the states' grid, are compared; residuals, convergence evidence and histories are not the
solution, so they are left out. What the two results were solved with (model, parameters,
solver settings) is compared too: where they differ, the differences of the variables are
expected, and the comparison says which inputs differ.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import xarray as xr

from ..settings import Common
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


def not_a_solution(ds: xr.Dataset) -> str | None:
    """Why `ds` is not the result of a solve (no unknown or definition by role), or None."""
    if any(role_of(v) in COMPARED for v in ds.data_vars.values()):
        return None
    if "estimators" in ds.attrs:
        return f"it holds the estimates of factor model '{ds.attrs.get('model', '')}'"
    return "no variable in it has the role of an unknown or a definition"


def _json(ds: xr.Dataset, key: str) -> dict:
    try:
        value = json.loads(ds.attrs.get(key, "{}"))
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _differing(a: dict, b: dict, keys=None) -> dict[str, list]:
    """name -> [value in a, value in b] where they differ (None where one has no such name)."""
    names = [k for k in {**a, **b} if keys is None or k in keys]
    return {k: [a.get(k), b.get(k)] for k in names if a.get(k) != b.get(k)}


def inputs(a: xr.Dataset, b: xr.Dataset) -> dict[str, str]:
    """What the two results were solved with where it differs, as attributes: the model names
    and methods, and as JSON name -> [a, b] the parameters and the settings (all settings for
    one method; with two methods, those every solver reads). Parameters of one model only are
    left out: the model names say that the models differ."""
    pa, pb = _json(a, "parameters"), _json(b, "parameters")
    same_method = a.attrs.get("method") == b.attrs.get("method")
    common = None if same_method else {f.name for f in dataclasses.fields(Common)} - {"method"}
    return {
        "model_a": a.attrs.get("model", ""),
        "model_b": b.attrs.get("model", ""),
        "method_a": a.attrs.get("method", ""),
        "method_b": b.attrs.get("method", ""),
        "differing_parameters": json.dumps(_differing(pa, pb, pa.keys() & pb.keys())),
        "differing_settings": json.dumps(
            _differing(_json(a, "settings"), _json(b, "settings"), common)
        ),
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
    (linearly) onto the points of a's grid that b's grid spans (`uncovered` counts the others),
    and the result says so. The attributes say which inputs differ (`inputs`). Raises ValueError
    when nothing compares."""
    names = comparable(a, b)
    if not names:
        raise ValueError("the two results have no variables on a common state grid")
    dims = [d for d in state_dims(a) if any(d in a[n].dims for n in names)]
    same = all(a[d].size == b[d].size and np.allclose(a[d], b[d], rtol=0, atol=1e-12) for d in dims)
    uncovered = 0
    if not same:
        a, uncovered = _spanned(a, b, dims)
        b = b.interp({d: a[d] for d in dims})
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
    out.attrs.update({**inputs(a, b), "interpolated": int(not same), "uncovered": uncovered})
    return out


def _spanned(a: xr.Dataset, b: xr.Dataset, dims: list[str]) -> tuple[xr.Dataset, int]:
    """a on the part of its grid inside b's (interpolation, not extrapolation), and the number
    of grid points of a left out."""
    keep = {d: (a[d] >= b[d].min()) & (a[d] <= b[d].max()) for d in dims}
    if not all(bool(k.any()) for k in keep.values()):
        raise ValueError("the state grids of the two results do not overlap")
    total = int(np.prod([a[d].size for d in dims]))
    a = a.isel({d: k.values for d, k in keep.items()})
    return a, total - int(np.prod([a[d].size for d in dims]))
