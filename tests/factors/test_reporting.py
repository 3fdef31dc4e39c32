"""What the factor path reports: p-values in the printed tables, rolling windows selected by
`window_end`, every misspelt column at once, cross-sectional R² of both kinds, F112 for estimates
that are not finite."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import walras.runtime.factors as F
from walras.cli.factors import estimate_command
from walras.compiler.factors import factor_specs
from walras.grammar import parse
from walras.grammar.diagnostics import EconError

FF = """factor_model m "test"
data french
returns S1V1, S1V3, S1V5, S3V1, S3V3, S3V5, S5V1, S5V3, S5V5 minus RF
factors {factors}
estimate time_series, fama_macbeth, gmm(steps = 1)
"""


def test_printed_tables_show_the_p_values(capsys):
    ds = F.estimate("ff3")
    assert estimate_command("ff3", None, None) == 0
    text = capsys.readouterr().out
    for m in ("time_series", "fama_macbeth", "gmm"):
        k = {"method": m}
        shown = f"{float(ds.j_stat.sel(k)):.2f} [p {float(ds.j_pvalue.sel(k)):.3f}]"
        assert shown in text


def test_rolling_results_select_by_window_end(tmp_path, capsys):
    spec = F.api.load_specs("ff3")["ff3"]
    window = {"length": "optimal", "step": 1, "sigma_l": 0.0005, "sigma_lambda": 0.005}
    ds = F.estimate(dataclasses.replace(spec, window=window))
    end = ds.window_end.values[5]
    beta = ds.rolling_beta.sel(window_end=end)
    L = int(ds.window_length)
    assert ds.window_end.dims == ("window_end",)
    # hand regression on the window of L periods ending at `end`
    d = F.data.bundled("french")
    dates = np.asarray(ds.time.values)
    i = int(np.nonzero(dates == end)[0][0])
    r = d[list(ds.asset.values)].values[i - L + 1 : i + 1] - d[["RF"]].values[i - L + 1 : i + 1]
    x = np.column_stack([np.ones(L), d[list(ds.factor.values)].values[i - L + 1 : i + 1]])
    coef = np.linalg.lstsq(x, r, rcond=None)[0]
    np.testing.assert_allclose(beta.values, coef[1:].T, rtol=1e-9)
    econ = tmp_path / "w.econ"
    econ.write_text(
        FF.format(factors="MktRF, SMB, HML")
        + "window length = optimal, sigma_l = 0.0005, sigma_lambda = 0.005\n"
    )
    assert estimate_command(str(econ), None, None) == 0
    text = capsys.readouterr().out
    assert f"window length {L} periods" in text and "optimal window" in text
    w = float(ds.optimal_window.sel(asset="S1V1", factor="MktRF"))
    assert f"{w:.0f}" in text


def test_two_misspelt_columns_give_two_errors_with_suggestions():
    spec = factor_specs(parse(FF.format(factors="MktRF, smb, Momentum"), "m.econ"))["m"]
    with pytest.raises(EconError) as e:
        F.estimate(spec)
    found = {d.message: d for d in e.value.diagnostics}
    assert set(found) == {"column 'smb' not in the data", "column 'Momentum' not in the data"}
    assert found["column 'smb' not in the data"].hint == "did you mean 'SMB'?"
    assert found["column 'Momentum' not in the data"].hint == "did you mean 'Mom'?"
    assert found["column 'Momentum' not in the data"].span.column == 21  # 1-based


def test_cross_sectional_r2_of_both_kinds():
    ds = F.estimate(factor_specs(parse(FF.format(factors="MktRF"), "m.econ"))["m"])
    for m in ("fama_macbeth", "gmm"):
        rbar = ds.mean_return.values
        beta = (ds.beta if m == "fama_macbeth" else ds.gmm_beta).values[:, 0]
        lam = float(ds.risk_premium.sel({"method": m, "factor": "MktRF"}))
        e = rbar - beta * lam if m == "fama_macbeth" else ds.pricing_error.sel({"method": m})
        tss = np.sum((rbar - rbar.mean()) ** 2)
        assert float(ds.r2_cs.sel({"method": m})) == pytest.approx(1 - np.sum(e**2) / tss)
        slope, icpt = np.polyfit(beta, rbar, 1)
        r2 = 1 - np.sum((rbar - icpt - slope * beta) ** 2) / tss
        assert float(ds.r2_cs_intercept.sel({"method": m})) == pytest.approx(r2, rel=1e-10)


def test_estimates_that_are_not_finite_exit_2(monkeypatch, capsys):
    from walras.runtime.factors import gmm as gmm_module

    real = gmm_module.gmm

    def broken(*a, **k):
        fit = real(*a, **k)
        return dataclasses.replace(fit, risk_premium=fit.risk_premium * np.nan)

    monkeypatch.setattr(gmm_module, "gmm", broken)
    assert estimate_command("ff3", None, None) == 2
    err = capsys.readouterr().err
    assert "F112" in err and "'gmm' did not give finite estimates (risk_premium" in err


def test_ipca_header_counts_return_months():
    """With characteristics lagged a month, the first month has no return to price."""
    rng = np.random.default_rng(0)
    T, N = 13, 30
    dates = pd.date_range("2000-01-31", periods=T, freq="ME")
    df = pd.DataFrame(
        {
            "id": np.tile(np.arange(N), T),
            "month": np.repeat(dates, N),
            "ret": rng.normal(size=T * N),
            "a": rng.normal(size=T * N),
            "b": rng.normal(size=T * N),
        }
    )
    spec = factor_specs(
        parse(
            'factor_model p "panel"\ndata panel "p.csv" entity = id, time = month\n'
            "returns ret\ninstruments a, b lag 1\nfactors latent 1\n"
            "loadings linear(instruments)\nestimate als\n",
            "m.econ",
        )
    )["p"]
    ds = F.estimate(spec, data=df)
    assert ds.attrs["nobs"] == T - 1 and ds.attrs["first_date"] == "2000-02-29"
