"""`walras compare A.nc B.nc`: the differences of two results as a table."""

from __future__ import annotations

from pathlib import Path

import xarray as xr
from rich.console import Console
from rich.table import Table

from ..runtime.compare import compare

COLUMNS = ("variable", "max |a-b|", "mean |a-b|", "max |a-b| / max |a|", "largest at")


def compare_command(a_path: str, b_path: str) -> int:
    """Print the comparison as a table; 0 on success, 1 when the files cannot be compared."""
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
        err.print(
            f"warning: comparing model '{a.attrs.get('model')}' with '{b.attrs.get('model')}'",
            markup=False,
        )
    try:
        differences = compare(a, b)
    except ValueError as e:
        err.print(f"error[E150]: cannot compare {a_path} and {b_path}: {e}", markup=False)
        return 1
    out.print(comparison_table(differences, Path(a_path).name, Path(b_path).name))
    return 0


def comparison_table(differences: xr.Dataset, a_name: str, b_name: str) -> Table:
    """One row per variable of `walras.runtime.compare.compare`'s result."""
    grid = "b interpolated onto a's grid" if differences.attrs["interpolated"] else "same grid"
    table = Table(
        title=f"{a_name} ({differences.attrs['method_a']}) vs "
        f"{b_name} ({differences.attrs['method_b']}), {grid}"
    )
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("variable", "largest at") else "right")
    where = {v.attrs["state"]: v for v in differences.data_vars.values() if "state" in v.attrs}
    for i, name in enumerate(differences["variable"].values):
        at = ", ".join(f"{s} = {float(v[i]):.4g}" for s, v in where.items())
        table.add_row(
            str(name),
            f"{float(differences.max_abs[i]):.2e}",
            f"{float(differences.mean_abs[i]):.2e}",
            f"{float(differences.max_rel[i]):.2e}",
            at,
        )
    return table
