"""`walras compare A.nc B.nc`: how far apart two solutions of the same model are, per variable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

SKIP_PREFIXES = ("residual", "chebyshev_", "loss", "degree", "iterations")
SOLVER_DIMS = {"step", "equation", "piece", "chebyshev_degree"}


def comparable(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Variables of both datasets that live on the state grid, or scalars when the model has no
    states (residuals and solver diagnostics are not the solution, so they are left out)."""
    states = {d for d in a.dims if d in a.coords and d in b.coords} - SOLVER_DIMS
    return [name for name in a.data_vars
            if name in b.data_vars and not name.startswith(SKIP_PREFIXES)
            and set(a[name].dims) == set(b[name].dims) and set(a[name].dims) <= states
            and (a[name].dims or not states)]


def compare(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """Per variable: max and mean |a − b|, the max relative difference |a − b| / max|a|, and the
    state coordinates where the difference is largest. When the grids differ, b is interpolated
    (linearly) onto a's grid, and the result says so."""
    names = comparable(a, b)
    if not names:
        raise ValueError("the two results have no variables on a common state grid")
    dims = [d for d in a.dims if any(d in a[n].dims for n in names)]
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
    out = xr.Dataset({k: ("variable", np.array(v)) for k, v in rows.items()},
                     coords={"variable": names})
    for d, v in where.items():
        out[f"where_{d}"] = ("variable", np.array(v))
    out.attrs.update({"model_a": a.attrs.get("model", ""), "model_b": b.attrs.get("model", ""),
                      "method_a": a.attrs.get("method", ""), "method_b": b.attrs.get("method", ""),
                      "interpolated": int(not same)})
    return out


def compare_command(a_path: str, b_path: str) -> int:
    """Print the comparison as a table; 0 on success, 1 when the files cannot be compared."""
    from rich.console import Console
    from rich.table import Table

    err, out = Console(stderr=True, highlight=False), Console(highlight=False)
    datasets = []
    for path in (a_path, b_path):
        try:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                datasets.append(ds.load())
        except (OSError, ValueError) as e:
            err.print(f"error[E134]: cannot read {path}: {e}", markup=False)
            return 1
    a, b = datasets
    if a.attrs.get("model") != b.attrs.get("model"):
        err.print(f"warning: comparing model '{a.attrs.get('model')}' with "
                  f"'{b.attrs.get('model')}'", markup=False)
    try:
        table = compare(a, b)
    except ValueError as e:
        err.print(f"error[E134]: cannot compare {a_path} and {b_path}: {e}", markup=False)
        return 1
    grid = "b interpolated onto a's grid" if table.attrs["interpolated"] else "same grid"
    view = Table(title=f"{Path(a_path).name} ({table.attrs['method_a']}) vs "
                       f"{Path(b_path).name} ({table.attrs['method_b']}), {grid}")
    for col in ("variable", "max |a-b|", "mean |a-b|", "max |a-b| / max |a|", "largest at"):
        view.add_column(col, justify="left" if col in ("variable", "largest at") else "right")
    states = [k[len("where_"):] for k in table.data_vars if k.startswith("where_")]
    for i, name in enumerate(table["variable"].values):
        at = ", ".join(f"{s} = {float(table[f'where_{s}'][i]):.4g}" for s in states)
        view.add_row(str(name), f"{float(table.max_abs[i]):.2e}", f"{float(table.mean_abs[i]):.2e}",
                     f"{float(table.max_rel[i]):.2e}", at)
    out.print(view)
    return 0
