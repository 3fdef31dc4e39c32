"""Time-series regressions of each asset on traded factors: alphas, betas, GRS and Wald tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .hac import long_run


@dataclass(frozen=True)
class TimeSeries:
    alpha: np.ndarray  # (N,)
    beta: np.ndarray  # (N, K)
    alpha_se: np.ndarray
    beta_se: np.ndarray
    residual_cov: np.ndarray  # (N, N), divided by T - K - 1
    r2: np.ndarray  # (N,) per asset
    r2_total: float  # pooled over assets
    risk_premium: np.ndarray  # factor means (K,)
    risk_premium_se: np.ndarray
    wald: float  # α' V_α⁻¹ α with the robust (or HAC) V_α, χ²(N)
    wald_pvalue: float
    grs: float  # Gibbons-Ross-Shanken F(N, T - N - K)
    grs_pvalue: float


def regress(r: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS of each column of r on [1, f]: coefficients (K+1, N) and residuals (T, N)."""
    x = np.column_stack([np.ones(len(f)), f])
    b = np.linalg.lstsq(x, r, rcond=None)[0]
    return b, r - x @ b


def time_series(
    r: np.ndarray,
    f: np.ndarray,
    lags: int | None = None,
    kernel: str = "bartlett",
    debiased: bool = True,
) -> TimeSeries:
    """Asset-by-asset OLS with a joint (cross-asset) sandwich covariance of the coefficients."""
    T, N = r.shape
    K = f.shape[1]
    x = np.column_stack([np.ones(T), f])
    b, e = regress(r, f)
    # scores of every coefficient of every asset, premultiplied by (X'X/T)^-1
    a = np.linalg.inv(x.T @ x / T)
    h = np.einsum("kj,tj,tn->tnk", a, x, e).reshape(T, N * (K + 1))
    cov = long_run(h, lags, kernel) / (T - (K + 1) * debiased)
    se = np.sqrt(np.diag(cov)).reshape(N, K + 1)
    idx = np.arange(N) * (K + 1)
    v_alpha = cov[np.ix_(idx, idx)]
    alpha = b[0]
    wald = float(alpha @ np.linalg.pinv(v_alpha) @ alpha)
    fe = f - f.mean(0)
    rp_cov = long_run(fe, lags, kernel) / (T - debiased)
    # GRS with maximum-likelihood covariances
    sigma = e.T @ e / T
    omega = fe.T @ fe / T
    mu = f.mean(0)
    grs = (
        (T - N - K)
        / N
        * float(alpha @ np.linalg.solve(sigma, alpha))
        / (1 + float(mu @ np.linalg.solve(omega, mu)))
    )
    rc = r - r.mean(0)
    return TimeSeries(
        alpha=alpha,
        beta=b[1:].T,
        alpha_se=se[:, 0],
        beta_se=se[:, 1:],
        residual_cov=e.T @ e / (T - K - 1),
        r2=1 - (e**2).sum(0) / (rc**2).sum(0),
        r2_total=float(1 - (e**2).sum() / (rc**2).sum()),
        risk_premium=mu,
        risk_premium_se=np.sqrt(np.diag(rp_cov)),
        wald=wald,
        wald_pvalue=float(stats.chi2.sf(wald, N)),
        grs=grs,
        grs_pvalue=float(stats.f.sf(grs, N, T - N - K)),
    )
