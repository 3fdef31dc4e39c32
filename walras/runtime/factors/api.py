"""`estimate`: from a spec, a file or a bundled model's name to labelled results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ...compiler.factors import FactorSpec, factor_specs
from ...grammar import parse_file
from ...grammar.diagnostics import Diagnostic, EconError, did_you_mean
from ...models import resolve
from . import results
from .data import Panel, Wide, load, require_periods

NOT_FINITE = "F112"  # estimates that are not finite: `walras estimate` exits with 2


def load_specs(target: str | Path) -> dict[str, FactorSpec]:
    path = resolve(target)
    specs = factor_specs(parse_file(path), path.parent)
    if not specs:
        raise EconError([Diagnostic("F100", f"'{path}' has no factor_model block")])
    return specs


def estimate(
    spec_or_path_or_name: FactorSpec | str | Path,
    name: str | None = None,
    data: Any = None,
    **overrides: Any,
) -> xr.Dataset | dict[str, xr.Dataset]:
    """Estimate a factor model and return its results as an xarray Dataset.

    The first argument is a `FactorSpec`, a path to an `.econ` file, or a bundled model's name.
    `name` picks one `factor_model` of a file; a file with several and no `name` gives a dict
    name -> Dataset. `data` replaces the spec's data source (a pandas frame, an xarray Dataset, a
    dict of frames aligned on dates, or a path). `overrides` change estimator options, e.g.
    `gmm={"steps": 3}`.
    """
    if isinstance(spec_or_path_or_name, FactorSpec):
        specs = {spec_or_path_or_name.name: spec_or_path_or_name}
    else:
        specs = load_specs(spec_or_path_or_name)
    if name is not None:
        if name not in specs:
            hint = did_you_mean(name, specs) or f"models: {', '.join(specs)}"
            raise EconError([Diagnostic("F100", f"no factor_model '{name}'", None, hint)])
        specs = {name: specs[name]}
    out = {k: fit(s.with_options(**overrides) if overrides else s, data) for k, s in specs.items()}
    return next(iter(out.values())) if len(out) == 1 else out


def fit(spec: FactorSpec, data: Any = None) -> xr.Dataset:
    """Load the spec's data and run its estimators."""
    loaded = load(spec, data)
    if isinstance(loaded, Wide):
        return _observed(spec, loaded)
    return _latent(spec, loaded)


def _observed(spec: FactorSpec, d: Wide) -> xr.Dataset:
    from .gmm import gmm
    from .hj import hansen_jagannathan
    from .rolling import rolling
    from .timeseries import time_series
    from .twopass import fama_macbeth

    T, N = d.returns.shape
    K = d.factors.shape[1]
    names = {e.name for e in spec.estimators}
    require_periods(T, K + 2, f"regressing {N} assets on {K} factors", d.dates)
    if "time_series" in names:
        require_periods(T, N + K + 1, f"the GRS test of {N} assets on {K} factors", d.dates)
    if {"gmm", "fama_macbeth"} & names and N < K:
        raise EconError(
            [
                Diagnostic(
                    "F108",
                    f"{K} risk premia need at least {K} assets; there are {N}",
                    spec.spans.get("returns"),
                )
            ]
        )
    fm = spec.estimator("fama_macbeth")
    if fm is not None and isinstance(fm.options["betas"], int):
        L = fm.options["betas"]
        require_periods(T, L + 2, f"Fama-MacBeth with rolling({L}) betas", d.dates)
    fits = {}
    for e in spec.estimators:
        fn = {
            "time_series": time_series,
            "fama_macbeth": fama_macbeth,
            "gmm": gmm,
            "hansen_jagannathan": hansen_jagannathan,
        }[e.name]
        fits[e.name] = fn(d.returns, d.factors, **e.options)
        _finite(spec, e, fits[e.name])
    if "gmm" in fits:
        require_periods(T, len(fits["gmm"].theta) + 1, "GMM", d.dates)
    ds = results.observed(
        spec,
        d.dates,
        d.assets,
        d.factor_names,
        d.returns.mean(0),
        fits.get("time_series"),
        fits.get("fama_macbeth"),
        fits.get("gmm"),
    )
    if "hansen_jagannathan" in fits:
        ds = results.hansen_jagannathan(ds, fits["hansen_jagannathan"], d.factors)
    if spec.window is not None:
        w = spec.window
        roll = rolling(
            d.returns, d.factors, w["length"], w["step"], w["sigma_l"], w["sigma_lambda"]
        )
        ds = ds.assign_coords(window_end=("window_end", np.asarray(d.dates[roll.ends])))
        ds["rolling_beta"] = (("window_end", "asset", "factor"), roll.beta)
        ds["rolling_risk_premium"] = (("window_end", "factor"), roll.risk_premium)
        ds["window_length"] = ((), roll.length)
        if roll.optimal is not None:
            doc = "optimal estimation window, periods (Chinco 2014, eq. 22)"
            ds["optimal_window"] = (("asset", "factor"), roll.optimal, {"long_name": doc})
    ds.attrs.update(d.dropped_attrs())
    return ds


def _finite(spec: FactorSpec, e, fit) -> None:
    """Estimates or standard errors that are NaN or infinite are a failure, never a result."""
    bad = [
        k
        for k in ("risk_premium", "risk_premium_se", "beta", "pricing_error")
        if not np.all(np.isfinite(np.asarray(getattr(fit, k, 0.0))))
    ]
    if bad:
        raise EconError(
            [
                Diagnostic(
                    NOT_FINITE,
                    f"'{e.name}' did not give finite estimates ({', '.join(bad)} not finite)",
                    e.span or spec.spans.get("estimate"),
                    "try steps = 1, weight = identity, or system = stacked",
                )
            ]
        )


def _latent(spec: FactorSpec, p: Panel) -> xr.Dataset:
    from . import latent

    parts = [latent.run(spec, p, e) for e in spec.estimators]
    ds = xr.merge(parts, compat="override", combine_attrs="override")
    ds.attrs["observed_cells"] = int(np.sum(p.mask))
    with_data = p.mask.any(1)  # a lag leaves its first periods without a return to price
    return results._attrs(ds, spec, int(with_data.sum()), p.dates[with_data])
