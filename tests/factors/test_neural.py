"""Neural instrumented factors and the conditional autoencoder on a planted nonlinear structure."""

import numpy as np
import pandas as pd
import pytest

import walras.runtime.factors as F
from walras.compiler.factors import factor_specs
from walras.grammar import parse
from walras.runtime.factors import neural
from walras.runtime.factors.data import load
from walras.runtime.factors.latent import periods

SPEC = """factor_model nn
data panel "p.parquet" entity = id, time = month
returns ret
instruments a, b, c lag 1
factors latent 2 {flags}
loadings {loadings}
penalty orthogonality = 1e-3, instrument = 1e-4
estimate adam(lr = 1e-2, epochs = {epochs}, patience = 30)
split train < 2007-01, valid < 2008-01
"""


MU, SD = np.array([0.5, 0.2]), np.array([1.0, 0.8])


def planted(N=60, T=120, seed=0, missing=0.1, rho=0.0):
    """r_{t,i} = β(x_{t-1,i})'f_t + ε with β nonlinear in the characteristics and f_t an AR(1)
    with persistence `rho` (independent for 0); the factors are in df.attrs["factors"]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(T + 1, N, 3))
    beta = np.stack(
        [np.tanh(2 * x[..., 0]) + 0.5, np.sin(2 * x[..., 1]) * (1 + x[..., 2] ** 2)], axis=-1
    )
    eps = rng.normal(size=(T + 1, 2))
    f = MU + SD * eps
    for t in range(1, T + 1):
        f[t] = MU + rho * (f[t - 1] - MU) + np.sqrt(1 - rho**2) * SD * eps[t]
    noise = 0.4 * rng.normal(size=(T, N))
    signal = np.einsum("tnk,tk->tn", beta[:-1], f[1:])
    dates = pd.date_range("1999-12-31", periods=T + 1, freq="ME")
    r = np.vstack([np.full((1, N), np.nan), signal + noise])
    df = pd.DataFrame(
        {
            "id": np.tile(np.arange(N), T + 1),
            "month": np.repeat(dates, N),
            "ret": r.ravel(),
            **{k: x[..., j].ravel() for j, k in enumerate("abc")},
        }
    )
    df = df[rng.random(len(df)) >= missing].reset_index(drop=True)
    df.attrs["factors"], df.attrs["rho"] = f, rho
    return df, signal, noise


def oracle_r2(df, signal, noise, spec, forecast=False):
    """R² of the true β'f (total) or of β'E[f_t | f_{t−1}] (forecast) on the test periods'
    observed cells."""
    p = load(spec, df)
    test = periods(spec, p.dates)["test"]
    m = p.mask[test]
    r = (signal + noise)[test[1:]]
    if forecast:
        x = p.chars[test]  # the lagged characteristics the planted loadings are built from
        beta = np.stack(
            [np.tanh(2 * x[..., 0]) + 0.5, np.sin(2 * x[..., 1]) * (1 + x[..., 2] ** 2)], -1
        )
        f, rho = df.attrs["factors"], df.attrs["rho"]
        expected = (MU + rho * (f[:-1] - MU))[test[1:]]  # the forecast of f[1:], row by row
        e = r - np.einsum("tnk,tk->tn", beta, expected)
        return 1 - np.sum(e[m] ** 2) / np.sum(r[m] ** 2)
    return 1 - np.sum((noise[test[1:]])[m] ** 2) / np.sum(r[m] ** 2)


@pytest.fixture(scope="module")
def data():
    return planted()


@pytest.mark.parametrize(
    "loadings,flags,epochs",
    [
        ("autoencoder(hidden = 16, layers = 2)", "", 400),
        ("attention(layers = 1, heads = 2, width = 16)", "temporal_attention", 150),
    ],
)
def test_recovers_planted_structure(data, loadings, flags, epochs):
    df, signal, noise = data
    spec = factor_specs(parse(SPEC.format(loadings=loadings, flags=flags, epochs=epochs)))["nn"]
    ds = F.estimate(spec, data=df)
    oracle = oracle_r2(df, signal, noise, spec)
    total = float(ds.r2_total_oos)
    assert oracle - 0.1 < total < oracle + 0.02, (total, oracle)
    ahead = oracle_r2(df, signal, noise, spec, forecast=True)  # β'E f, the best forecast
    assert abs(float(ds.r2_pred_oos) - ahead) < 0.05, (float(ds.r2_pred_oos), ahead)
    # the forecast by hand: loadings of t times the mean factor of the earlier periods with data
    p = load(spec, df)
    test = periods(spec, p.dates)["test"]
    f, b = ds.factors.values, np.nan_to_num(ds.loadings.values)
    sse = sst = 0.0
    for t in np.nonzero(test)[0]:
        earlier = [s for s in range(t) if p.mask[s].any()]
        rhat = b[t] @ f[earlier].mean(0)
        m = p.mask[t]
        sse += np.sum((p.returns[t] - rhat)[m] ** 2)
        sst += np.sum(p.returns[t][m] ** 2)
    assert float(ds.r2_pred_oos) == pytest.approx(1 - sse / sst, rel=1e-8)
    assert int(ds.best_epoch) <= int(ds.epochs)
    for v in ("rmse_pred_oos", "mae_total_oos", "long_short_t", "baseline_r2_oos"):
        assert np.all(np.isfinite(ds[v].values)), v


def test_mask_makes_missing_cells_irrelevant():
    df, _, _ = planted(N=20, T=30, missing=0.2)
    spec = factor_specs(
        parse(
            SPEC.format(
                loadings="attention(layers = 1, heads = 2, width = 8)",
                flags="temporal_attention",
                epochs=5,
            )
        )
    )["nn"]
    p = load(spec, df)
    T = len(p.dates)
    split = {"train": np.arange(T) < 20, "valid": (np.arange(T) >= 20) & (np.arange(T) < 25)}
    rng = np.random.default_rng(5)
    junk_r = np.where(p.mask, p.returns, rng.normal(0, 100, p.returns.shape))
    junk_x = np.where(p.mask[..., None], p.chars, rng.normal(0, 100, p.chars.shape))
    fits = [
        neural.train(neural.build(spec, 3, 0), x, r, p.mask, split, 1e-2, 5, 5, 1e-3, 1e-4)
        for x, r in ((p.chars, p.returns), (junk_x, junk_r))
    ]
    outs = [
        neural.predict(t.model, x, r, p.mask)
        for t, (x, r) in zip(fits, ((p.chars, p.returns), (junk_x, junk_r)))
    ]
    for a, b in zip(outs[0], outs[1]):
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 3:
            a, b = a[p.mask], b[p.mask]
        elif a.shape == p.mask.shape:
            a, b = a[p.mask], b[p.mask]
        np.testing.assert_array_equal(a, b)
