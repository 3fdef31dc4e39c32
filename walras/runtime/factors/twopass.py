"""Two-pass cross-sectional regressions: Fama-MacBeth premia with Shanken and Newey-West errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .hac import long_run
from .timeseries import regress

SE_KINDS = ("fama_macbeth", "shanken", "newey_west", "newey_west_shanken")


@dataclass(frozen=True)
class TwoPass:
    beta: np.ndarray  # (N, K) first-pass betas
    risk_premium: np.ndarray  # (K,)
    se: dict[str, np.ndarray]  # SE_KINDS -> (K,)
    chosen: str  # the kind the options select
    pricing_error: np.ndarray  # (N,) mean excess return less β λ
    pricing_error_se: np.ndarray
    r2_cs: float
    j_stat: float  # α' V_α⁺ α, χ²(N - K)
    j_pvalue: float
    premia_t: np.ndarray  # (T, K) period-by-period estimates


def rolling_betas(r: np.ndarray, f: np.ndarray, length: int) -> np.ndarray:
    """(T − length, N, K): each period t ≥ length gets the betas of the `length` periods before."""
    T = len(r)
    idx = np.arange(length, T)[:, None] - np.arange(length, 0, -1)[None, :]
    x = np.concatenate([np.ones((len(idx), length, 1)), f[idx]], axis=-1)
    coef = np.linalg.solve(np.einsum("wtk,wtj->wkj", x, x), np.einsum("wtk,wtn->wkn", x, r[idx]))
    return np.transpose(coef[:, 1:], (0, 2, 1))


def fama_macbeth(
    r: np.ndarray, f: np.ndarray, shanken: bool = True, lags: int = 0, betas: str | int = "full"
) -> TwoPass:
    """Betas, then a cross-sectional OLS (no intercept) of returns on betas per period.

    `betas = "full"`: full-sample betas; an integer L: each period's betas from the L periods
    before it (Fama and MacBeth 1973; Chinco 2014 uses 60 months), the premia averaged over the
    periods from L on (the first L have none). Plain: Var λ̂ = Σ_t (λ_t − λ̄)(λ_t − λ̄)' / T².
    Newey-West: the Bartlett long-run covariance of λ_t with `lags` lags, over T. Shanken:
    (1 + λ'Σ_f⁻¹λ) Var + Σ_f / T, Σ_f the factor covariance (full-sample betas only: NaN with
    rolling betas, whose errors are then the plain or Newey-West ones).
    """
    T, N = r.shape
    K = f.shape[1]
    if betas == "full":
        b, _ = regress(r, f)
        beta_t = np.broadcast_to(b[1:].T, (T, N, K))
    else:
        beta_t = np.concatenate([np.full((betas, N, K), np.nan), rolling_betas(r, f, betas)])
    used = np.isfinite(beta_t[:, 0, 0])
    beta = beta_t[used].mean(0)
    lam_t = np.full((T, K), np.nan)
    lam_t[used] = np.einsum("tkn,tn->tk", np.linalg.pinv(beta_t[used]), r[used])
    alpha_t = r[used] - np.einsum("tnk,tk->tn", beta_t[used], lam_t[used])
    premia_t, lam_t = lam_t, lam_t[used]
    lam = lam_t.mean(0)
    alpha = alpha_t.mean(0)
    T = len(lam_t)
    r, f = r[used], f[used]
    fe = f - f.mean(0)
    sigma_f = fe.T @ fe / T
    c = 1 + float(lam @ np.linalg.solve(sigma_f, lam))
    v_plain = long_run(lam_t, 0, center=True) / T
    v_nw = long_run(lam_t, lags, center=True) / T
    var = {
        "fama_macbeth": v_plain,
        "shanken": c * v_plain + sigma_f / T,
        "newey_west": v_nw,
        "newey_west_shanken": c * v_nw + sigma_f / T,
    }
    shanken = shanken and betas == "full"
    if not betas == "full":
        var["shanken"] = var["newey_west_shanken"] = np.full((K, K), np.nan)
    chosen = (
        ("newey_west_" if lags else "") + "shanken"
        if shanken
        else ("newey_west" if lags else "fama_macbeth")
    )
    v_alpha = long_run(alpha_t, lags, center=True) / T * (c if shanken else 1.0)
    j = float(alpha @ np.linalg.pinv(v_alpha) @ alpha)
    rbar = r.mean(0)
    return TwoPass(
        beta=beta,
        risk_premium=lam,
        se={k: np.sqrt(np.diag(v)) for k, v in var.items()},
        chosen=chosen,
        pricing_error=alpha,
        pricing_error_se=np.sqrt(np.diag(v_alpha)),
        r2_cs=float(1 - (alpha**2).sum() / ((rbar - rbar.mean()) ** 2).sum()),
        j_stat=j,
        j_pvalue=float(stats.chi2.sf(j, N - K)),
        premia_t=premia_t,
    )
