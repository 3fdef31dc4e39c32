"""The `walras` command: check, compile, solve, plot, compare and estimate.

Presentation lives here (tables, figures, reports); the numbers come from `walras.api` and
`walras.runtime`, which return data and print nothing but progress bars.

Exit codes: 0 success; 1 a mistake in the input (reported with its code, and file:line:col where
there is a place); 2 a solver that did not reach its tolerance (results are still written); 3 a
usage error (an unknown option, a missing argument); 130 interrupted with Ctrl-C, 143 with SIGTERM
(what the solver reached is saved).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console

from ..grammar import ast
from ..grammar.diagnostics import Diagnostic, EconError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Compile and solve continuous-time economic models written in .econ files.",
    epilog="Exit codes: 0 success, 1 a mistake in the input, 2 not converged, 3 a usage error, "
    "130 interrupted (Ctrl-C).",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
METHOD_HELP = "auto (collocation for few continuous states, neural for many) | neural | collocation"


def _fail(e: EconError) -> None:
    err.print(str(e), markup=False)
    raise typer.Exit(1)


def _warn(model) -> None:
    for w in model.warnings:
        err.print(w.render(), markup=False)


def _default(key: str) -> str:
    """The default of solver setting `key`, for the help text."""
    from ..settings import Settings

    return str(getattr(Settings(), key)) or "none"


def _parse_sets(sets: list[str], option: str = "--set", number: bool = True) -> dict:
    """NAME=VALUE items as a dict (values as numbers with `number`)."""
    values = {}
    for item in sets:
        key, sep, value = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            values[key.strip()] = float(value) if number else value.strip()
        except ValueError:
            kind = "NUMBER" if number else "VALUE"
            err.print(f"error[E131]: {option} expects NAME={kind}, got '{item}'", markup=False)
            raise typer.Exit(1) from None
    return values


def _parse_ranges(items: list[str]) -> dict[str, tuple[float, float]]:
    """--over NAME=LO:HI items as a dict of ranges."""
    from ..compiler.parametric import parse_range

    ranges = {}
    for item in items:
        try:
            name, r = parse_range(item)
        except ValueError:
            err.print(f"error[E138]: --over expects NAME=LO:HI, got '{item}'", markup=False)
            raise typer.Exit(1) from None
        ranges[name] = r
    return ranges


@app.command()
def check(
    target: str = typer.Argument(..., help="a .econ file or a library model name"),
    set_: list[str] = typer.Option([], "--set", help="parameter override NAME=VALUE"),
):
    """Parse and check a model; print every error at once."""
    from .. import api
    from ..compiler.factors import factor_specs
    from ..grammar.files import read_text
    from ..models import resolve

    try:
        path = resolve(target)
        module = api.parse_kept(read_text(path), str(path))
        specs = factor_specs(module, path.parent)
        if specs and not any(isinstance(s, ast.ModelDecl) for s in module.statements):
            out.print(f"ok: {len(specs)} factor model(s): {', '.join(specs)}")
            return
        model = api.Model(module, _parse_sets(set_))
        s = model.outline  # derived, or read back from the cache folder
    except EconError as e:
        _fail(e)
    _warn(model)
    out.print(
        f"ok: model '{model.name}': {len(model.states)} state(s), {len(model.unknowns)} "
        f"unknown(s), {len(s.equations)} equation(s), {len(s.boundaries)} boundary "
        f"condition(s)" + (f", {len(s.cycles)} solved cycle(s)" if s.cycles else "")
    )


@app.command(name="compile")
def compile_(
    target: str = typer.Argument(..., help="a .econ file or a library model name"),
    emit: str = typer.Option("latex", help="latex | sympy | econ"),
    set_: list[str] = typer.Option([], "--set", help="parameter override NAME=VALUE"),
):
    """Print the derived equations (or the lowered model as .econ)."""
    from .. import api

    sets = _parse_sets(set_)
    try:
        text = api.load(target, **sets).emit(emit)
    except EconError as e:
        _fail(e)
    sys.stdout.write(text)


@app.command()
def solve(
    target: str = typer.Argument(..., help="a .econ file or a library model name"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write a NetCDF file"),
    set_: list[str] = typer.Option([], "--set", help="parameter override NAME=VALUE"),
    over: list[str] = typer.Option(
        [], "--over", help="solve over a range of a parameter NAME=LO:HI (a dimension each)"
    ),
    method: str | None = typer.Option(
        None,
        show_default=_default("method"),
        help=METHOD_HELP,
    ),
    steps: int | None = typer.Option(
        None, show_default=_default("steps"), help="Adam steps (neural)"
    ),
    polish: int | None = typer.Option(
        None, show_default=_default("polish"), help="Levenberg-Marquardt iterations"
    ),
    degree: int | None = typer.Option(
        None, show_default=_default("degree"), help="Chebyshev degree (collocation)"
    ),
    seed: int | None = typer.Option(None, show_default=_default("seed"), help="random seed"),
    seeds: int | None = typer.Option(
        None,
        show_default=_default("seeds"),
        help="seeds trained at once, a device each (neural): the best by validation is kept, "
        "the spread between them joins the error estimate",
    ),
    homotopy: str | None = typer.Option(
        None,
        show_default=_default("homotopy"),
        help="NAME=VALUE: solve there first, then walk NAME to its value",
    ),
    homotopy_steps: int | None = typer.Option(
        None, show_default=_default("homotopy_steps"), help="steps of the homotopy"
    ),
    edge: float | None = typer.Option(
        None,
        show_default=_default("edge"),
        help="cut states' zero lower edges at this share of their range, log coordinate "
        "(0: only where needed)",
    ),
    solver: list[str] = typer.Option(
        [], "--solver", help="any solver setting NAME=VALUE (width, polish_points, ...)"
    ),
    resume: bool = typer.Option(
        False, "--resume", help="continue from the checkpoint NAME.ckpt beside -o NAME.nc"
    ),
    devices: int | None = typer.Option(
        None,
        "--devices",
        help="devices to shard the neural solver's points over [default: WALRAS_DEVICES, else all]",
    ),
    no_collapse: bool = typer.Option(
        False,
        "--no-collapse",
        help="solve every member of an agent array of identical members, not one for all",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
):
    """Solve a model and report its accuracy; write the results with -o.

    The defaults shown are walras's own; a model's `solver` statement changes them for that model.

    Results never replace a file of another kind (a model, a checkpoint), and the results of a
    run that did not converge never replace a file already at -o: they go beside it, as
    NAME.unconverged.nc. A neural solve keeps its training state in NAME.ckpt; --resume continues
    from it. Ctrl-C (or SIGTERM) stops the solve and saves what it reached (a second one stops
    at once); the exit code is then 130 (143 for SIGTERM).
    """
    from .. import api
    from ..runtime import interrupt

    with interrupt.catching():
        try:
            model = api.load(target, **_parse_sets(set_))
            if over:
                model = model.solved_over(**_parse_ranges(over))
            _warn(model)
            settings = _solve_settings(
                solver,
                method=method,
                steps=steps,
                polish=polish,
                degree=degree,
                seed=seed,
                seeds=seeds,
                homotopy=homotopy,
                homotopy_steps=homotopy_steps,
                edge=edge,
                collapse="off" if no_collapse else None,
            )
            chosen, why = api.method_choice(model, **settings)
            if line := api.collapse_line(model, chosen):
                why = f"{why}\n{line}"
            checkpoint = _check_outputs(output, chosen.method)
            solution = _solve_model(model, settings, checkpoint, resume, quiet, devices, why)
            written = _save(solution, output)
        except EconError as e:
            _fail(e)
        except OSError as e:
            err.print(f"error[E135]: cannot write the results: {e}", markup=False)
            raise typer.Exit(1) from None
        _summary(solution)
        _report(solution, output, written, checkpoint, interrupt.requested())


def _solve_model(
    model, settings: dict, checkpoint: Path | None, resume: bool, quiet: bool, devices, why: str
):
    from .. import api
    from ..runtime import interrupt

    if interrupt.requested():
        err.print("interrupted before the solve; nothing written", markup=False)
        raise typer.Exit(interrupt.by()[1])
    if not quiet:
        err.print(f"solving {model.name}; Ctrl-C stops and saves", markup=False)
    err.print(why, markup=False)
    return api.solve(
        model, checkpoint=checkpoint, resume=resume, quiet=quiet, devices=devices, **settings
    )


def _solve_settings(solver: list[str], **named) -> dict:
    """The solver settings from --solver NAME=VALUE and the named options that are given."""
    return {
        **_parse_sets(solver, "--solver", number=False),
        **{k: v for k, v in named.items() if v is not None},
    }


def _check_outputs(output: Path | None, method: str) -> Path | None:
    """Refuse outputs that would lose a file before solving; the checkpoint path (neural)."""
    from ..runtime.output import check_target

    if output is None:
        return None
    checkpoint = output.with_suffix(".ckpt")
    check_target(output, "results")
    if method != "neural":
        return None
    if check_target(checkpoint, "checkpoint") == check_target(output, "results"):
        err.print(
            f"error[E183]: -o {output} names the checkpoint itself\n"
            "  = hint: give the results a .nc name; the checkpoint goes beside them (NAME.ckpt)",
            markup=False,
        )
        raise typer.Exit(1)
    return checkpoint


def _save(solution, output: Path | None) -> Path | None:
    from ..runtime.results import write_netcdf

    return None if output is None else write_netcdf(solution.dataset, output)


def _report(solution, output, written, checkpoint, interrupted: bool) -> None:
    """Where the results went, and the exit code: 130 interrupted by Ctrl-C (143 by SIGTERM), 2
    not converged."""
    from ..runtime import interrupt

    if written is not None:
        out.print(f"wrote {written}")
        if written != output:
            err.print(f"note: {output} is kept; this run did not converge", markup=False)
    if interrupted:
        kept = f"; continue with --resume (checkpoint {checkpoint})" if checkpoint else ""
        saved = f"results so far in {written}" if written else "nothing written (no -o)"
        name, code = interrupt.by()
        err.print(f"{name}: {solution.message}; {saved}{kept}", markup=False)
        raise typer.Exit(code)
    if not solution.converged:
        codes = sorted({w.code for w in solution.compiled.model.warnings})
        warned = f" (the model warned above: {', '.join(codes)})" if codes else ""
        err.print(f"warning: {solution.message}{warned}", markup=False)
        raise typer.Exit(2)


def _summary(solution) -> None:
    from rich.table import Table

    table = Table(title=f"{solution.compiled.model.name}: {solution.message}")
    table.add_column("equation")
    table.add_column("mean squared residual (fresh points)", justify="right")
    for name, v in solution.validation.items():
        table.add_row(name, f"{v:.3e}")
    out.print(table)
    if solution.errors:
        errors = Table(
            title=f"estimated error (relative; tol_error {solution.settings.tol_error:g})"
        )
        errors.add_column("unknown or control")
        errors.add_column("error", justify="right")
        for name, v in solution.errors.items():
            errors.add_row(name, f"{v:.1e}")
        out.print(errors)
    if solution.derived_errors:
        derived = Table(title="estimated error of the described definitions (relative; reported)")
        derived.add_column("definition")
        derived.add_column("error", justify="right")
        for name, v in solution.derived_errors.items():
            derived.add_row(name, f"{v:.1e}")
        out.print(derived)


@app.command()
def plot(
    results: Path = typer.Argument(..., help="a NetCDF file written by 'walras solve -o'"),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        show_default="RESULTS without its suffix",
        help="folder for the PNGs",
    ),
):
    """Write PNG figures of a solution or of a factor-model estimate."""
    from .comparison import RESULTS_HINT, unreadable
    from .figures import plot_results

    try:
        paths = plot_results(results, output)
    except (OSError, ValueError) as e:
        reason = unreadable(results, e)
        err.print(
            Diagnostic("E133", f"cannot plot {results}: {reason}", None, RESULTS_HINT).render(),
            markup=False,
        )
        raise typer.Exit(1) from None
    for p in paths:
        out.print(f"wrote {p}")


@app.command()
def models():
    """List the bundled models, usable by name in every command."""
    from ..models import library, title

    for name in library():
        out.print(f"{name:<24} {title(name)}", markup=False)


@app.command()
def compare(a: Path = typer.Argument(...), b: Path = typer.Argument(...)):
    """Per-variable differences between two result files."""
    from .comparison import compare_command

    raise typer.Exit(compare_command(str(a), str(b)))


@app.command()
def estimate(
    target: str = typer.Argument(..., help="a .econ file or a library specification"),
    name: str | None = typer.Argument(None, help="one factor_model of the file"),
    output: Path | None = typer.Option(None, "-o", "--output"),
):
    """Estimate factor models and print a summary table."""
    from .factors import estimate_command

    raise typer.Exit(estimate_command(target, name, str(output) if output else None))


def main(args: list[str] | None = None) -> int:
    """The `walras` command with its exit codes (see the module's docstring): usage errors
    exit 3, where click's own convention is 2, which here means "not converged"."""
    try:
        from typer._click.exceptions import UsageError  # typer 0.22 and later
    except ImportError:  # pragma: no cover
        from click.exceptions import UsageError
    from typer import rich_utils

    try:
        code = app(args=args, standalone_mode=False)
    except UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `walras` alone: the help was printed
            return 0
        rich_utils.rich_format_error(e)
        return 3
    return code if isinstance(code, int) else 0


def command() -> None:
    """The `walras` console script: `main`, then the process ends without Python's finalisation,
    which frees every object of every module one by one (a quarter of a second after a warm
    solve: an eighth of its whole process, docs/cache.md). The exit handlers (logging's, JAX's)
    run and the output is flushed first. The usual exit where a thread that it would wait for
    (not a daemon) still runs, or under a profiler or tracer (`python -m cProfile`, which
    writes its figures after the command returns)."""
    code = main()
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not t.daemon for t in others) or sys.getprofile() or sys.gettrace():
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be written
            pass
    os._exit(code)


from . import calibration as _calibration  # noqa: E402, F401  (registers calibrate)
from . import simulation as _simulation  # noqa: E402, F401  (registers simulate, moments, irf)
