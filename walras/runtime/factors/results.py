"""Factor-model results as one labelled xarray Dataset per specification."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from ...compiler.factors import FactorSpec
from .gmm import GMM
from .hj import HJ, sdf_volatility
from .timeseries import TimeSeries
from .twopass import SE_KINDS, TwoPass

METHODS = ("time_series", "fama_macbeth", "gmm")


def observed(
    spec: FactorSpec,
    dates: pd.DatetimeIndex,
    assets,
    factors,
    mean_return: np.ndarray,
    ts: TimeSeries | None,
    fm: TwoPass | None,
    gm: GMM | None,
) -> xr.Dataset:
    """Tests of a model with traded factors: betas, alphas, risk premia by method, GRS, J-tests."""
    fits = {m: fit for m, fit in zip(METHODS, (ts, fm, gm)) if fit is not None}
    ds = _by_method(fits, assets, factors, mean_return)
    if ts is not None:
        ds = _time_series(ds, ts, assets)
    if fm is not None:
        ds = _fama_macbeth(ds, fm, dates)
    if fm is not None or gm is not None:
        r2 = [_cs_r2(ds, m) for m in fits]
        doc = "cross-sectional R², model without intercept: 1 − Σe²/Σ(r̄ − mean r̄)²"
        ds["r2_cs"] = ("method", np.array(r2), {"long_name": doc})
        r2 = [
            _cs_r2_intercept(mean_return, fit.beta) if m != "time_series" else np.nan
            for m, fit in fits.items()
        ]
        doc = "cross-sectional R², OLS of r̄ on (1, β)"
        ds["r2_cs_intercept"] = ("method", np.array(r2), {"long_name": doc})
    if gm is not None:
        ds["gmm_beta"] = (("asset", "factor"), gm.beta)
        ds["gmm_steps"] = ((), gm.steps)
    return _attrs(ds, spec, len(dates), dates)


def _by_method(fits: dict, assets, factors, mean_return: np.ndarray) -> xr.Dataset:
    """Risk premia, pricing errors and the joint test of the errors, one row per method."""
    N, K, n = len(assets), len(factors), len(fits)
    rp, rp_se = np.full((n, K), np.nan), np.full((n, K), np.nan)
    err, err_se = np.full((n, N), np.nan), np.full((n, N), np.nan)
    j, jp, j_df = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=int)
    for i, (m, fit) in enumerate(fits.items()):
        rp[i], rp_se[i], err[i], err_se[i], j[i], jp[i], j_df[i] = _method_row(m, fit, N, K)
    return xr.Dataset(
        {
            "risk_premium": (("method", "factor"), rp, {"long_name": "risk premium (per period)"}),
            "risk_premium_se": (("method", "factor"), rp_se),
            "risk_premium_t": (("method", "factor"), rp / rp_se),
            "pricing_error": (
                ("method", "asset"),
                err,
                {"long_name": "alpha (time_series) or mean return less beta·lambda"},
            ),
            "pricing_error_se": (("method", "asset"), err_se),
            "j_stat": (
                "method",
                j,
                {
                    "long_name": "Wald test of alphas (time_series), chi-square "
                    "test of pricing errors (fama_macbeth), Hansen J (gmm)"
                },
            ),
            "j_pvalue": ("method", jp),
            "j_df": ("method", j_df),
            "mean_return": ("asset", mean_return, {"long_name": "mean excess return"}),
        },
        coords={"method": list(fits), "asset": list(assets), "factor": list(factors)},
    )


def _method_row(method: str, fit, N: int, K: int) -> tuple:
    """(premia, their s.e., pricing errors, their s.e., test statistic, p-value, degrees)."""
    if method == "time_series":
        return (
            fit.risk_premium,
            fit.risk_premium_se,
            fit.alpha,
            fit.alpha_se,
            fit.wald,
            fit.wald_pvalue,
            N,
        )
    se = fit.se[fit.chosen] if method == "fama_macbeth" else fit.risk_premium_se
    return (
        fit.risk_premium,
        se,
        fit.pricing_error,
        fit.pricing_error_se,
        fit.j_stat,
        fit.j_pvalue,
        N - K,
    )


def hansen_jagannathan(ds: xr.Dataset, hj: HJ, f: np.ndarray) -> xr.Dataset:
    """The HJ bound against the SDF volatility each method's premia imply, and the HJ distance."""
    ds["hj_bound"] = ((), hj.bound, {"long_name": "max Sharpe ratio of the test assets (HJ bound)"})
    doc = "max Sharpe ratio of the factors"
    ds["factor_sharpe"] = ((), hj.factor_sharpe, {"long_name": doc})
    if "risk_premium" in ds and ds.sizes.get("method"):
        vols = [
            sdf_volatility(ds.risk_premium.sel({"method": m}).values, f) for m in ds.method.values
        ]
        doc = "σ(m)/E(m) of the SDF the premia imply, √(λ'Σ_f⁻¹λ)"
        ds["sdf_volatility"] = ("method", np.array(vols), {"long_name": doc})
    ds["hj_distance"] = ((), hj.distance, {"long_name": "Hansen-Jagannathan distance"})
    doc = "p-value of the HJ distance (weighted χ², simulated)"
    ds["hj_distance_pvalue"] = ((), hj.pvalue, {"long_name": doc})
    ds["hj_sdf_b"] = ("factor", hj.b, {"long_name": "b of the SDF 1 − b'f minimising the distance"})
    ds["hj_weights"] = ("hj_df", hj.weights, {"long_name": "weights of the χ²_1 in T δ²"})
    return ds


def _time_series(ds: xr.Dataset, ts: TimeSeries, assets) -> xr.Dataset:
    """The time-series regressions: betas, alphas, residual covariance, R², GRS."""
    ds["beta"] = (("asset", "factor"), ts.beta, {"long_name": "time-series regression beta"})
    ds["beta_se"] = (("asset", "factor"), ts.beta_se)
    ds["alpha"] = ("asset", ts.alpha, {"long_name": "time-series intercept"})
    ds["alpha_se"] = ("asset", ts.alpha_se)
    ds["alpha_t"] = ("asset", ts.alpha / ts.alpha_se)
    ds["residual_cov"] = (("asset", "asset_2"), ts.residual_cov)
    ds = ds.assign_coords(asset_2=list(assets))
    ds["r2"] = ("asset", ts.r2, {"long_name": "time-series R² by asset"})
    ds["r2_total"] = ((), ts.r2_total, {"long_name": "time-series R² pooled over assets"})
    ds["grs"] = ((), ts.grs, {"long_name": "Gibbons-Ross-Shanken F statistic"})
    ds["grs_pvalue"] = ((), ts.grs_pvalue)
    return ds


def _fama_macbeth(ds: xr.Dataset, fm: TwoPass, dates: pd.DatetimeIndex) -> xr.Dataset:
    """Fama-MacBeth standard errors of each kind and the per-period premia."""
    ds = ds.assign_coords(fm_se=list(SE_KINDS))
    ds["fama_macbeth_se"] = (
        ("fm_se", "factor"),
        np.stack([fm.se[k] for k in SE_KINDS]),
        {"long_name": "Fama-MacBeth standard errors of each kind"},
    )
    ds["risk_premium_t_series"] = (("time", "factor"), fm.premia_t)
    return ds.assign_coords(time=("time", np.asarray(dates)))


def _cs_r2(ds: xr.Dataset, method: str) -> float:
    """1 − Σ e² / Σ (r̄ − mean r̄)², with e the pricing errors and r̄ from the time-series fit."""
    if method == "time_series":
        return np.nan
    e = ds.pricing_error.sel({"method": method}).values
    r = ds.mean_return.values
    return float(1 - (e**2).sum() / ((r - r.mean()) ** 2).sum())


def _cs_r2_intercept(mean_return: np.ndarray, beta: np.ndarray) -> float:
    """R² of the cross-sectional OLS of mean returns on a constant and the betas."""
    x = np.column_stack([np.ones(len(beta)), beta])
    e = mean_return - x @ np.linalg.lstsq(x, mean_return, rcond=None)[0]
    return float(1 - (e**2).sum() / ((mean_return - mean_return.mean()) ** 2).sum())


def _attrs(ds: xr.Dataset, spec: FactorSpec, nobs: int, dates) -> xr.Dataset:
    ds.attrs.update(
        {
            "model": spec.name,
            "title": spec.title or "",
            "nobs": int(nobs),
            "first_date": str(pd.Timestamp(dates[0]).date()) if len(dates) else "",
            "last_date": str(pd.Timestamp(dates[-1]).date()) if len(dates) else "",
            "estimators": json.dumps({e.name: e.options for e in spec.estimators}, default=str),
        }
    )
    return ds
