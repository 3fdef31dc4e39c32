"""`walras compare A.nc B.nc`: the differences of two results as a table, and what the two were
solved with where it differs (model, parameters, settings)."""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr
from rich.console import Console
from rich.table import Table

from ..grammar.diagnostics import Diagnostic
from ..runtime.compare import compare, inputs, not_a_solution

COLUMNS = ("variable", "max |a-b|", "mean |a-b|", "max |a-b| / max |a|", "largest at")
RESULTS_HINT = "pass NetCDF files written by 'walras solve -o' or Solution.save"


def compare_command(a_path: str, b_path: str) -> int:
    """Print the comparison as a table; 0 on success, 1 when the files cannot be compared."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    datasets = []
    for path in (a_path, b_path):
        ds, problem = read_result(Path(path))
        if problem is not None:
            err.print(problem.render(), markup=False)
            return 1
        datasets.append(ds)
    a, b = datasets
    names = Path(a_path).name, Path(b_path).name
    for line in input_warnings(inputs(a, b), *names):
        err.print(line, markup=False, style="bold yellow")
    try:
        differences = compare(a, b)
    except ValueError as e:
        err.print(f"error[E150]: cannot compare {a_path} and {b_path}: {e}", markup=False)
        return 1
    out.print(comparison_table(differences, *names))
    return 0


def unreadable(path: Path, e: Exception) -> str:
    """Why a results file could not be opened, in words."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "it is a folder"
    return "it is not a NetCDF file" if "signature" in str(e) else str(e)


def read_result(path: Path) -> tuple[xr.Dataset | None, Diagnostic | None]:
    """The result stored at `path`, or the coded reason it cannot be compared."""
    try:
        with xr.open_dataset(path, engine="h5netcdf", phony_dims="access") as ds:
            ds = ds.load()
    except (OSError, ValueError, TypeError, KeyError) as e:
        reason = unreadable(path, e)
        return None, Diagnostic("E134", f"cannot read {path}: {reason}", None, RESULTS_HINT)
    why = not_a_solution(ds)
    if why is not None:
        message = f"{path} is not the result of a solve: {why}"
        return None, Diagnostic("E158", message, None, RESULTS_HINT)
    return ds, None


def input_warnings(attrs: dict, a_name: str, b_name: str) -> list[str]:
    """What the two results were solved with (`walras.runtime.compare.inputs`), where it
    differs: another model (W157), other parameters (W156), other settings (a note)."""
    lines = []
    if attrs["model_a"] != attrs["model_b"]:
        message = (
            f"comparing results of different models: '{attrs['model_a']}' ({a_name}) "
            f"and '{attrs['model_b']}' ({b_name})"
        )
        lines.append(Diagnostic("W157", message).render())
    parameters = json.loads(attrs["differing_parameters"])
    if parameters:
        message = (
            "the results were solved at different parameters, so their differences below are "
            "expected, not errors:"
        )
        notes = tuple(_values(k, v, a_name, b_name) for k, v in parameters.items())
        lines.append(Diagnostic("W156", message, None, None, notes).render())
    settings = json.loads(attrs["differing_settings"])
    if settings:
        lines.append(
            "note: the solver settings differ: "
            + "; ".join(_values(k, v, a_name, b_name) for k, v in settings.items())
        )
    return lines


def _values(name: str, values: list, a_name: str, b_name: str) -> str:
    a, b = ("(none)" if v is None else f"{v:.6g}" if isinstance(v, float) else v for v in values)
    return f"{name} = {a} ({a_name}) vs {b} ({b_name})"


def comparison_table(differences: xr.Dataset, a_name: str, b_name: str) -> Table:
    """One row per variable of `walras.runtime.compare.compare`'s result."""
    attrs = differences.attrs
    grid = "b interpolated onto a's grid" if attrs["interpolated"] else "same grid"
    if attrs.get("uncovered"):
        grid += f" ({attrs['uncovered']} points of a's grid outside b's left out)"
    parameters = json.loads(attrs.get("differing_parameters", "{}"))
    table = Table(
        title=f"{a_name} ({attrs['method_a']}) vs {b_name} ({attrs['method_b']}), {grid}",
        caption="different parameters: "
        + ", ".join(_values(k, v, "a", "b") for k, v in parameters.items())
        if parameters
        else None,
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
