"""`walras compare`: per-variable differences of two results."""

import json

import numpy as np
import pytest
import xarray as xr
from references import lucas_pd, lucas_r

import walras
from walras.cli.comparison import compare_command
from walras.runtime import solvers
from walras.runtime.compare import compare
from walras.runtime.results import write_netcdf
from walras.settings import Settings


def result(x, shift=0.0, method="neural"):
    """A result as the solvers write it: every variable and state coordinate carries its role."""
    q = 1 + x**2 + shift * np.sin(np.pi * x)
    return xr.Dataset(
        {
            "q": ("eta", q, {"role": "unknown"}),
            "r": ("eta", 0.05 + 0 * x, {"role": "definition"}),
            "residual_goods": ("eta", 1e-3 + 0 * x, {"role": "residual"}),
            "loss": ("step", np.ones(3), {"role": "history"}),
            "degree": ((), 8, {"role": "evidence"}),
        },
        coords={"eta": ("eta", x, {"role": "state"})},
        attrs={"model": "m", "method": method},
    )


def test_differences_by_variable():
    x = (np.arange(101) + 0.5) / 101
    table = compare(result(x, method="collocation"), result(x, shift=1e-4))
    assert list(table.variable.values) == ["q", "r"]  # residuals and diagnostics left out
    q = table.sel(variable="q")
    diff = 1e-4 * np.sin(np.pi * x)
    assert float(q.max_abs) == pytest.approx(diff.max(), rel=1e-12)
    assert float(q.mean_abs) == pytest.approx(diff.mean(), rel=1e-12)
    assert float(q.where_eta) == pytest.approx(x[np.argmax(diff)])
    assert float(table.sel(variable="r").max_abs) == 0.0
    assert table.attrs["interpolated"] == 0


def test_different_grids_are_interpolated():
    a, b = result(np.linspace(0.1, 0.9, 9)), result(np.linspace(0, 1, 401))
    table = compare(a, b)
    assert table.attrs["interpolated"] == 1
    assert float(table.sel(variable="q").max_abs) < 1e-5  # linear interpolation of x²


def test_command(tmp_path, capsys):
    x = (np.arange(11) + 0.5) / 11
    write_netcdf(result(x), tmp_path / "a.nc")
    write_netcdf(result(x, shift=1e-3, method="collocation"), tmp_path / "b.nc")
    assert compare_command(str(tmp_path / "a.nc"), str(tmp_path / "b.nc")) == 0
    assert "max |a-b|" in capsys.readouterr().out
    assert compare_command(str(tmp_path / "a.nc"), str(tmp_path / "missing.nc")) == 1
    assert "cannot read" in capsys.readouterr().err


def test_variables_are_selected_by_role_not_name():
    x = (np.arange(11) + 0.5) / 11
    a, b = result(x), result(x, shift=1e-3)
    for ds in (a, b):
        ds["residual_like"] = ("eta", x, {"role": "definition"})  # a definition, whatever its name
        ds["decay"] = ("eta", x, {"role": "evidence"})  # on the grid, but evidence
        ds["untagged"] = ("eta", x)
    assert list(compare(a, b).variable.values) == ["q", "r", "residual_like"]


def test_results_that_cannot_be_compared(tmp_path, capsys):
    x = (np.arange(11) + 0.5) / 11
    write_netcdf(result(x), tmp_path / "a.nc")
    write_netcdf(result(x).rename(eta="y"), tmp_path / "b.nc")
    assert compare_command(str(tmp_path / "a.nc"), str(tmp_path / "b.nc")) == 1
    assert "error[E150]: cannot compare" in capsys.readouterr().err


def test_quantities_by_shock_are_compared_on_the_state_grid():
    x = (np.arange(11) + 0.5) / 11
    a, b = result(x), result(x)
    for ds, shift in ((a, 0.0), (b, 1e-3)):
        vol = np.stack([x, 2 * x + shift * x], axis=-1)
        ds["sigma"] = (("eta", "shock"), vol, {"role": "definition"})
        ds.coords["shock"] = ["Z", "W"]
    row = compare(a, b).sel(variable="sigma")
    assert float(row.max_abs) == pytest.approx(1e-3 * x.max())
    assert float(row.where_eta) == pytest.approx(x.max())


@pytest.fixture(scope="module")
def lucas_4_and_5(tmp_path_factory):
    """Lucas solved by collocation at gamma = 4 and 5 (one compiled model), saved."""
    compiled = walras.load("lucas").compile()
    settings = Settings(method="collocation", degree=8)
    folder = tmp_path_factory.mktemp("lucas")
    paths = []
    for gamma in (4.0, 5.0):
        params = {**compiled.model.params, "gamma": gamma}
        solution = solvers.solve(compiled, settings, params, quiet=True)
        assert solution.converged, solution.message
        paths.append(solution.save(folder / f"gamma{gamma:g}.nc"))
    return paths


def test_different_parameters_are_reported_with_both_values(lucas_4_and_5, capsys):
    a_path, b_path = lucas_4_and_5
    a, b = (xr.load_dataset(p, engine="h5netcdf") for p in lucas_4_and_5)
    table = compare(a, b)
    assert json.loads(table.attrs["differing_parameters"]) == {"gamma": [4.0, 5.0]}
    assert json.loads(table.attrs["differing_settings"]) == {}
    # pd is constant: its difference is that of the closed forms, to the solver's accuracy
    expected = abs(lucas_pd(gamma=4.0) - lucas_pd(gamma=5.0))
    pd = table.sel(variable="pd")
    assert float(pd.max_abs) == pytest.approx(expected, rel=1e-10)
    assert float(pd.mean_abs) == pytest.approx(expected, rel=1e-10)
    r = table.sel(variable="r")
    assert float(r.max_abs) == pytest.approx(abs(lucas_r(gamma=4.0) - lucas_r(gamma=5.0)), rel=1e-9)
    assert compare_command(str(a_path), str(b_path)) == 0
    captured = capsys.readouterr()
    assert "warning[W156]: the results were solved at different parameters" in captured.err
    assert "gamma = 4 (gamma4.nc) vs 5 (gamma5.nc)" in captured.err
    assert "different parameters: gamma = 4 (a) vs 5 (b)" in captured.out
    assert compare_command(str(a_path), str(a_path)) == 0  # the same inputs: nothing more
    captured = capsys.readouterr()
    assert captured.err == "" and "parameters" not in captured.out


def test_other_settings_and_models_are_noted(tmp_path, capsys):
    x = (np.arange(11) + 0.5) / 11
    a, b = result(x), result(x, shift=1e-3)
    a.attrs["settings"] = json.dumps({"method": "neural", "seed": 0, "width": 32})
    b.attrs.update(model="m2", settings=json.dumps({"method": "neural", "seed": 1, "width": 32}))
    write_netcdf(a, tmp_path / "a.nc")
    write_netcdf(b, tmp_path / "b.nc")
    assert compare_command(str(tmp_path / "a.nc"), str(tmp_path / "b.nc")) == 0
    err = capsys.readouterr().err
    assert "warning[W157]: comparing results of different models: 'm' (a.nc) and 'm2' (b.nc)" in err
    assert "note: the solver settings differ: seed = 0 (a.nc) vs 1 (b.nc)" in err
    assert "W156" not in err and "width" not in err


def test_files_that_are_not_results(tmp_path, capsys):
    x = (np.arange(11) + 0.5) / 11
    good = tmp_path / "good.nc"
    write_netcdf(result(x), good)
    (tmp_path / "text.nc").write_text("not a NetCDF file\n")
    xr.Dataset({"a": ("x", x)}).to_netcdf(tmp_path / "plain.nc", engine="h5netcdf")
    estimates = xr.Dataset({"beta": ("asset", x)}, attrs={"model": "ff3", "estimators": "{}"})
    estimates.to_netcdf(tmp_path / "ff3.nc", engine="h5netcdf")
    (tmp_path / "folder.nc").mkdir()
    for name, words in [
        ("text.nc", "error[E134]: cannot read {path}: it is not a NetCDF file"),
        ("folder.nc", "error[E134]: cannot read {path}: it is a folder"),
        ("missing.nc", "error[E134]: cannot read {path}: no such file"),
        ("plain.nc", "error[E158]: {path} is not the result of a solve: no variable"),
        ("ff3.nc", "error[E158]: {path} is not the result of a solve: it holds the estimates "
         "of factor model 'ff3'"),
    ]:  # fmt: skip
        path = tmp_path / name
        assert compare_command(str(good), str(path)) == 1
        err = capsys.readouterr().err
        assert words.format(path=path) in err and "Traceback" not in err


def test_a_grid_wider_than_the_other_is_compared_where_both_are():
    fine, coarse = (np.arange(101) + 0.5) / 101, (np.arange(11) + 0.5) / 11
    table = compare(result(fine), result(coarse))
    assert table.attrs["interpolated"] == 1
    outside = int(np.sum((fine < coarse[0]) | (fine > coarse[-1])))
    assert table.attrs["uncovered"] == outside == 10
    assert np.isfinite(table.max_abs.values).all()
    assert float(table.sel(variable="r").max_abs) == 0.0
