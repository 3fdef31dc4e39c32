"""GMM on Chinco's (2014, eq. 10) beta-pricing system against an independent implementation:
scipy least squares on the same moments, the efficient steps with the degenerate combinations
(the null space of S) eliminated analytically instead of the bordered Gauss-Newton walras uses."""

import numpy as np
import pytest
from scipy import linalg, optimize

import walras.runtime.factors as F
from walras.runtime.factors.gmm import gmm

INDUSTRIES = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq"]
INDUSTRIES += ["Telcm", "Utils", "Shops", "Hlth", "Money", "Other"]


@pytest.fixture(scope="module")
def capm():
    d = F.data.bundled("french")
    return d[INDUSTRIES].values - d[["RF"]].values, d[["MktRF"]].values


def moments(theta, r, f):
    """g_t(θ) for every period, θ = (μ, α, β, λ): f − μ, e, e ⊗ (f − μ), r − βλ."""
    N, K = r.shape[1], f.shape[1]
    mu, alpha = theta[:K], theta[K : K + N]
    beta = theta[K + N : K + N + N * K].reshape(N, K)
    lam = theta[K + N + N * K :]
    fe = f - mu
    e = r - alpha - fe @ beta.T
    cross = (e[:, :, None] * fe[:, None, :]).reshape(len(r), -1)
    return np.hstack([fe, e, cross, r - beta @ lam])


def reference(r, f, steps, first="identity", tol=1e-6):
    """Step by step: W = I or S⁺, the null combinations of S imposed by solving them for α."""
    T, N = r.shape
    K = f.shape[1]
    gbar = lambda th: moments(th, r, f).mean(0)
    x = np.column_stack([np.ones(T), f])
    coef = np.linalg.lstsq(x, r, rcond=None)[0]
    beta0 = coef[1:].T
    lam0 = np.linalg.lstsq(beta0, r.mean(0), rcond=None)[0]
    theta = np.concatenate([f.mean(0), r.mean(0), beta0.ravel(), lam0])
    a_idx = np.arange(K, K + N)
    rest = np.setdiff1d(np.arange(len(theta)), a_idx)
    tight = dict(xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10000)

    def inverse_s(theta):
        """S⁺ = root root' and a basis of null S, from the centred moments at θ."""
        g = moments(theta, r, f)
        g = g - g.mean(0)
        val, vec = np.linalg.eigh(g.T @ g / T)
        null = val <= 1e-10 * val.max()
        return vec[:, ~null] / np.sqrt(val[~null]), vec[:, null]

    def full(phi, basis):  # θ with α solved from N'ḡ = 0 (ḡ is affine in α)
        th = np.zeros_like(theta)
        th[rest] = phi
        g0 = gbar(th)
        b = np.column_stack([gbar(th + np.eye(len(th))[i]) - g0 for i in a_idx])
        th[a_idx] = np.linalg.solve(basis.T @ b, -basis.T @ g0)
        return th

    efficient = first == "optimal"
    j_prev = None
    for _ in range(steps):
        if not efficient:
            theta = optimize.least_squares(gbar, theta, **tight).x
            efficient = True
            continue
        root, basis = inverse_s(theta)
        res = lambda p, root=root, basis=basis: root.T @ gbar(full(p, basis))
        theta = full(optimize.least_squares(res, theta[rest], **tight).x, basis)
        j = T * np.sum((root.T @ gbar(theta)) ** 2)
        if j_prev is not None and abs(j - j_prev) < tol:
            break
        j_prev = j
    if steps == 1 and first == "identity":
        return theta, None
    return theta, (*inverse_s(theta), j)


@pytest.mark.parametrize(
    "options, steps",
    [
        ({"steps": 1}, 1),
        ({"steps": 2}, 2),
        ({"steps": 3}, 3),
        ({"iterated": True}, 100),
        ({"steps": 1, "weight": "optimal"}, 1),
        ({"steps": 2, "weight": "optimal"}, 2),
    ],
)
def test_beta_pricing_matches_scipy(capm, options, steps):
    r, f = capm
    T, N = r.shape
    K = f.shape[1]
    ours = gmm(r, f, system="beta_pricing", **options)
    theta, extra = reference(r, f, steps, options.get("weight", "identity"))
    assert np.all(np.isfinite(ours.theta))
    np.testing.assert_allclose(ours.theta, theta, rtol=1e-6, atol=1e-9)
    if extra is None:
        return
    root, basis, j = extra
    assert ours.j_stat == pytest.approx(j, rel=1e-6)
    # efficient covariance on the tangent space Z of N'ḡ = 0 at the estimates:
    # Z (Z'D'S⁺DZ)⁻¹ Z' / (T − K), D by central differences (exact: ḡ is quadratic in θ)
    gbar = lambda th: moments(th, r, f).mean(0)
    h = 1e-4
    d = np.column_stack(
        [(gbar(theta + h * e) - gbar(theta - h * e)) / (2 * h) for e in np.eye(len(theta))]
    )
    z = linalg.null_space(basis.T @ d) if basis.shape[1] else np.eye(len(theta))
    rd = root.T @ d @ z
    cov = z @ np.linalg.inv(rd.T @ rd) @ z.T / (T - K)
    np.testing.assert_allclose(ours.risk_premium_se, np.sqrt(np.diag(cov))[-K:], rtol=1e-6)


def test_exactly_identified_j_is_zero(capm):
    r, f = capm
    for steps in (1, 2):
        fit = gmm(r[:, :1], f, system="beta_pricing", steps=steps)
        assert fit.j_stat == pytest.approx(0.0, abs=1e-12)
        assert np.isnan(fit.j_pvalue)
    lam = np.linalg.lstsq(fit.beta, r[:, :1].mean(0), rcond=None)[0]
    np.testing.assert_allclose(fit.risk_premium, lam, rtol=1e-8)


def test_efficient_beta_pricing_approaches_stacked(capm):
    """The efficient beta-pricing system imposes α = βλ: iterated, it nearly matches `stacked`."""
    r, f = capm
    a = gmm(r, f, system="beta_pricing", iterated=True)
    b = gmm(r, f, system="stacked", iterated=True)
    np.testing.assert_allclose(a.risk_premium, b.risk_premium, rtol=0.05)
