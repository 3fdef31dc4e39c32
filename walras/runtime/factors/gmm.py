"""GMM on beta-pricing moment systems: one-step, two-step and iterated, HAC weights, J-test.

Moments are pure JAX functions g(θ; r_t, f_t) of one period; JAX differentiates them for the
Gauss-Newton minimisation of T ḡ'Wḡ and for the sandwich covariance. Two systems:

- `stacked` (the system of linearmodels' `LinearFactorModelGMM`): θ = (β, λ, μ),
  ε_t = r_t − βλ − β(f_t − μ); moments ε_t ⊗ (1, f_t) and f_t − μ.
- `beta_pricing` (Chinco 2014, eq. 10, for K factors): θ = (μ, α, β, λ); moments f_t − μ,
  e_t = r_t − α − β(f_t − μ), e_t ⊗ (f_t − μ), r_t − βλ.

Both have N − K over-identifying restrictions. The first step's weight is the inverse covariance
of the moments at the two-pass start values (as linearmodels does); each further step recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from .hac import kernel_weights
from .timeseries import regress


def stacked_moments(theta, r, f):
    N, K = r.shape[-1], f.shape[-1]
    beta = theta[: N * K].reshape(N, K)
    lam, mu = theta[N * K : N * K + K], theta[N * K + K :]
    eps = r - beta @ lam - beta @ (f - mu)
    fc = jnp.concatenate([jnp.ones(1), f])
    return jnp.concatenate([jnp.outer(eps, fc).ravel(), f - mu])


def beta_pricing_moments(theta, r, f):
    N, K = r.shape[-1], f.shape[-1]
    mu, alpha = theta[:K], theta[K : K + N]
    beta = theta[K + N : K + N + N * K].reshape(N, K)
    lam = theta[K + N + N * K :]
    fe = f - mu
    e = r - alpha - beta @ fe
    return jnp.concatenate([fe, e, jnp.outer(e, fe).ravel(), r - beta @ lam])


SYSTEMS = {"stacked": stacked_moments, "beta_pricing": beta_pricing_moments}


@dataclass(frozen=True)
class GMM:
    theta: np.ndarray
    cov: np.ndarray
    beta: np.ndarray  # (N, K)
    risk_premium: np.ndarray  # (K,)
    risk_premium_se: np.ndarray
    pricing_error: np.ndarray  # (N,)
    pricing_error_se: np.ndarray
    j_stat: float
    j_pvalue: float
    steps: int


def start_values(system: str, r: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Two-pass estimates: OLS betas, cross-sectional λ, factor means."""
    b, _ = regress(r, f)
    beta = b[1:].T
    lam = np.linalg.lstsq(beta, r.mean(0), rcond=None)[0]
    mu = f.mean(0)
    if system == "stacked":
        return np.concatenate([beta.ravel(), lam, mu])
    return np.concatenate([mu, r.mean(0), beta.ravel(), lam])


def _hac(g, weights):
    """Kernel long-run covariance of the rows of g, as a JAX function of fixed weights."""
    T = g.shape[0]
    s = g.T @ g
    for j in range(1, weights.shape[0]):
        a = g[j:].T @ g[:-j]
        s = s + weights[j] * (a + a.T)
    s = s / T
    return (s + s.T) / 2


@partial(jax.jit, static_argnames=("system",))
def _moment_matrix(theta, r, f, system):
    return jax.vmap(SYSTEMS[system], in_axes=(None, 0, 0))(theta, r, f)


@partial(jax.jit, static_argnames=("system", "center"))
def _weight(theta, r, f, weights, system, center):
    g = _moment_matrix(theta, r, f, system)
    if center:
        g = g - g.mean(0)
    return jnp.linalg.pinv(_hac(g, weights), hermitian=True)


@partial(jax.jit, static_argnames=("system",))
def _minimize(theta0, r, f, w, system):
    """Gauss-Newton on ḡ(θ): θ ← θ − (D'WD)⁻¹D'Wḡ, whose fixed points are stationary points of J."""
    gbar = lambda th: _moment_matrix(th, r, f, system).mean(0)

    def body(state):
        theta, _, i = state
        g = gbar(theta)
        d = jax.jacfwd(gbar)(theta)
        step = jnp.linalg.solve(d.T @ w @ d, d.T @ w @ g)
        return theta - step, jnp.max(jnp.abs(step)) / (1 + jnp.max(jnp.abs(theta))), i + 1

    def cond(state):
        return (state[1] > 1e-14) & (state[2] < 200)

    theta, _, _ = jax.lax.while_loop(cond, body, (theta0, jnp.inf, 0))
    g = gbar(theta)
    return theta, r.shape[0] * g @ w @ g


@partial(jax.jit, static_argnames=("system", "center", "efficient"))
def _inference(theta, r, f, weights, w, system, center, efficient, scale):
    """Parameter covariance and the covariance of ḡ: efficient (D'S⁻¹D)⁻¹, or the W sandwich."""
    g = _moment_matrix(theta, r, f, system)
    d = jax.jacfwd(lambda th: _moment_matrix(th, r, f, system).mean(0))(theta)
    s = _hac(g - g.mean(0) if center else g, weights)
    if efficient:
        cov = jnp.linalg.inv(d.T @ jnp.linalg.pinv(s, hermitian=True) @ d) * scale
        moment_cov = scale * s - d @ cov @ d.T
    else:
        bread = jnp.linalg.solve(d.T @ w @ d, d.T @ w)
        cov = bread @ s @ bread.T * scale
        proj = jnp.eye(d.shape[0]) - d @ bread
        moment_cov = proj @ s @ proj.T * scale
    return g.mean(0), cov, (moment_cov + moment_cov.T) / 2


def gmm(
    r: np.ndarray,
    f: np.ndarray,
    system: str = "stacked",
    steps: int = 2,
    iterated: bool = False,
    lags: int | None = None,
    kernel: str = "bartlett",
    center: bool = True,
    debiased: bool = True,
    tol: float = 1e-6,
    max_steps: int = 100,
    weight: str | None = None,
) -> GMM:
    """Estimate; `iterated` repeats steps until J changes by less than `tol` (at most `max_steps`).

    `weight` is the first step's: `optimal` (the moments' inverse covariance at the start values;
    the default of `stacked`) or `identity` (the default of `beta_pricing`, whose moments are
    linearly dependent in sample, so that later steps use a generalised inverse).
    """
    T, N = r.shape
    K = f.shape[1]
    r, f = jnp.asarray(r, float), jnp.asarray(f, float)
    weights = jnp.asarray(kernel_weights(lags or 0, kernel))
    theta = jnp.asarray(start_values(system, np.asarray(r), np.asarray(f)))
    weight = weight or ("optimal" if system == "stacked" else "identity")
    w = (
        _weight(theta, r, f, weights, system, center)
        if weight == "optimal"
        else jnp.eye(len(_moment_matrix(theta, r[:1], f[:1], system)[0]))
    )
    n_steps = max_steps if iterated else steps
    theta, j, w, done = _steps(theta, r, f, w, weights, system, center, n_steps, tol)
    scale = 1.0 / (T - K * debiased)
    efficient = weight == "optimal" or done > 1
    gbar, cov, mcov = _inference(theta, r, f, weights, w, system, center, efficient, scale)
    theta, cov, gbar, mcov = map(np.asarray, (theta, cov, gbar, mcov))
    if not efficient:  # J = ḡ' V_ḡ⁺ ḡ with the covariance of ḡ under a non-optimal weight
        j = gbar @ np.linalg.pinv(mcov, hermitian=True) @ gbar
    beta, lam_idx, err_idx = _layout(system, theta, N, K)
    j = float(j)
    return GMM(
        theta,
        cov,
        beta,
        theta[lam_idx],
        np.sqrt(np.diag(cov)[lam_idx]),
        gbar[err_idx],
        np.sqrt(np.clip(np.diag(mcov)[err_idx], 0, None)),
        j,
        float(stats.chi2.sf(j, N - K)),
        done,
    )


def _steps(theta, r, f, w, weights, system, center, n_steps, tol):
    """The first step with weight `w`, then re-weighted steps until `n_steps` or J settles."""
    theta, j = _minimize(theta, r, f, w, system)
    done = 1
    while done < n_steps:
        w = _weight(theta, r, f, weights, system, center)
        theta, j_new = _minimize(theta, r, f, w, system)
        done += 1
        converged = abs(float(j_new) - float(j)) < tol
        j = j_new
        if converged:
            break
    return theta, j, w, done


def _layout(system: str, theta: np.ndarray, N: int, K: int):
    """The betas of θ, and the positions of the risk premia in θ and of the pricing errors in ḡ."""
    if system == "stacked":
        beta = theta[: N * K].reshape(N, K)
        return beta, np.arange(N * K, N * K + K), np.arange(N) * (K + 1)
    beta = theta[K + N : K + N + N * K].reshape(N, K)
    return beta, np.arange(K + N + N * K, K + N + N * K + K), K + N + N * K + np.arange(N)
