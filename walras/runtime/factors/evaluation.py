"""Out-of-sample evaluation of latent-factor models: R², RMSE and MAE of fitted or forecast
returns, long-short portfolios sorted on the loadings, and the PCA and RP-PCA baselines
(Lettau and Pelger 2020) on the characteristic-managed portfolios."""

from __future__ import annotations

import numpy as np

QUANTILE = 0.2  # long the top fifth of the loadings, short the bottom fifth


def accuracy(pred, r, m, periods) -> dict[str, float]:
    """Uncentred R² = 1 − Σe²/Σr², RMSE and MAE over the observed cells of `periods`."""
    w = np.asarray(m) & periods[:, None]
    e = (np.asarray(r) - np.asarray(pred))[w]
    rr = np.asarray(r)[w]
    return {
        "r2": float(1 - np.sum(e**2) / np.sum(rr**2)),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "mae": float(np.mean(np.abs(e))),
    }


def long_short(beta, r, m, periods, sign) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per period and factor k: the equal-weighted return of the assets in the top `QUANTILE` of
    sign_k·β_{t,·,k} less that of the bottom (observed assets; the loadings use characteristics
    known before t). Returns (T, K) with NaN outside `periods`, per-period Sharpe ratios and
    t-statistics mean/(s.d./√n)."""
    beta, r, m = np.asarray(beta), np.asarray(r), np.asarray(m)
    T, _, K = beta.shape
    out = np.full((T, K), np.nan)
    for t in np.nonzero(periods & (m.sum(1) >= 2))[0]:
        obs = np.nonzero(m[t])[0]
        n = max(1, int(np.floor(QUANTILE * len(obs))))
        for k in range(K):
            order = obs[np.argsort(sign[k] * beta[t, obs, k], kind="stable")]
            out[t, k] = r[t, order[-n:]].mean() - r[t, order[:n]].mean()
    used = out[np.isfinite(out[:, 0])]
    sd = used.std(0, ddof=1) if len(used) > 1 else np.full(K, np.nan)
    sharpe = used.mean(0) / sd
    return out, sharpe, sharpe * np.sqrt(len(used))


def rp_pca(z_train: np.ndarray, K: int, gamma: float) -> np.ndarray:
    """(L, K) orthonormal weights: the top eigenvectors of Z'Z/T + γ z̄z̄' (γ = −1: PCA)."""
    mu = z_train.mean(0)
    val, vec = np.linalg.eigh(z_train.T @ z_train / len(z_train) + gamma * np.outer(mu, mu))
    return vec[:, np.argsort(val)[::-1][:K]]


def tangency_sharpe(f_train: np.ndarray, f_test: np.ndarray) -> float:
    """Sharpe ratio on the test periods of the factors' tangency portfolio, weights Σ⁻¹μ from the
    training periods."""
    w = np.linalg.solve(np.atleast_2d(np.cov(f_train.T)), f_train.mean(0))
    p = f_test @ w
    return float(p.mean() / p.std(ddof=1))


def baselines(z, train, test, K, gamma) -> dict[str, tuple[float, float]]:
    """PCA and RP-PCA fitted on the training periods' managed portfolios: each one's test total
    R² of z by its K factors (ẑ = WW'z) and the test Sharpe ratio of its tangency portfolio."""
    out = {}
    for name, g in (("pca", -1.0), ("rppca", gamma)):
        W = rp_pca(z[train], K, g)
        zt = z[test]
        r2 = 1 - np.sum((zt - zt @ W @ W.T) ** 2) / np.sum(zt**2)
        out[name] = (float(r2), tangency_sharpe(z[train] @ W, zt @ W))
    return out
