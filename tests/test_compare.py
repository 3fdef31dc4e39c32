"""`walras compare`: per-variable differences of two results."""

import numpy as np
import pytest
import xarray as xr

from walras.cli.comparison import compare_command
from walras.runtime.compare import compare
from walras.runtime.results import write_netcdf


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
