"""IPCA against the `ipca` package on a synthetic panel, and recovery of the true Γ."""

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

import walras.runtime.factors as F
from walras.compiler.factors import factor_specs
from walras.grammar import parse
from walras.runtime.factors.data import load

SPEC = """factor_model ip "IPCA"
data panel "x.parquet" entity = id, time = month
returns ret
instruments c1, c2, c3, c4, c5 lag 1
factors latent 2
loadings linear(instruments, intercept = {intercept})
estimate als(tol = 1e-10{extra})
{split}
"""


def synthetic(N=80, T=50, L=5, K=2, seed=0, alpha=0.0, missing=0.1):
    """Long panel: returns at t load on characteristics at t − 1; some cells missing."""
    rng = np.random.default_rng(seed)
    G = np.linalg.qr(rng.normal(size=(L, K)))[0]
    ga = alpha * np.linalg.qr(rng.normal(size=(L, 1)))[0][:, 0]
    X = rng.normal(size=(T + 1, N, L))
    Fs = rng.normal(0.3, 1.0, size=(T + 1, K))
    R = np.einsum("tnl,lk,tk->tn", X[:-1], G, Fs[1:]) + X[:-1] @ ga + 0.3 * rng.normal(size=(T, N))
    rows = []
    dates = pd.date_range("2001-01-31", periods=T + 1, freq="ME")
    for t in range(T + 1):
        for i in range(N):
            ret = R[t - 1, i] if t else np.nan
            rows.append(
                {
                    "id": i,
                    "month": dates[t],
                    "ret": ret,
                    **{f"c{j + 1}": X[t, i, j] for j in range(L)},
                }
            )
    df = pd.DataFrame(rows)
    drop = rng.random(len(df)) < missing
    return df[~drop].reset_index(drop=True), G, ga


def spec(intercept="false", extra="", split=""):
    return factor_specs(parse(SPEC.format(intercept=intercept, extra=extra, split=split)))["ip"]


@pytest.fixture(scope="module")
def panel():
    return synthetic()


def test_fitted_values_equal_ipca_package(panel):
    from ipca import InstrumentedPCA

    df, G, _ = panel
    s = spec()
    ds = F.estimate(s, data=df)
    p = load(s, df)
    t_idx, n_idx = np.nonzero(p.mask)
    X = p.chars[t_idx, n_idx]
    y = p.returns[t_idx, n_idx]
    ref = InstrumentedPCA(n_factors=2, intercept=False, iter_tol=1e-10)
    with contextlib.redirect_stdout(io.StringIO()):
        ref.fit(X, y, indices=np.column_stack([n_idx, t_idx]))
        pred = ref.predict(data_type="panel")
    fac = ds.factors.values
    mine = np.einsum("cl,lk,ck->c", X, ds.gamma.values, fac[t_idx])
    np.testing.assert_allclose(mine, pred, rtol=0, atol=1e-6)
    # the span of the estimated Γ_β is the true one: cosines of the principal angles near 1
    cos = np.linalg.svd(G.T @ ds.gamma.values, compute_uv=False)
    assert cos.min() > 0.995


def test_total_r2_is_kps_definition(panel):
    df, _, _ = panel
    s = spec()
    ds = F.estimate(s, data=df)
    p = load(s, df)
    fac = np.nan_to_num(ds.factors.values)  # the first month has no returns, hence no factor
    fit = np.einsum("tnl,lk,tk->tn", p.chars, ds.gamma.values, fac)
    r, m = p.returns, p.mask
    assert float(ds.r2_total) == pytest.approx(
        1 - ((r - fit)[m] ** 2).sum() / (r[m] ** 2).sum(), rel=1e-10
    )
    lam = np.nanmean(ds.factors.values, axis=0)
    pred = np.einsum("tnl,lk,k->tn", p.chars, ds.gamma.values, lam)
    assert float(ds.r2_pred) == pytest.approx(
        1 - ((r - pred)[m] ** 2).sum() / (r[m] ** 2).sum(), rel=1e-10
    )


def test_out_of_sample_split(panel):
    df, _, _ = panel
    ds = F.estimate(spec(split="split train < 2004-01"), data=df)
    assert ds.in_sample.values.sum() == 35 and 0.5 < float(ds.r2_total_oos) <= 1


def test_alpha_bootstrap_rejects_planted_alpha_only():
    df, _, _ = synthetic(alpha=0.3, seed=1)
    ds = F.estimate(spec("true", ", bootstrap = 100"), data=df)
    assert float(ds.alpha_test_pvalue) < 0.02
    df, _, _ = synthetic(alpha=0.0, seed=2)
    ds = F.estimate(spec("true", ", bootstrap = 100"), data=df)
    assert float(ds.alpha_test_pvalue) > 0.05
