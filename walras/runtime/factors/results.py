"""Factor-model results as one labelled xarray Dataset per specification, and atomic NetCDF writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from ...compiler.factors import FactorSpec
from .gmm import GMM
from .timeseries import TimeSeries
from .twopass import SE_KINDS, TwoPass

METHODS = ("time_series", "fama_macbeth", "gmm")


def observed(spec: FactorSpec, dates: pd.DatetimeIndex, assets, factors, mean_return: np.ndarray,
             ts: TimeSeries | None, fm: TwoPass | None, gm: GMM | None) -> xr.Dataset:
    """Tests of a model with traded factors: betas, alphas, risk premia by method, GRS, J-tests."""
    N, K = len(assets), len(factors)
    fits = {"time_series": ts, "fama_macbeth": fm, "gmm": gm}
    methods = [m for m in METHODS if fits[m] is not None]
    rp = np.full((len(methods), K), np.nan)
    rp_se = np.full_like(rp, np.nan)
    err = np.full((len(methods), N), np.nan)
    err_se = np.full_like(err, np.nan)
    j = np.full(len(methods), np.nan)
    jp = np.full(len(methods), np.nan)
    j_df = np.zeros(len(methods), dtype=int)
    for i, m in enumerate(methods):
        fit = fits[m]
        rp[i] = fit.risk_premium
        if m == "time_series":
            rp_se[i], err[i], err_se[i] = fit.risk_premium_se, fit.alpha, fit.alpha_se
            j[i], jp[i], j_df[i] = fit.wald, fit.wald_pvalue, N
        else:
            rp_se[i] = fit.se[fit.chosen] if m == "fama_macbeth" else fit.risk_premium_se
            err[i], err_se[i] = fit.pricing_error, fit.pricing_error_se
            j[i], jp[i], j_df[i] = fit.j_stat, fit.j_pvalue, N - K
    ds = xr.Dataset(
        {
            "risk_premium": (("method", "factor"), rp, {"long_name": "risk premium (per period)"}),
            "risk_premium_se": (("method", "factor"), rp_se),
            "risk_premium_t": (("method", "factor"), rp / rp_se),
            "pricing_error": (("method", "asset"), err,
                              {"long_name": "alpha (time_series) or mean return less beta·lambda"}),
            "pricing_error_se": (("method", "asset"), err_se),
            "j_stat": ("method", j, {"long_name": "Wald test of alphas (time_series), "
                                     "chi-square test of pricing errors (fama_macbeth), Hansen J (gmm)"}),
            "j_pvalue": ("method", jp),
            "j_df": ("method", j_df),
            "mean_return": ("asset", mean_return, {"long_name": "mean excess return"}),
        },
        coords={"method": methods, "asset": list(assets), "factor": list(factors)},
    )
    if ts is not None:
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
    if fm is not None:
        ds = ds.assign_coords(fm_se=list(SE_KINDS))
        ds["fama_macbeth_se"] = (("fm_se", "factor"), np.stack([fm.se[k] for k in SE_KINDS]),
                                 {"long_name": "Fama-MacBeth standard errors of each kind"})
        ds["risk_premium_t_series"] = (("time", "factor"), fm.premia_t)
        ds = ds.assign_coords(time=("time", np.asarray(dates)))
    if fm is not None or gm is not None:
        r2 = [_cs_r2(ds, m) for m in methods]
        ds["r2_cs"] = ("method", np.array(r2), {"long_name": "cross-sectional R² of mean returns"})
    if gm is not None:
        ds["gmm_beta"] = (("asset", "factor"), gm.beta)
        ds["gmm_steps"] = ((), gm.steps)
    return _attrs(ds, spec, len(dates), dates)


def _cs_r2(ds: xr.Dataset, method: str) -> float:
    """1 − Σ e² / Σ (r̄ − mean r̄)², with e the pricing errors and r̄ from the time-series fit."""
    if method == "time_series":
        return np.nan
    e = ds.pricing_error.sel({"method": method}).values
    r = ds.mean_return.values
    return float(1 - (e**2).sum() / ((r - r.mean()) ** 2).sum())


def _attrs(ds: xr.Dataset, spec: FactorSpec, nobs: int, dates) -> xr.Dataset:
    ds.attrs.update({
        "model": spec.name,
        "title": spec.title or "",
        "nobs": int(nobs),
        "first_date": str(pd.Timestamp(dates[0]).date()) if len(dates) else "",
        "last_date": str(pd.Timestamp(dates[-1]).date()) if len(dates) else "",
        "estimators": json.dumps({e.name: e.options for e in spec.estimators}, default=str),
    })
    return ds
