"""`walras plot`: the figure objects carry the descriptions, legends, caption and values.

The datasets are built here, in the results schema of docs/results.md, with values chosen so that
what each figure must show is known: an identity (1 - eta), a constant, a series flat up to 1e-13
noise, a second state, a shock dimension, a factor model's betas and risk premia."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from walras.cli import app
from walras.cli.factor_figures import Z95, factor_figures
from walras.cli.figures import NOT_CONVERGED, solution_figures
from walras.runtime.results import write_netcdf
from walras.runtime.schema import Role, tag

ETA = np.linspace(0.01, 0.99, 41)
LUCAS_TITLE = "Lucas (1978) endowment economy, CRRA representative agent"
# the bundled lucas.econ declares rho = 0.05, gamma = 5, mu = 0.02, sigma = 0.05
PARAMETERS = {"rho": 0.05, "gamma": 4.0, "mu": 0.02, "sigma": 0.05}


def _var(values, role, dims=("eta",), **attrs):
    return tag(xr.DataArray(values, dims=dims), role, **attrs)


def one_state(converged: int = 1) -> xr.Dataset:
    noise = 1e-13 * np.sin(40 * ETA)
    data = {
        "q": _var(1 + ETA**2, Role.UNKNOWN, long_name="price of capital"),
        "pd": _var(9.5238 + noise, Role.UNKNOWN, long_name="price-dividend ratio q/y"),
        "r": _var(0.05 - 0.01 * ETA**3, Role.DEFINITION, long_name="riskless rate"),
        "eta_household": _var(1 - ETA, Role.DEFINITION, long_name="wealth share of household"),
        "mu": _var(np.full_like(ETA, 0.02), Role.DEFINITION),
        "sigma_R": _var(
            np.stack([0.1 * ETA, 0.2 - 0.1 * ETA**2], axis=-1),
            Role.DEFINITION,
            dims=("eta", "shock"),
            long_name="volatility of the return",
        ),
        "residual_x": _var(0 * ETA, Role.RESIDUAL),
    }
    ds = xr.Dataset(data, coords={"eta": ETA, "shock": ["Z1", "Z2"]})
    ds = ds.assign_coords(eta=tag(ds.eta, Role.STATE, long_name="wealth share of experts"))
    ds.attrs.update(
        model="lucas",
        title=LUCAS_TITLE,
        method="collocation",
        converged=converged,
        message="did not reach the tolerance",
        parameters=json.dumps(PARAMETERS),
    )
    return ds


def two_states() -> xr.Dataset:
    s, y = np.linspace(0.01, 0.99, 21), np.linspace(0.5, 2.0, 11)
    ds = xr.Dataset(
        {
            "P": _var(np.outer(s, y), Role.UNKNOWN, dims=("s", "y"), long_name="price of tree 1"),
            "v": _var(np.outer(s, np.ones_like(y)), Role.UNKNOWN, dims=("s", "y")),
        },
        coords={"s": s, "y": y},
    )
    ds = ds.assign_coords(s=tag(ds.s, Role.STATE), y=tag(ds.y, Role.STATE))
    ds.attrs.update(model="two", title="", converged=1, parameters="{}")
    return ds


def caption_of(fig) -> str:
    return next(t.get_text() for t in fig.texts if t.get_gid() == "caption")


@pytest.fixture
def axes():
    figures = solution_figures(one_state())
    yield {ax.get_ylabel(): ax for fig in figures for ax in fig.axes if ax.get_ylabel()}, figures
    plt.close("all")


def test_titles_are_descriptions_with_the_symbol_and_unknowns_come_first(axes):
    by_symbol, figures = axes
    assert list(by_symbol) == ["q", "pd", "r", "sigma_R"]
    assert by_symbol["pd"].get_title() == "price-dividend ratio q/y (pd)"
    assert by_symbol["q"].get_xlabel() == "wealth share of experts (eta)"
    assert by_symbol["sigma_R"].get_title() == "volatility of the return (sigma_R)"


def test_identities_and_constants_are_left_out_and_named_in_the_caption(axes):
    by_symbol, figures = axes
    assert "eta_household" not in by_symbol and "mu" not in by_symbol
    caption = caption_of(figures[0])
    assert "eta_household (affine in eta)" in caption
    assert "mu = 0.02 (constant)" in caption


def test_no_offset_text_and_a_flat_series_is_drawn_flat(axes):
    by_symbol, figures = axes
    figures[0].canvas.draw()
    for ax in by_symbol.values():
        assert ax.yaxis.get_offset_text().get_text() == ""
    low, high = by_symbol["pd"].get_ylim()
    assert low == pytest.approx(9.5238 * 0.95) and high == pytest.approx(9.5238 * 1.05)


def test_shocks_get_a_legend(axes):
    by_symbol, _ = axes
    legend = by_symbol["sigma_R"].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["Z1", "Z2"]
    assert by_symbol["q"].get_legend() is None


def test_the_caption_gives_the_parameters_with_the_overrides_marked(axes):
    _, figures = axes
    caption = caption_of(figures[0])
    assert "rho = 0.05, gamma = 4*, mu = 0.02, sigma = 0.05" in caption
    assert "* differs from the model file" in caption


def test_an_unconverged_result_is_marked_in_title_and_caption():
    (fig,) = solution_figures(one_state(converged=0))
    assert fig._suptitle.get_text().startswith(NOT_CONVERGED)
    assert f"{NOT_CONVERGED} (collocation): did not reach the tolerance" in caption_of(fig)
    plt.close(fig)


def test_a_second_state_is_drawn_as_labelled_slices():
    (fig,) = solution_figures(two_states())
    by_symbol = {ax.get_ylabel(): ax for ax in fig.axes}
    texts = [t.get_text() for t in by_symbol["P"].get_legend().get_texts()]
    assert texts == [f"y = {v:.3g}" for v in (0.5, 0.8, 1.25, 1.7, 2.0)]
    assert len(by_symbol["P"].get_lines()) == 5
    assert by_symbol["v"].get_legend() is None  # v does not depend on y: one line
    assert len(by_symbol["v"].get_lines()) == 1
    plt.close(fig)


def factor_result() -> xr.Dataset:
    assets, factors, methods = ["A", "B", "C", "D"], ["MktRF", "SMB"], ["time_series", "gmm"]
    beta = np.array([[1.1, 0.3], [0.9, -0.2], [1.0, 0.5], [0.8, 0.1]])
    premium = np.array([[0.006, 0.002], [0.007, 0.001]])
    se = np.array([[0.001, 0.0015], [0.002, 0.0005]])
    return xr.Dataset(
        {
            "beta": (("asset", "factor"), beta, {"long_name": "time-series regression beta"}),
            "risk_premium": (("method", "factor"), premium),
            "risk_premium_se": (("method", "factor"), se),
            "alpha": ("asset", [0.001, -0.002, 0.0, 0.003]),
            "alpha_se": ("asset", [0.001, 0.001, 0.002, 0.001]),
        },
        coords={"asset": assets, "factor": factors, "method": methods},
        attrs={"model": "ff2", "first_date": "1990-01-01", "last_date": "2000-12-01"},
    )


def test_betas_are_a_heatmap_of_assets_by_factors():
    ds = factor_result()
    fig = factor_figures(ds)["beta"]
    ax = fig.axes[0]
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), ds.beta.values)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MktRF", "SMB"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    cells = [float(t.get_text()) for t in ax.texts]
    np.testing.assert_allclose(cells, ds.beta.values.ravel(), atol=0.005)
    plt.close("all")


def test_risk_premia_have_error_bars_of_the_standard_errors():
    ds = factor_result()
    ax = factor_figures(ds)["risk_premium"].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["time_series", "gmm"]
    for k, container in enumerate(ax.containers):
        (bars,) = container.lines[2]
        lengths = [seg[1, 1] - seg[0, 1] for seg in bars.get_segments()]
        np.testing.assert_allclose(lengths, 2 * Z95 * ds.risk_premium_se.values[k])
        np.testing.assert_allclose(container.lines[0].get_ydata(), ds.risk_premium.values[k])
    plt.close("all")


def test_plot_command_writes_the_figures_of_both_kinds(tmp_path):
    write_netcdf(one_state(), tmp_path / "sol.nc")
    write_netcdf(factor_result(), tmp_path / "fac.nc")
    runner = CliRunner()
    solution = runner.invoke(app, ["plot", str(tmp_path / "sol.nc"), "-o", str(tmp_path / "s")])
    factors = runner.invoke(app, ["plot", str(tmp_path / "fac.nc"), "-o", str(tmp_path / "f")])
    assert solution.exit_code == 0 and factors.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["lucas_1.png"]
    written = re.findall(r"wrote \S+/(\S+)", factors.output)
    assert written == ["ff2_beta.png", "ff2_risk_premium.png", "ff2_alpha.png"]


def test_a_solved_lucas_economy_is_plotted_in_declaration_order_with_its_overrides():
    import walras

    model = walras.load("lucas").with_params(gamma=4.0)
    ds = walras.solve(model, method="collocation").dataset
    solution = [v for v in ds.data_vars if ds[v].attrs["role"] in ("unknown", "definition")]
    # lucas.econ declares pd, then q, xi, r, sigma_q, mu_q; then the process terms of y
    assert solution == ["pd", "q", "xi", "r", "sigma_q", "mu_q", "drift_y", "vol_y"]
    (fig,) = solution_figures(ds)
    assert [ax.get_ylabel() for ax in fig.axes] == ["pd", "xi"]
    caption = caption_of(fig)
    from references import lucas_r

    assert f"r = {lucas_r(gamma=4.0):.6g} (constant)" in caption  # the closed form
    assert "q (affine in y)" in caption and "drift_y (affine in y)" in caption
    assert "gamma = 4*" in caption and "rho = 0.05," in caption
    plt.close(fig)
