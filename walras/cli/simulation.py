"""`walras simulate` and `walras moments`: paths and moments from a result file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from ..grammar.diagnostics import Diagnostic, EconError
from . import app, err, out

if TYPE_CHECKING:
    import xarray as xr


def _read(path: Path) -> xr.Dataset:
    import xarray as xr

    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as e:
        err.print(f"error[E134]: cannot read {path}: {e}", markup=False)
        raise typer.Exit(1) from None


def check_output(output: Path | None, read: Path | None = None) -> None:
    """Refuse (E180), before any work, an output that is a folder, a file of another kind, or
    the file read (`read`), whose results would be replaced by what is derived from them."""
    from ..runtime.output import check_target

    if output is None:
        return
    try:
        check_target(output, "results")
    except EconError as e:
        err.print(e.diagnostics[0].render(), markup=False)
        raise typer.Exit(1) from None
    except OSError as e:
        err.print(f"error[E135]: cannot write the results: {e}", markup=False)
        raise typer.Exit(1) from None
    if read is not None and output.exists() and read.exists() and output.samefile(read):
        diagnostic = Diagnostic(
            "E180",
            f"refusing to write over {output}: it is the file read, whose results would be lost",
            None,
            f"choose another name, such as {output.with_suffix('')}.{{paths,moments,irf}}.nc",
        )
        err.print(diagnostic.render(), markup=False)
        raise typer.Exit(1)


def _dynamics(path: Path):
    from ..runtime.dynamics import from_dataset

    try:
        return from_dataset(_read(path))
    except ValueError as e:
        err.print(f"error[E158]: {path} holds no solution to move: {e}", markup=False)
        raise typer.Exit(1) from None


def _start(values: list[str], dyn):
    from . import _parse_sets

    if not values:
        return None
    given = _parse_sets(values, "--start")
    unknown = [k for k in given if k not in dyn.states]
    if unknown or len(given) != len(dyn.states):
        err.print(
            f"error[E136]: --start needs one STATE=VALUE for each of {', '.join(dyn.states)}",
            markup=False,
        )
        raise typer.Exit(1)
    return [given[s] for s in dyn.states]


def _write(ds: xr.Dataset, output: Path) -> None:
    from ..runtime.results import write_netcdf

    try:
        out.print(f"wrote {write_netcdf(ds, output)}")
    except OSError as e:
        err.print(f"error[E135]: cannot write the results: {e}", markup=False)
        raise typer.Exit(1) from None


def _call(f, *args, **kwargs):
    """f(...), with its complaints about the options (E136) or the model (E137) reported."""
    from ..runtime.stationary import NoStationaryDistribution

    try:
        return f(*args, **kwargs)
    except NoStationaryDistribution as e:
        err.print(f"error[E137]: {e}", markup=False)
    except ValueError as e:
        err.print(f"error[E136]: {e}", markup=False)
    raise typer.Exit(1)


@app.command()
def simulate(
    results: Path = typer.Argument(..., help="a NetCDF file written by 'walras solve -o'"),
    output: Path = typer.Option(..., "-o", "--output", help="the paths, as NetCDF"),
    paths: int = typer.Option(1000, help="number of paths"),
    years: float = typer.Option(100.0, help="length of each path"),
    dt: float = typer.Option(1 / 12, help="time step, years"),
    every: int = typer.Option(1, help="save every this many steps"),
    seed: int = typer.Option(0, help="random seed: the same seed, the same shocks"),
    antithetic: bool = typer.Option(False, help="pair each path with one driven by -dW"),
    edge: str = typer.Option("reflect", help="reflect | absorb at the domain's edges"),
    scheme: str = typer.Option("euler", help="euler | milstein"),
    start: list[str] = typer.Option([], "--start", help="STATE=VALUE (default: the middle)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
):
    """Simulate paths of the states, with every output along them.

    The law of motion and the outputs are interpolated on the result's grid (solve with
    --solver grid=N for a finer one)."""
    from ..runtime.simulate import simulate as run

    check_output(output, results)
    dyn = _dynamics(results)
    ds = _call(
        run,
        dyn,
        paths=paths,
        years=years,
        dt=dt,
        every=every,
        seed=seed,
        antithetic=antithetic,
        edge=edge,
        scheme=scheme,
        start=_start(start, dyn),
        quiet=quiet,
    )
    _write(ds, output)


@app.command()
def moments(
    results: Path = typer.Argument(..., help="a result file, or paths from 'walras simulate'"),
    output: Path | None = typer.Option(None, "-o", "--output", help="density and moments"),
    lag: float = typer.Option(1.0, help="autocorrelation lag, years"),
    burn: float = typer.Option(0.0, help="years of each simulated path to leave out"),
    cells: int | None = typer.Option(None, help="forward-equation cells per state"),
):
    """Means, standard deviations, autocorrelations and quantiles under the stationary
    distribution (forward equation, up to three states), or of simulated paths (with Monte
    Carlo standard errors)."""
    from ..runtime import moments as m
    from ..runtime.stationary import stationary

    check_output(output, results)
    ds = _read(results)
    if "path" in ds.dims:
        table, extra = _call(m.path_moments, ds, burn=burn, lag=lag), None
    else:
        dyn = _dynamics(results)
        table = _call(m.stationary_moments, dyn, cells=cells, lag=lag)
        extra = stationary(dyn, cells=table.attrs["cells"])
    out.print(moments_table(table))
    if output is not None:
        import xarray as xr

        _write(table if extra is None else xr.merge([extra, table]), output)


def moments_table(ds: xr.Dataset) -> Table:
    se = "mean_se" in ds
    title = f"{ds.attrs.get('model', '')}: moments ({ds.attrs.get('source', '')})"
    table = Table(title=title)
    columns = ["variable", "mean", "std", f"autocorr ({ds.attrs['lag']:g}y)"]
    columns += [f"q{q:g}" for q in ds["quantile"].values]
    for c in columns:
        table.add_column(c, justify="left" if c == "variable" else "right")
    for name in ds["variable"].values:
        row = ds.sel(variable=name)
        cell = lambda k: f"{float(row[k]):.4g}" + (f" ± {float(row[k + '_se']):.2g}" if se else "")
        quantiles = [f"{float(v):.4g}" for v in row["quantiles"].values]
        table.add_row(str(name), cell("mean"), cell("std"), cell("autocorrelation"), *quantiles)
    return table


@app.command()
def irf(
    results: Path = typer.Argument(..., help="a NetCDF file written by 'walras solve -o'"),
    output: Path | None = typer.Option(None, "-o", "--output", help="the responses, as NetCDF"),
    start: list[str] = typer.Option([], "--start", help="STATE=VALUE (default: the middle)"),
    stationary: bool = typer.Option(False, help="average over the stationary distribution"),
    size: float = typer.Option(1.0, help="the shock, in standard deviations"),
    paths: int = typer.Option(1000, help="paths per response"),
    years: float = typer.Option(10.0, help="length of the responses"),
    dt: float = typer.Option(1 / 12, help="time step, years"),
    seed: int = typer.Option(0, help="random seed"),
):
    """Impulse responses of the states and outputs to a shock of each Brownian shock."""
    from ..runtime.irf import impulse_responses

    check_output(output, results)
    dyn = _dynamics(results)
    ds = _call(
        impulse_responses,
        dyn,
        start=_start(start, dyn),
        stationary_start=stationary,
        size=size,
        paths=paths,
        years=years,
        dt=dt,
        seed=seed,
    )
    table = Table(title=f"{ds.attrs.get('model', '')}: impulse responses ({size:g} std)")
    shown = [n for n in ds.data_vars if set(ds[n].dims) == {"shock", "time"}]
    marks = [0, len(ds["time"]) // 2, len(ds["time"]) - 1]
    table.add_column("variable")
    table.add_column("shock")
    for i in marks:
        table.add_column(f"t = {float(ds['time'][i]):.3g}", justify="right")
    for name in shown:
        for k in ds["shock"].values:
            values = ds[name].sel(shock=k).values
            table.add_row(name, str(k), *(f"{values[i]:.4g}" for i in marks))
    out.print(table)
    if output is not None:
        _write(ds, output)
