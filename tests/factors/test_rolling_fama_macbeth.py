"""Fama-MacBeth with 60-month rolling betas (Chinco 2014) against a hand loop."""

import numpy as np
import pytest

import walras.runtime.factors as F
from walras.compiler.factors import factor_specs
from walras.grammar import parse
from walras.grammar.diagnostics import EconError

SPEC = """factor_model m "rolling betas"
data french
returns S1V1, S1V3, S1V5, S3V1, S3V3, S3V5, S5V1, S5V3, S5V5 minus RF
factors MktRF, SMB, HML
estimate fama_macbeth(betas = {betas}, lags = {lags})
"""


@pytest.mark.parametrize("lags", [0, 4])
def test_rolling_betas_match_a_hand_loop(lags):
    ds = F.estimate(factor_specs(parse(SPEC.format(betas="rolling(60)", lags=lags)))["m"])
    d = F.data.bundled("french")
    r = d[list(ds.asset.values)].values - d[["RF"]].values
    f = d[list(ds.factor.values)].values
    lams = []
    for t in range(60, len(r)):
        x = np.column_stack([np.ones(60), f[t - 60 : t]])
        beta = np.linalg.lstsq(x, r[t - 60 : t], rcond=None)[0][1:].T  # (N, K), before t
        lams.append(np.linalg.lstsq(beta, r[t], rcond=None)[0])
    lams = np.array(lams)
    T = len(lams)
    fm = ds.sel({"method": "fama_macbeth"})
    np.testing.assert_allclose(fm.risk_premium.values, lams.mean(0), rtol=1e-10)
    dev = lams - lams.mean(0)
    var = dev.T @ dev / T
    for j in range(1, lags + 1):  # Bartlett weights 1 − j/(lags + 1)
        g = dev[j:].T @ dev[:-j] / T
        var += (1 - j / (lags + 1)) * (g + g.T)
    np.testing.assert_allclose(fm.risk_premium_se.values, np.sqrt(np.diag(var) / T), rtol=1e-10)
    assert np.isnan(ds.fama_macbeth_se.sel(fm_se="shanken").values).all()
    assert np.isnan(ds.risk_premium_t_series.values[:60]).all()
    np.testing.assert_allclose(ds.risk_premium_t_series.values[60:], lams, rtol=1e-10)


def test_rolling_option_is_checked():
    with pytest.raises(EconError, match="'betas' takes 'full' or 'rolling\\(N\\)'") as e:
        factor_specs(parse(SPEC.format(betas="rollin", lags=0)))
    assert "did you mean 'rolling'?" in str(e.value)
    with pytest.raises(EconError, match="need windows of at least 5 periods"):
        factor_specs(parse(SPEC.format(betas="rolling(4)", lags=0)))
    with pytest.raises(EconError, match="whole number of periods"):
        factor_specs(parse(SPEC.format(betas="rolling(2.5)", lags=0)))
