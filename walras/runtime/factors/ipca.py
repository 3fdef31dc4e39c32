"""Instrumented PCA (Kelly, Pruitt and Su 2019) by alternating least squares, in JAX.

r_{i,t+1} = x_{i,t}'(Γ_α + Γ_β f_{t+1}) + ε. Everything runs on the characteristic-managed
portfolios W_t = Σ_i x_it x_it' and Q_t = Σ_i x_it r_it (observed cells only), so memory is
O(T L²) after one pass over the panel. Normalisation: Γ_β'Γ_β = I, F F' diagonal with
decreasing entries, factor means positive, Γ_α orthogonal to Γ_β.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..devices import Devices, choose


@dataclass(frozen=True)
class IPCA:
    gamma: np.ndarray  # (L, K) Γ_β
    gamma_alpha: np.ndarray  # (L,) zeros without an intercept
    factors: np.ndarray  # (T, K)
    iterations: int
    r2_total: float
    r2_pred: float


def managed(chars: np.ndarray, returns: np.ndarray, mask: np.ndarray, chunk: int = 64):
    """W_t = X_t'M_t X_t (T, L, L) and Q_t = X_t'M_t r_t (T, L), a few periods at a time."""
    T, _, L = chars.shape
    W = np.empty((T, L, L))
    Q = np.empty((T, L))
    full = bool(mask.all())
    for s in range(0, T, chunk):
        x = chars[s : s + chunk]
        r = returns[s : s + chunk]
        if not full:
            m = mask[s : s + chunk]
            x, r = x * m[..., None], r * m
        xt = np.swapaxes(x, 1, 2)
        W[s : s + chunk] = xt @ x
        Q[s : s + chunk] = (xt @ r[..., None])[..., 0]
    return W, Q


def _factors(gamma, ga, W, Q):
    a = jnp.einsum("lk,tlm,mj->tkj", gamma, W, gamma)
    b = jnp.einsum("lk,tl->tk", gamma, Q - W @ ga)
    return jnp.linalg.solve(a, b[..., None])[..., 0]


def _gammas(F, W, Q, intercept):
    T, L = Q.shape
    Z = jnp.concatenate([F, jnp.ones((T, 1))], axis=1) if intercept else F
    J = Z.shape[1]
    den = jnp.einsum("tlm,tk,tj->lkmj", W, Z, Z).reshape(L * J, L * J)
    num = jnp.einsum("tl,tk->lk", Q, Z).reshape(L * J)
    G = jnp.linalg.solve(den, num).reshape(L, J)
    return (G[:, :-1], G[:, -1]) if intercept else (G, jnp.zeros(L))


def _normalise(gamma, ga, F):
    r1 = jnp.linalg.cholesky(gamma.T @ gamma).T  # Γ'Γ = R1'R1
    g1 = jnp.linalg.solve(r1.T, gamma.T).T  # Γ R1⁻¹
    f1 = F @ r1.T  # rows: R1 f_t
    _, u = jnp.linalg.eigh(f1.T @ f1)
    u = u[:, ::-1]
    g2, f2 = g1 @ u, f1 @ u
    shift = g2.T @ ga  # move Γ_α's part in span(Γ_β) into f
    ga = ga - g2 @ shift
    f2 = f2 + shift
    sign = jnp.where(f2.mean(0) < 0, -1.0, 1.0)
    return g2 * sign, ga, f2 * sign


@partial(jax.jit, static_argnames=("intercept", "max_iter", "devices"))
def als(W, Q, gamma0, intercept: bool, tol: float, max_iter: int, devices: Devices | None = None):
    """Alternate f_t = (Γ'W_tΓ)⁻¹Γ'(Q_t − W_tΓ_α) and the pooled regression for Γ to convergence;
    with `devices`, the managed portfolios (and factors) sharded over them by period."""
    if devices is not None:
        W, Q = devices.split((W, Q))
    ga0 = jnp.zeros(gamma0.shape[0])
    F0 = _factors(gamma0, ga0, W, Q)

    def body(state):
        gamma, ga, F, _, i = state
        Fn = _factors(gamma, ga, W, Q)
        gn, gan = _gammas(Fn, W, Q, intercept)
        gn, gan, Fn = _normalise(gn, gan, Fn)
        change = jnp.maximum(jnp.max(jnp.abs(gn - gamma)), jnp.max(jnp.abs(gan - ga)))
        change = jnp.maximum(change, jnp.max(jnp.abs(Fn - F)))
        return gn, gan, Fn, change, i + 1

    cond = lambda s: (s[3] > tol) & (s[4] < max_iter)
    gamma, ga, F, _, it = jax.lax.while_loop(cond, body, (gamma0, ga0, F0, jnp.inf, 0))
    return (gamma, ga, F, it) if devices is None else devices.whole((gamma, ga, F, it))


def start(Q: np.ndarray, counts: np.ndarray, K: int) -> np.ndarray:
    """Leading left singular vectors of the average managed portfolios (as the `ipca` package)."""
    u, _, _ = np.linalg.svd((Q / np.maximum(counts, 1)[:, None]).T, full_matrices=False)
    return u[:, :K]


def fitted(chars, gamma, ga, F) -> np.ndarray:
    """x_it'(Γ_α + Γ_β f_t), period by period."""
    return (chars @ (ga[None, :] + F @ gamma.T)[..., None])[..., 0]


def r2(chars, returns, mask, gamma, ga, F) -> tuple[float, float]:
    """Total R² (with f_t) and predictive R² (with the mean factor), both uncentred as in KPS."""
    total = np.sum(np.where(mask, returns, 0.0) ** 2)
    e_tot = np.where(mask, returns - fitted(chars, gamma, ga, F), 0.0)
    lam = np.broadcast_to(F.mean(0), F.shape)
    e_pred = np.where(mask, returns - fitted(chars, gamma, ga, lam), 0.0)
    return float(1 - np.sum(e_tot**2) / total), float(1 - np.sum(e_pred**2) / total)


def ipca(
    chars: np.ndarray,
    returns: np.ndarray,
    mask: np.ndarray,
    K: int,
    intercept: bool = False,
    tol: float = 1e-8,
    max_iter: int = 10000,
    devices: Devices | None = None,
) -> IPCA:
    """The fit, its periods sharded over `devices` (by default `runtime.devices.choose()`)."""
    W, Q = managed(chars, returns, mask)
    counts = mask.sum(1)
    gamma0 = start(Q, counts, K)
    devices = devices or choose()
    arrays = devices.replicate(tuple(jnp.asarray(a) for a in (W, Q, gamma0)))
    gamma, ga, F, it = als(*arrays, intercept, tol, max_iter, devices)
    gamma, ga, F = map(np.asarray, (gamma, ga, F))
    tot, pred = r2(chars, returns, mask, gamma, ga, F)
    return IPCA(gamma, ga, F, int(it), tot, pred)


def out_of_sample(chars, returns, mask, fit: IPCA) -> tuple[np.ndarray, float, float]:
    """With Γ from the fit: f_t by cross-sectional regression (total R²) and the fit's mean factor
    (predictive R²) on new periods."""
    W, Q = managed(chars, returns, mask)
    F = np.asarray(
        _factors(
            jnp.asarray(fit.gamma), jnp.asarray(fit.gamma_alpha), jnp.asarray(W), jnp.asarray(Q)
        )
    )
    total = np.sum(np.where(mask, returns, 0.0) ** 2)
    e_tot = np.where(mask, returns - fitted(chars, fit.gamma, fit.gamma_alpha, F), 0.0)
    lam = np.broadcast_to(fit.factors.mean(0), F.shape)
    e_pred = np.where(mask, returns - fitted(chars, fit.gamma, fit.gamma_alpha, lam), 0.0)
    return F, float(1 - np.sum(e_tot**2) / total), float(1 - np.sum(e_pred**2) / total)


def bootstrap_alpha(
    chars,
    returns,
    mask,
    fit: IPCA,
    draws: int = 1000,
    seed: int = 0,
    tol: float = 1e-6,
    max_iter: int = 1000,
) -> tuple[float, float]:
    """KPS's wild residual bootstrap of W_α = Γ_α'Γ_α under Γ_α = 0: returns (W_α, p-value).

    Managed-portfolio residuals d_t = Q_t − W_t(Γ_α + Γ_β f_t) are resampled over t, scaled by
    Student-t(5) draws of unit variance, and added to W_tΓ_β f_t; each sample is refit.
    """
    W, Q = managed(chars, returns, mask)
    base = np.einsum("tlm,mk,tk->tl", W, fit.gamma, fit.factors)
    d = Q - base - W @ fit.gamma_alpha
    rng = np.random.default_rng(seed)
    T = len(Q)
    idx = rng.integers(0, T, size=(draws, T))
    q = rng.standard_t(5, size=(draws, T)) * np.sqrt(3 / 5)
    Qb = base[None] + q[..., None] * d[idx]
    Wj, g0 = jnp.asarray(W), jnp.asarray(fit.gamma)
    refit = jax.vmap(lambda qb: als(Wj, qb, g0, True, tol, max_iter)[1])
    ga_b = np.asarray(refit(jnp.asarray(Qb)))
    w_alpha = float(fit.gamma_alpha @ fit.gamma_alpha)
    return w_alpha, float(np.mean(np.sum(ga_b**2, axis=1) > w_alpha))
