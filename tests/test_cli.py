"""The command line and the Python API end to end on library models."""

import json
import subprocess
import sys

import numpy as np
import pytest
import typer
import xarray as xr
from references import lucas_pd
from typer.testing import CliRunner

import walras
from walras.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("name", walras.api.library())
def test_check_every_library_model(name):
    result = run("check", name)
    assert result.exit_code == 0, result.output
    if not name.startswith("ff"):
        assert result.output.startswith(f"ok: model '{name}'")


def test_check_reports_every_error_and_exits_1(tmp_path):
    bad = tmp_path / "bad.econ"
    bad.write_text(
        walras.api.resolve("lucas")
        .read_text()
        .replace("y^(-gamma)", "y^(-gama)")
        .replace("vol[Z]", "vol[W]")
    )
    result = run("check", bad)
    assert result.exit_code == 1
    assert f"{bad}:11:" in result.output and f"{bad}:16:" in result.output
    assert "did you mean 'gamma'?" in result.output
    assert "2 errors found" in result.output
    assert "Traceback" not in result.output


def test_compile_emits_latex_and_sympy():
    latex = run("compile", "brusan_log", "--emit", "latex")
    assert latex.exit_code == 0
    assert r"\sigma_{q} &=" in latex.output and r"\perp" in latex.output
    text = run("compile", "lucas", "--emit", "sympy")
    assert "mu_q = " in text.output and "equation stock_euler" in text.output
    assert run("compile", "lucas", "--emit", "pdf").exit_code == 1


def test_solve_writes_netcdf_and_plots(tmp_path):
    out = tmp_path / "lucas.nc"
    result = run(
        "solve",
        "lucas",
        "-o",
        out,
        "--method",
        "collocation",
        "--degree",
        8,
        "-q",
        "--set",
        "gamma=4",
    )
    assert result.exit_code == 0, result.output
    ds = xr.open_dataset(out, engine="h5netcdf")
    np.testing.assert_allclose(ds["pd"].values, lucas_pd(gamma=4.0), rtol=1e-12)
    assert ds.attrs["param_gamma"] == 4.0 and ds.attrs["model"] == "lucas"
    ds.close()
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind
    plotted = run("plot", out, "-o", tmp_path / "figs")
    assert plotted.exit_code == 0, plotted.output
    assert len(list((tmp_path / "figs").glob("*.png"))) >= 2


@pytest.mark.slow  # the suite's time on two cores
def test_solve_with_a_cut_edge(tmp_path):
    """--edge cuts η = 0 from the start (the numbers are checked in test_collocation.py)."""
    out = tmp_path / "rs.nc"
    result = run(
        "solve", "risk_sharing", "--method", "collocation", "--edge", 1e-4, "-o", out, "--quiet"
    )
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert "zero edges cut at 0.0001" in ds.attrs["message"]
        assert "on the whole domain" not in ds.attrs["message"]
        assert float(ds["edge_change_omega_bold"].max()) < 1e-4


def test_solve_says_which_method_it_chose_and_why(tmp_path):
    """Lucas, without flags: collocation (one continuous state), within 1e-12 of the closed form."""
    result = run("solve", "lucas", "--degree", 8, "-q", "-o", tmp_path / "lucas.nc")
    assert result.exit_code == 0, result.output
    assert "method collocation: 1 continuous state: collocation up to 4" in result.output
    with xr.open_dataset(tmp_path / "lucas.nc", engine="h5netcdf") as ds:
        assert ds.attrs["method"] == "collocation"
        np.testing.assert_allclose(ds["pd"].values, lucas_pd(), rtol=1e-12)


@pytest.mark.slow
def test_solve_that_misses_its_tolerance_exits_2(tmp_path):
    result = run(
        "solve",
        "lucas",
        "-o",
        tmp_path / "short.nc",
        "--method",
        "collocation",
        "--solver",
        "iterations=1",
        "--quiet",
    )
    assert result.exit_code == 2
    assert (tmp_path / "short.nc").exists()


def test_a_failed_solve_points_to_the_models_warnings(capsys):
    """Exit 2 names the warnings the model gave before the solve (leverage_cap with a cap
    below the market portfolio: W223), which may say why; a model without any names none."""
    from types import SimpleNamespace

    from walras.cli import _report

    for params, tail in ((dict(cap=0.8), " (the model warned above: W223)"), ({}, "")):
        compiled = walras.load("leverage_cap").with_params(**params).compile()
        failed = SimpleNamespace(compiled=compiled, converged=False, message="not converged")
        with pytest.raises(typer.Exit) as e:
            _report(failed, None, None, None, interrupted=False)
        assert e.value.exit_code == 2
        assert capsys.readouterr().err.strip().endswith(f"not converged{tail}")


def test_user_errors_exit_1_without_traceback():
    for args in (
        ("solve", "lucass"),
        ("solve", "lucas", "--set", "gamm=3"),
        ("solve", "lucas", "--set", "gamma"),
        ("solve", "lucas", "--solver", "widht=8"),
        ("solve", "lucas", "--solver", "width"),
        ("solve", "lucas", "--solver", "width=a"),
    ):
        result = run(*args)
        assert result.exit_code == 1, args
        assert "Traceback" not in result.output
    assert "did you mean 'lucas'?" in run("solve", "lucass").output
    assert "did you mean 'width'?" in run("solve", "lucas", "--solver", "widht=8").output


def test_any_solver_setting_from_the_command_line(tmp_path):
    """`--solver NAME=VALUE` reaches every setting: here an LM-only solve of the one-agent economy
    (no Adam steps, 50 polish iterations) lands on the Lucas closed form."""
    out = tmp_path / "lucas.nc"
    result = run(
        "solve",
        "lucas_economy",
        "--solver",
        "method=neural",
        "--solver",
        "steps=0",
        "--solver",
        "polish=50",
        "-o",
        out,
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert abs(float(ds["pd"]) - lucas_pd()) < 1e-10
        settings = json.loads(ds.attrs["settings"])
    assert (settings["steps"], settings["polish"]) == (0, 50)


def test_console_script_is_installed():
    done = subprocess.run(
        [sys.executable, "-m", "walras.cli", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "solve" in done.stdout


def test_the_command_ends_with_its_exit_code_and_its_output_and_leaves_a_profile(tmp_path):
    """`walras` ends the process itself (no finalisation): the exit code and every line still
    come out; under `python -m cProfile` the usual exit, so the profile is written."""
    command = [sys.executable, "-m", "walras.cli", "check", "lucas"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("ok: model 'lucas'")
    missing = subprocess.run([*command[:-1], "nosuchmodel"], capture_output=True, text=True)
    assert missing.returncode == 1 and "error[E130]" in missing.stderr
    profile = tmp_path / "walras.prof"
    profiled = [sys.executable, "-m", "cProfile", "-o", str(profile), *command[1:]]
    assert subprocess.run(profiled, capture_output=True).returncode == 0
    assert profile.stat().st_size > 0


def test_python_api_round_trip(tmp_path):
    model = walras.load("lucas").with_params(gamma=3.0)
    assert model.params["gamma"] == 3.0 and model.states == ("y",) and model.unknowns == ("pd",)
    compiled = model.compile()
    assert compiled.equations == ("stock_euler",)
    solution = walras.solve(model, method="collocation", degree=8)
    np.testing.assert_allclose(
        solution.evaluate(np.array([[1.0]]))["pd"].values, lucas_pd(gamma=3.0), rtol=1e-12
    )
    path = solution.save(tmp_path / "out.nc")
    assert xr.open_dataset(path, engine="h5netcdf")["pd"].dims == ("y",)


def test_usage_errors_exit_3_and_the_help_lists_the_exit_codes():
    from walras.cli import main

    for args in (["solve", "lucas", "--bogus"], ["solve"], ["nosuchcommand"], ["--steps", "3"]):
        assert main(args) == 3, args
    assert main(["--help"]) == 0

    def walras_cli(*args):
        command = [sys.executable, "-m", "walras.cli", *args]
        return subprocess.run(command, capture_output=True, text=True)

    done = walras_cli("solve", "lucas", "--stpes", "3")
    assert done.returncode == 3 and "No such option" in done.stderr
    shown = walras_cli("--help")
    assert shown.returncode == 0 and "3 a usage error" in " ".join(shown.stdout.split())


def test_a_solve_out_of_memory_is_a_coded_error_not_a_traceback(monkeypatch):
    """XLA's RESOURCE_EXHAUSTED (here a real allocation of 1.6 TB) becomes E143 with a hint."""
    import jax.numpy as jnp

    from walras.runtime.solvers import registry

    class Greedy:
        def solve(self, problem, settings, options):
            return jnp.ones((200_000, 200_000, 10))

    monkeypatch.setattr(registry, "get", lambda name: Greedy())
    result = run("solve", "lucas", "--method", "collocation", "--quiet")
    assert result.exit_code == 1
    assert "error[E143]" in result.output and "ran out of memory" in result.output
    assert "--degree" in result.output and "Traceback" not in result.output
