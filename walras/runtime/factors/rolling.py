"""Rolling-window betas and risk premia, and the optimal window length of Chinco (2014), "Using
the cross-section of returns", eq. 22.

With risk prices following a random walk (innovation s.d. σ_l) and a prior on the price of s.d.
σ_λ, an asset with beta β and residual s.d. σ_z gives an estimate of λ with variance σ_z²/(β²T);
minimising E[(λ_T − λ̂)²] = Tσ_l² + (1/σ_λ² + Tβ²/σ_z²)⁻¹ over T gives

    T* = max{0, σ_z / (|β| σ_l) − σ_z² / (β² σ_λ²)}.

(The paper prints "min{0, …}"; the first-order condition gives this interior root, floored at 0.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .timeseries import regress


def optimal_window(
    beta: np.ndarray, sigma_z: np.ndarray, sigma_l: float, sigma_lambda: float
) -> np.ndarray:
    """Equation 22 elementwise; infinite where σ_l = 0 and undefined (nan) where β = 0."""
    beta = np.abs(np.asarray(beta, dtype=float))
    sigma_z = np.asarray(sigma_z, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = sigma_z / (beta * sigma_l) - sigma_z**2 / (beta**2 * sigma_lambda**2)
    t = np.where(beta == 0, np.nan, t)
    return np.where(np.isnan(t), t, np.maximum(0.0, t))


@dataclass(frozen=True)
class Rolling:
    length: int
    ends: np.ndarray  # index of the last period of each window
    beta: np.ndarray  # (W, N, K)
    risk_premium: np.ndarray  # (W, K) cross-sectional λ from each window's betas and mean returns
    optimal: np.ndarray | None  # (N, K) equation 22, when asked for


def rolling(
    r: np.ndarray,
    f: np.ndarray,
    length: int | str,
    step: int = 1,
    sigma_l: float | None = None,
    sigma_lambda: float | None = None,
) -> Rolling:
    """Estimate on windows [t − length + 1, t]; `length = "optimal"` takes the median of eq. 22."""
    T, N = r.shape
    K = f.shape[1]
    optimal = None
    if sigma_l is not None and sigma_lambda is not None:
        b, e = regress(r, f)
        sigma_z = e.std(0, ddof=K + 1)
        optimal = optimal_window(b[1:].T, sigma_z[:, None], sigma_l, sigma_lambda)
    if length == "optimal":
        finite = optimal[np.isfinite(optimal)] if optimal is not None else np.array([])
        length = int(np.round(np.median(finite))) if finite.size else T
    length = int(np.clip(length, K + 2, T))
    ends = np.arange(length - 1, T, step)
    idx = ends[:, None] - np.arange(length)[::-1][None, :]  # (W, length)
    rw, fw = r[idx], f[idx]
    x = np.concatenate([np.ones(rw.shape[:2] + (1,)), fw], axis=-1)
    coef = np.linalg.solve(np.einsum("wtk,wtj->wkj", x, x), np.einsum("wtk,wtn->wkn", x, rw))
    beta = np.transpose(coef[:, 1:], (0, 2, 1))  # (W, N, K)
    lam = np.einsum("wkn,wn->wk", np.linalg.pinv(beta), rw.mean(1))
    return Rolling(length, ends, beta, lam, optimal)
