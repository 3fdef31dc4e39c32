"""GMM on beta-pricing moment systems: one-step, two-step and iterated, HAC weights, J-test.

Moments are pure JAX functions g(θ; r_t, f_t) of one period; JAX differentiates them for the
Gauss-Newton minimisation of T ḡ'Wḡ and for the sandwich covariance. Two systems:

- `stacked` (the system of linearmodels' `LinearFactorModelGMM`): θ = (β, λ, μ),
  ε_t = r_t − βλ − β(f_t − μ); moments ε_t ⊗ (1, f_t) and f_t − μ.
- `beta_pricing` (Chinco 2014, eq. 10, for K factors): θ = (μ, α, β, λ); moments f_t − μ,
  e_t = r_t − α − β(f_t − μ), e_t ⊗ (f_t − μ), r_t − βλ.

Both have N − K over-identifying restrictions. The first step's weight is the inverse covariance
of the moments at the two-pass start values (as linearmodels does); each further step recomputes it.

In `beta_pricing` the centred pricing moments r_t − βλ are an exact combination of the others
(e_t + β(f_t − μ) plus a constant), so their long-run covariance S is singular: the combinations
v'g_t in its null space are constants, here α − βλ. The efficient weight gives them infinite
weight, so the efficient steps minimise ḡ'S⁺ḡ subject to N'ḡ(θ) = 0 (N a basis of null S) by
Gauss-Newton on the bordered (KKT) system, and the covariance is the top-left block of the
inverse of [[D'S⁺D, D'N], [N'D, 0]]. Without null directions this is ordinary efficient GMM.
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
def _long_run(theta, r, f, weights, system, center):
    g = _moment_matrix(theta, r, f, system)
    return _hac(g - g.mean(0) if center else g, weights)


def split_weight(s: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """S⁺ on the range of S and a basis N of its null space (eigenvalues below rtol·max)."""
    val, vec = np.linalg.eigh(np.asarray(s))
    null = val <= rtol * val.max()
    keep = vec[:, ~null]
    return (keep / val[~null]) @ keep.T, vec[:, null]


def _weight(theta, r, f, weights, system, center):
    return tuple(map(jnp.asarray, split_weight(_long_run(theta, r, f, weights, system, center))))


def _bordered(h, a):
    """[[H, A'], [A, 0]]: the Gauss-Newton matrix with the null-space constraints."""
    c = a.shape[0]
    return jnp.block([[h, a.T], [a, jnp.zeros((c, c))]])


@partial(jax.jit, static_argnames=("system",))
def _minimize(theta0, r, f, w, null, system):
    """Gauss-Newton on ḡ(θ) subject to N'ḡ(θ) = 0: θ ← θ − δ with δ from the bordered system; its
    fixed points are the constrained stationary points of J (plain (D'WD)⁻¹D'Wḡ without N)."""
    gbar = lambda th: _moment_matrix(th, r, f, system).mean(0)
    P = theta0.shape[0]

    def body(state):
        theta, _, i = state
        g = gbar(theta)
        d = jax.jacfwd(gbar)(theta)
        rhs = jnp.concatenate([d.T @ w @ g, null.T @ g])
        step = jnp.linalg.solve(_bordered(d.T @ w @ d, null.T @ d), rhs)[:P]
        return theta - step, jnp.max(jnp.abs(step)) / (1 + jnp.max(jnp.abs(theta))), i + 1

    def cond(state):
        return (state[1] > 1e-14) & (state[2] < 200)

    theta, _, _ = jax.lax.while_loop(cond, body, (theta0, jnp.inf, 0))
    g = gbar(theta)
    return theta, r.shape[0] * g @ w @ g


@partial(jax.jit, static_argnames=("system", "efficient"))
def _inference(theta, r, f, s, s_plus, null, w, system, efficient, scale):
    """Parameter covariance and the covariance of ḡ: efficient (the bordered inverse, (D'S⁻¹D)⁻¹
    when S is regular), or the W sandwich."""
    d = jax.jacfwd(lambda th: _moment_matrix(th, r, f, system).mean(0))(theta)
    g = _moment_matrix(theta, r, f, system)
    if efficient:
        P = theta.shape[0]
        cov = jnp.linalg.inv(_bordered(d.T @ s_plus @ d, null.T @ d))[:P, :P] * scale
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
    M = len(_moment_matrix(theta, r[:1], f[:1], system)[0])
    if weight == "optimal":
        w, null = _weight(theta, r, f, weights, system, center)
    else:
        w, null = jnp.eye(M), jnp.zeros((M, 0))
    n_steps = max_steps if iterated else steps
    theta, j, w, done = _steps(theta, r, f, w, null, weights, system, center, n_steps, tol)
    scale = 1.0 / (T - K * debiased)
    efficient = weight == "optimal" or done > 1
    s = _long_run(theta, r, f, weights, system, center)
    s_plus, null = _weight(theta, r, f, weights, system, center)
    gbar, cov, mcov = _inference(theta, r, f, s, s_plus, null, w, system, efficient, scale)
    theta, cov, gbar, mcov = map(np.asarray, (theta, cov, gbar, mcov))
    if not efficient:  # J = ḡ' V_ḡ⁺ ḡ, V_ḡ of rank N − K under a non-optimal weight
        val, vec = np.linalg.eigh(mcov)
        rank = slice(val.size - (N - K), None)  # empty when exactly identified: J = 0
        j = np.sum((gbar @ vec[:, rank]) ** 2 / val[rank])
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
        float(stats.chi2.sf(j, N - K)) if N > K else np.nan,
        done,
    )


def _steps(theta, r, f, w, null, weights, system, center, n_steps, tol):
    """The first step with weight `w`, then re-weighted steps until `n_steps` or J settles."""
    theta, j = _minimize(theta, r, f, w, null, system)
    done = 1
    while done < n_steps:
        w, null = _weight(theta, r, f, weights, system, center)
        theta, j_new = _minimize(theta, r, f, w, null, system)
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
