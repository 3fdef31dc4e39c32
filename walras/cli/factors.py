"""`walras estimate FILE [NAME] [-o out.nc]`: estimate, print paper-style tables, write NetCDF."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..grammar.diagnostics import EconError
from ..runtime.factors import estimate
from ..runtime.factors.api import NOT_FINITE
from ..runtime.factors.data import rows
from ..runtime.results import write_netcdf

FIT_STATISTICS = (
    "r2_total",
    "r2_pred",
    "r2_total_oos",
    "r2_pred_oos",
    "rmse_total_oos",
    "mae_total_oos",
    "rmse_pred_oos",
    "mae_pred_oos",
    "factor_sharpe_oos",
    "alpha_test_pvalue",
    "ntk_r2_oos",
)


def estimate_command(target: str, name: str | None, output: str | None) -> int:
    """Run `estimate`; 0 on success, 1 on a user error, 2 on estimates that are not finite
    (NOT_FINITE); errors are rendered to stderr."""
    console = Console()
    try:
        result = estimate(target, name)
    except EconError as e:
        print(e.render(), file=sys.stderr)
        return 2 if any(d.code == NOT_FINITE for d in e.diagnostics) else 1
    results = result if isinstance(result, dict) else {result.attrs["model"]: result}
    for ds in results.values():
        for note in data_notes(ds):
            console.print(note, style="bold", markup=False, soft_wrap=True)
        for table in summary_tables(ds):
            console.print(table)
    if output:
        out = Path(output)
        for key, ds in results.items():
            path = out if len(results) == 1 else out.with_name(f"{out.stem}_{key}{out.suffix}")
            try:
                console.print(f"wrote {write_netcdf(ds, path)}")
            except EconError as e:
                print(e.render(), file=sys.stderr)
                return 1
            except OSError as e:
                print(f"error[E135]: cannot write the results: {e}", file=sys.stderr)
                return 1
    return 0


def data_notes(ds: xr.Dataset) -> list[str]:
    """What the estimates leave out of the data: rows dropped for missing values (wide data,
    with the columns that had them and the first dates), cells not observed (panels)."""
    a, notes = ds.attrs, []
    if a.get("dropped_rows"):
        dropped, used = int(a["dropped_rows"]), int(a["nobs"])
        columns = json.loads(a.get("dropped_columns", "{}"))
        where = ", ".join(f"{name} ({rows(n)})" for name, n in columns.items())
        notes.append(
            f"note: {dropped} of {dropped + used} rows dropped for missing values in {where}: "
            f"{a.get('dropped_dates', '')}. The estimates use the other {rows(used)}."
        )
    if "observed_cells" in a and {"time", "asset"} <= set(ds.sizes):
        cells = ds.sizes["time"] * ds.sizes["asset"]
        if int(a["observed_cells"]) < cells:
            notes.append(
                f"note: {int(a['observed_cells'])} of {cells} (entity, date) cells observed; "
                "the others lack the return or a characteristic and are left out."
            )
    return notes


def summary_tables(ds: xr.Dataset) -> list[Table]:
    """The tables that apply to this result: risk premia by method (t-statistics in
    parentheses), alphas and betas, latent loadings, fit statistics."""
    a = ds.attrs
    title = (
        f"{a.get('model', '')}: {a.get('title', '')}  "
        f"(T = {a.get('nobs')}, {a.get('first_date')} to {a.get('last_date')})"
    )
    tables = []
    if "risk_premium" in ds and ds.sizes.get("method"):
        tables.append(risk_premia_table(ds, title))
    if "hj_bound" in ds:
        tables.append(hansen_jagannathan_table(ds, title if not tables else "Hansen-Jagannathan"))
    if "alpha" in ds:
        tables.append(regressions_table(ds))
    if "window_length" in ds:
        tables.append(rolling_table(ds))
    if "gamma" in ds:
        tables.append(loadings_table(ds, title if not tables else "latent factors"))
    fit = [v for v in FIT_STATISTICS if v in ds and "alpha" not in ds]
    if fit:
        tables.append(fit_table(ds, fit))
    return tables


def _cell(value: float, se: float | None = None, digits: int = 4) -> str:
    """A number, with its t-statistic below in parentheses when a standard error is given."""
    if value is None or not np.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    if se is not None and np.isfinite(se) and se > 0:
        text += f"\n({value / se:.2f})"
    return text


def _test(stat: float, pvalue: float) -> str:
    """A test statistic with its p-value, escaped so that Rich does not read "[p …]" as markup."""
    p = f"p {pvalue:.3f}" if np.isfinite(pvalue) else "exactly identified"
    return escape(f"{stat:.2f} [{p}]")


def risk_premia_table(ds: xr.Dataset, title: str) -> Table:
    """Risk premia per factor and method, the tests of the pricing errors, cross-sectional R²."""
    methods = ds.method.values
    t = Table(title=title, caption="risk premia per period; t-statistics in parentheses")
    t.add_column("factor")
    for m in methods:
        t.add_column(str(m), justify="right")
    for f in ds.factor.values:
        at = [{"method": m, "factor": f} for m in methods]
        t.add_row(
            str(f),
            *[_cell(float(ds.risk_premium.sel(k)), float(ds.risk_premium_se.sel(k))) for k in at],
        )
    t.add_section()
    by_method = [{"method": m} for m in methods]
    t.add_row(
        "test of pricing errors",
        *[_test(float(ds.j_stat.sel(k)), float(ds.j_pvalue.sel(k))) for k in by_method],
    )
    for v, label in (
        ("r2_cs", "cross-sectional R², no intercept"),
        ("r2_cs_intercept", "cross-sectional R², OLS with intercept"),
    ):
        if v in ds:
            t.add_row(label, *[_cell(float(ds[v].sel(k)), digits=3) for k in by_method])
    return t


def hansen_jagannathan_table(ds: xr.Dataset, title: str) -> Table:
    """The HJ bound against the factors' and the premia's SDF volatility, and the HJ distance."""
    t = Table(title=title, caption="Sharpe ratios and σ(m)/E(m) per period")
    t.add_column("statistic")
    t.add_column("value", justify="right")
    t.add_row("HJ bound: max Sharpe ratio of the test assets", f"{float(ds.hj_bound):.4f}")
    t.add_row("max Sharpe ratio of the factors", f"{float(ds.factor_sharpe):.4f}")
    if "sdf_volatility" in ds:
        for m in ds.method.values:
            vol = float(ds.sdf_volatility.sel({"method": m}))
            t.add_row(f"σ(m)/E(m) implied by the {m} premia", f"{vol:.4f}")
    p = float(ds.hj_distance_pvalue)
    t.add_row("HJ distance", escape(f"{float(ds.hj_distance):.4f} [p {p:.3f}]"))
    return t


def regressions_table(ds: xr.Dataset) -> Table:
    """Time-series regressions: alpha, betas and R² per asset, with the GRS test."""
    t = Table(
        title="time-series regressions",
        caption=f"GRS F = {float(ds.grs):.3f} "
        f"(p = {float(ds.grs_pvalue):.4f}); t-statistics in parentheses",
    )
    t.add_column("asset")
    t.add_column("alpha", justify="right")
    for f in ds.factor.values:
        t.add_column(f"beta {f}", justify="right")
    t.add_column("R²", justify="right")
    for a in ds.asset.values:
        row = [_cell(float(ds.alpha.sel(asset=a)), float(ds.alpha_se.sel(asset=a)))]
        row += [
            _cell(
                float(ds.beta.sel(asset=a, factor=f)), float(ds.beta_se.sel(asset=a, factor=f)), 3
            )
            for f in ds.factor.values
        ]
        row.append(_cell(float(ds.r2.sel(asset=a)), digits=3))
        t.add_row(str(a), *row)
    return t


def rolling_table(ds: xr.Dataset) -> Table:
    """The rolling windows: their length and count, and the optimal windows (eq. 22) when asked."""
    ends = ds.window_end.values
    t = Table(
        title="rolling windows",
        caption=f"window length {int(ds.window_length)} periods, {len(ends)} windows ending "
        f"{str(ends[0])[:10]} to {str(ends[-1])[:10]}",
    )
    if "optimal_window" not in ds:
        t.add_column("window length", justify="right")
        t.add_row(str(int(ds.window_length)))
        return t
    t.add_column("optimal window (Chinco 2014, eq. 22)")
    for f in ds.factor.values:
        t.add_column(str(f), justify="right")
    for a in ds.asset.values:
        w = [float(ds.optimal_window.sel(asset=a, factor=f)) for f in ds.factor.values]
        t.add_row(str(a), *[f"{v:.0f}" if np.isfinite(v) else "" for v in w])
    return t


def loadings_table(ds: xr.Dataset, title: str) -> Table:
    """Loadings of the latent factors on the characteristics (Γ, and Γ_α when estimated)."""
    t = Table(title=title, caption="loadings on characteristics (Γ)")
    t.add_column("characteristic")
    for f in ds.factor.values:
        t.add_column(str(f), justify="right")
    if "gamma_alpha" in ds:
        t.add_column("Γ_α", justify="right")
    for c in ds.characteristic.values:
        row = [
            _cell(float(ds.gamma.sel(characteristic=c, factor=f)), digits=3)
            for f in ds.factor.values
        ]
        if "gamma_alpha" in ds:
            row.append(_cell(float(ds.gamma_alpha.sel(characteristic=c)), digits=3))
        t.add_row(str(c), *row)
    return t


def fit_table(ds: xr.Dataset, names: list[str]) -> Table:
    """Scalar fit statistics, labelled by their long names."""
    t = Table(title="fit")
    t.add_column("statistic")
    t.add_column("value", justify="right")
    for v in names:
        t.add_row(ds[v].attrs.get("long_name", v), f"{float(ds[v]):.4f}")
    return t
