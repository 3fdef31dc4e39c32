"""The Hansen-Jagannathan bound and distance of a linear factor model on excess returns.

Bound (Hansen and Jagannathan 1991; Chinco 2014, eq. 8): any SDF m pricing the excess returns R
has σ(m)/E(m) ≥ max Sharpe ratio of the test assets = √(μ'Σ⁻¹μ), the Sharpe ratio of their
tangency portfolio. The SDF a factor model implies, m = 1 − b'(f − E f) with b = Σ_f⁻¹λ, has
σ(m)/E(m) = √(λ'Σ_f⁻¹λ). Sample moments throughout (divided by T).

Distance (Hansen and Jagannathan 1997), for the SDF m_t = 1 − b'f_t: pricing errors
e(b) = E[R_t m_t] = μ − Db with D = E[R_t f_t'], and δ² = min_b e(b)'G⁻¹e(b), G = E[R_t R_t'];
b̂ = (D'G⁻¹D)⁻¹D'G⁻¹μ. Under the model, T δ̂² → Σ_j λ_j χ²_1 (Jagannathan and Wang 1996), λ_j
the N − K non-zero eigenvalues of S^½ G^-½ [I − G^-½ D (D'G⁻¹D)⁻¹ D'G^-½] G^-½ S^½, S the long-run
covariance of the centred u_t = R_t m_t(b̂). The p-value is simulated: `draws` weighted sums of
independent χ²_1 variables (seed `seed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .hac import long_run


@dataclass(frozen=True)
class HJ:
    bound: float  # max Sharpe ratio of the test assets
    factor_sharpe: float  # max Sharpe ratio of the factors: √(μ_f'Σ_f⁻¹μ_f)
    b: np.ndarray  # (K,) SDF coefficients of the distance
    distance: float  # δ̂
    pvalue: float
    weights: np.ndarray  # (N − K,) the λ_j of the weighted χ²


def max_sharpe(x: np.ndarray) -> float:
    """√(μ'Σ⁻¹μ) of the columns of x, moments divided by T."""
    mu = x.mean(0)
    return float(np.sqrt(mu @ np.linalg.solve(np.cov(x.T, ddof=0).reshape(len(mu), -1), mu)))


def sdf_volatility(risk_premium: np.ndarray, f: np.ndarray) -> float:
    """σ(m)/E(m) = √(λ'Σ_f⁻¹λ) of the SDF m = 1 − λ'Σ_f⁻¹(f − E f)."""
    sigma = np.cov(f.T, ddof=0).reshape(f.shape[1], -1)
    return float(np.sqrt(risk_premium @ np.linalg.solve(sigma, risk_premium)))


def hansen_jagannathan(
    r: np.ndarray, f: np.ndarray, lags: int = 0, draws: int = 100_000, seed: int = 0
) -> HJ:
    T, N = r.shape
    K = f.shape[1]
    mu = r.mean(0)
    G = r.T @ r / T
    D = r.T @ f / T
    gi_d = np.linalg.solve(G, D)
    b = np.linalg.solve(D.T @ gi_d, gi_d.T @ mu)
    e = mu - D @ b
    dist2 = float(e @ np.linalg.solve(G, e))
    u = r * (1 - f @ b)[:, None]
    S = long_run(u, lags, center=True)
    g_half = np.real(linalg.inv(linalg.sqrtm(G)))
    q = g_half @ D
    proj = np.eye(N) - q @ np.linalg.solve(q.T @ q, q.T)
    s_half = np.real(linalg.sqrtm(S))
    a = s_half @ g_half @ proj @ g_half @ s_half
    weights = np.sort(np.linalg.eigvalsh((a + a.T) / 2))[::-1][: N - K]
    sims = np.random.default_rng(seed).chisquare(1, size=(draws, N - K)) @ weights
    return HJ(
        bound=max_sharpe(r),
        factor_sharpe=max_sharpe(f),
        b=b,
        distance=float(np.sqrt(max(dist2, 0.0))),
        pvalue=float(np.mean(sims >= T * dist2)),
        weights=weights,
    )
