"""Figures of a factor-model estimate (`walras estimate -o`): loadings as heatmaps (betas: assets
x factors; IPCA's Γ: characteristics x factors), risk premia per factor and method with error
bars, alphas per asset with error bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ..runtime.schema import state_dims

Z95 = 1.96  # error bars: ±1.96 standard errors, a 95% interval
HEATMAPS = {"beta": ("asset", "factor"), "gamma": ("characteristic", "factor")}


def is_factor_result(ds: xr.Dataset) -> bool:
    """Whether `ds` holds an estimate of a factor model rather than a solution."""
    return "factor" in ds.dims and not state_dims(ds)


def factor_figures(ds: xr.Dataset) -> dict[str, plt.Figure]:
    """The figures that apply to this estimate, by the name of the variable each shows."""
    figures = {v: heatmap(ds, v) for v, dims in HEATMAPS.items() if v in ds and ds[v].dims == dims}
    if "risk_premium" in ds and "risk_premium_se" in ds:
        figures["risk_premium"] = risk_premia(ds)
    if "alpha" in ds and "alpha_se" in ds:
        figures["alpha"] = alphas(ds)
    return figures


def plot_factors(ds: xr.Dataset, stem: Path) -> list[Path]:
    """Write the figures of an estimate as `STEM_<variable>.png`."""
    paths = []
    for name, fig in factor_figures(ds).items():
        path = Path(f"{stem}_{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def _title(ds: xr.Dataset, what: str) -> str:
    a = ds.attrs
    period = f" ({a['first_date']} to {a['last_date']})" if "first_date" in a else ""
    return f"{a.get('model', '')}: {what}{period}"


def heatmap(ds: xr.Dataset, name: str) -> plt.Figure:
    """A rows x factors matrix as coloured cells with their values written in."""
    da = ds[name]
    rows, cols = da.dims
    values = da.values
    fig, ax = plt.subplots(figsize=(1.2 * da.sizes[cols] + 3, 0.4 * da.sizes[rows] + 1.8))
    bound = float(np.nanmax(np.abs(values))) or 1.0
    image = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    ax.set_xticks(range(da.sizes[cols]), [str(v) for v in da[cols].values])
    ax.set_yticks(range(da.sizes[rows]), [str(v) for v in da[rows].values])
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)
    for (i, j), v in np.ndenumerate(values):
        dark = abs(v) > 0.6 * bound
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize="small",
                color="white" if dark else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, label=name)
    ax.set_title(_title(ds, f"{da.attrs.get('long_name', name)} ({name})"), fontsize="medium")
    fig.tight_layout()
    return fig


def risk_premia(ds: xr.Dataset) -> plt.Figure:
    """Risk premium per factor, one marker per method, with ±1.96 standard errors."""
    methods, factors = ds.method.values, ds.factor.values
    fig, ax = plt.subplots(figsize=(1.6 * len(factors) + 3, 3.6))
    width = 0.7 / len(methods)
    for k, m in enumerate(methods):
        at = np.arange(len(factors)) + (k - (len(methods) - 1) / 2) * width
        value = ds.risk_premium.isel(method=k).values
        se = ds.risk_premium_se.isel(method=k).values
        ax.errorbar(at, value, yerr=Z95 * se, fmt="o", capsize=3, label=str(m))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(len(factors)), [str(f) for f in factors])
    ax.set_xlabel("factor")
    ax.set_ylabel("risk premium per period")
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.legend(title="method", fontsize="small")
    ax.set_title(_title(ds, "risk premia, ±1.96 standard errors"), fontsize="medium")
    fig.tight_layout()
    return fig


def alphas(ds: xr.Dataset) -> plt.Figure:
    """Time-series alpha per asset with ±1.96 standard errors, and the GRS test in the title."""
    assets = ds.asset.values
    fig, ax = plt.subplots(figsize=(0.5 * len(assets) + 3, 3.6))
    ax.errorbar(range(len(assets)), ds.alpha.values, yerr=Z95 * ds.alpha_se.values, fmt="o",
                capsize=3)  # fmt: skip
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(len(assets)), [str(a) for a in assets], rotation=45, ha="right")
    ax.set_xlabel("asset")
    ax.set_ylabel("alpha per period")
    ax.ticklabel_format(axis="y", useOffset=False)
    grs = f"; GRS p = {float(ds.grs_pvalue):.3g}" if "grs_pvalue" in ds else ""
    ax.set_title(_title(ds, f"alphas, ±1.96 standard errors{grs}"), fontsize="medium")
    fig.tight_layout()
    return fig
