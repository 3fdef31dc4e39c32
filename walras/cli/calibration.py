"""`walras calibrate`: parameters that match target outputs, from one parametric solve."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..grammar.diagnostics import EconError
from . import (
    METHOD_HELP,
    _fail,
    _parse_ranges,
    _parse_sets,
    _solve_settings,
    _warn,
    app,
    err,
    out,
)


@app.command()
def calibrate(
    target: str = typer.Argument(..., help="a .econ file or a library model name"),
    targets: Path = typer.Option(
        ..., "--target", help="a TOML file of targets (docs/simulation.md)"
    ),
    over: list[str] = typer.Option(
        [], "--over", help="a further parameter to choose, NAME=LO:HI (adds to [parameters])"
    ),
    set_: list[str] = typer.Option([], "--set", help="parameter override NAME=VALUE"),
    method: str | None = typer.Option(None, help=METHOD_HELP),
    degree: int | None = typer.Option(None, help="Chebyshev degree (collocation)"),
    solver: list[str] = typer.Option([], "--solver", help="any solver setting NAME=VALUE"),
    cells: int | None = typer.Option(None, help="cells per state of the forward equation"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the fit (NetCDF)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
):
    """Choose parameters so that the model's outputs match the targets of a TOML file.

    The model is solved once over the box of the parameters to choose; then least squares moves
    them inside it. Reports the parameters, the fit and the sensitivity of each output to each
    parameter."""
    from .. import api
    from ..runtime import calibrate as cal
    from .simulation import check_output

    check_output(output)
    try:
        goals = cal.read_targets(targets)
        goals.ranges.update(_parse_ranges(over))
        model = api.load(target, **_parse_sets(set_)).solved_over(**goals.ranges)
        _warn(model)
        cal.check_names(model.compile(), goals)
        settings = _solve_settings(solver, method=method, degree=degree)
        if not quiet:
            err.print(f"solving {model.name} over {', '.join(goals.ranges)}", markup=False)
        err.print(api.method_choice(model, **settings)[1], markup=False)
        solution = api.solve(model, quiet=quiet, **settings)
        if not solution.converged:
            err.print(f"warning: {solution.message}", markup=False)
        fit = cal.calibrate(solution, goals, cells)
    except EconError as e:
        _fail(e)
    _print(fit)
    if output is not None:
        from .simulation import _write

        _write(fit.dataset, output)


def _print(fit) -> None:
    params = Table(title=f"calibrated parameters ({fit.mode}; {fit.message})")
    params.add_column("parameter")
    params.add_column("value", justify="right")
    params.add_column("range", justify="right")
    for p, v in fit.parameters.items():
        lo, hi = fit.targets.ranges[p]
        params.add_row(p, f"{v:.8g}", f"[{lo:g}, {hi:g}]")
    out.print(params)
    table = Table(title=f"fit (weighted sum of squares {fit.cost:.3g})")
    for column in ("output", "target", "fitted", *(f"d/d{p}" for p in fit.parameters)):
        table.add_column(column, justify="left" if column == "output" else "right")
    for i, (name, goal) in enumerate(fit.targets.values.items()):
        row = [f"{goal:.8g}", f"{fit.fitted[name]:.8g}", *(f"{j:.4g}" for j in fit.jacobian[i])]
        table.add_row(name, *row)
    out.print(table)
