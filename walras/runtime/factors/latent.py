"""Latent-factor estimators on a panel: IPCA, the neural models and NTK regression, as Datasets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ...compiler.factors import Estimator, FactorSpec
from .data import Panel, fail


def periods(
    spec: FactorSpec, dates: pd.DatetimeIndex, observed: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Chronological boolean masks: train (< train), valid (< valid), test (the rest); each
    period of a split must hold a date with an observed cell (`observed`, per date)."""
    n = len(dates)
    if not spec.split:
        return {"train": np.ones(n, bool), "valid": np.zeros(n, bool), "test": np.zeros(n, bool)}
    train = dates < spec.split["train"]
    end = spec.split.get("valid", spec.split["train"])
    valid = ~train & (dates < end)
    out = {"train": train, "valid": valid, "test": ~train & ~valid}
    observed = np.ones(n, bool) if observed is None else observed
    for k in ("train",) + (("valid",) if "valid" in spec.split else ()) + ("test",):
        if not (out[k] & observed).any():
            what = "is empty" if not out[k].any() else "has no observed (entity, date) cell"
            fail(
                "F109",
                f"the {k} period of '{spec.name}' {what} "
                f"(data from {dates[0].date()} to {dates[-1].date()})",
                spec.spans.get("split"),
            )
    return out


def _coords(p: Panel, K: int) -> dict:
    return {
        "time": ("time", np.asarray(p.dates)),
        "asset": list(p.entities),
        "characteristic": list(p.characteristics),
        "factor": [f"f{k + 1}" for k in range(K)],
    }


def run(spec: FactorSpec, p: Panel, e: Estimator) -> xr.Dataset:
    if e.name == "als":
        return _ipca(spec, p, e)
    if e.name == "ntk":
        from .ntk import ntk_panel

        return ntk_panel(spec, p, e, periods(spec, p.dates, p.mask.any(1)))
    from .neural import train_panel

    return train_panel(spec, p, e, periods(spec, p.dates, p.mask.any(1)))


def _ipca(spec: FactorSpec, p: Panel, e: Estimator) -> xr.Dataset:
    from .ipca import bootstrap_alpha, ipca, out_of_sample

    K = spec.latent
    if K > len(spec.instruments):
        fail(
            "F110",
            f"{K} latent factors need at least {K} instruments; there are {len(spec.instruments)}",
            spec.spans.get("factors"),
        )
    split = periods(spec, p.dates, p.mask.any(1))
    enough = p.mask.sum(1) >= K  # periods with too few assets carry no factor
    split = {k: v & enough for k, v in split.items()}
    fit_on = ~split["test"] & enough
    if fit_on.sum() <= K:
        fail(
            "F107",
            f"IPCA with {K} factors needs more than {K} periods to fit; "
            f"there are {int(fit_on.sum())}",
        )
    intercept = bool(spec.loadings.options["intercept"]) if spec.loadings else False
    x, r, m = p.chars[fit_on], p.returns[fit_on], p.mask[fit_on]
    fit = ipca(x, r, m, K, intercept, e.options["tol"], e.options["max_iter"])
    F = np.full((len(p.dates), K), np.nan)
    F[fit_on] = fit.factors
    ds = xr.Dataset(coords=_coords(p, K))
    if split["test"].any():
        Ft, tot, pred = out_of_sample(
            p.chars[split["test"]], p.returns[split["test"]], p.mask[split["test"]], fit
        )
        F[split["test"]] = Ft
        ds["r2_total_oos"] = ((), tot, {"long_name": "out-of-sample total R²"})
        ds["r2_pred_oos"] = ((), pred, {"long_name": "out-of-sample predictive R²"})
    ds["gamma"] = (("characteristic", "factor"), fit.gamma, {"long_name": "Γ_β"})
    ds["factors"] = (("time", "factor"), F)
    ds["loadings"] = (("time", "asset", "factor"), np.einsum("tnl,lk->tnk", p.chars, fit.gamma))
    ds["r2_total"] = ((), fit.r2_total, {"long_name": "total R² (in sample)"})
    ds["r2_pred"] = ((), fit.r2_pred, {"long_name": "predictive R² (in sample)"})
    ds["iterations"] = ((), fit.iterations)
    ds["in_sample"] = ("time", fit_on)
    if intercept:
        ds["gamma_alpha"] = ("characteristic", fit.gamma_alpha, {"long_name": "Γ_α"})
        if e.options["bootstrap"]:
            w, pval = bootstrap_alpha(x, r, m, fit, e.options["bootstrap"], e.options["seed"])
            ds["alpha_test_stat"] = ((), w, {"long_name": "W_α = Γ_α'Γ_α"})
            ds["alpha_test_pvalue"] = ((), pval, {"long_name": "bootstrap p-value of Γ_α = 0"})
    return ds
