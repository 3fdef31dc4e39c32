"""The Hansen-Jagannathan bound and distance on the French data against hand computations."""

import numpy as np
import pytest
from scipy import integrate, optimize

import walras.runtime.factors as F
from walras.compiler.factors import factor_specs
from walras.grammar import parse

SPEC = """factor_model m "HJ"
data french
returns {returns} minus RF
factors {factors}
estimate fama_macbeth, hansen_jagannathan
"""
PORTFOLIOS = "S1V1, S1V3, S1V5, S3V1, S3V3, S3V5, S5V1, S5V3, S5V5"
INDUSTRIES = "NoDur, Durbl, Manuf, Enrgy, Chems, BusEq, Telcm, Utils, Shops, Hlth, Money, Other"


def imhof_sf(x, weights):
    """P(Σ λ_j χ²_1 > x) by Imhof's (1961) inversion formula."""

    def integrand(u):
        theta = 0.5 * np.sum(np.arctan(weights * u)) - 0.5 * x * u
        rho = np.prod((1 + (weights * u) ** 2) ** 0.25)
        return np.sin(theta) / (u * rho)

    edges = np.concatenate([[0], np.geomspace(0.01, 1e4, 30) / weights.max(), [np.inf]])
    parts = [integrate.quad(integrand, a, b, limit=200)[0] for a, b in zip(edges, edges[1:])]
    return 0.5 + sum(parts) / np.pi


@pytest.mark.parametrize(
    "returns, factors",
    [(PORTFOLIOS, "MktRF, SMB, HML"), (INDUSTRIES, "MktRF"), (INDUSTRIES, "MktRF, SMB, HML, Mom")],
)
def test_bound_and_distance_by_hand(returns, factors):
    ds = F.estimate(factor_specs(parse(SPEC.format(returns=returns, factors=factors)))["m"])
    d = F.data.bundled("french")
    names = [s.strip() for s in returns.split(",")]
    r = d[names].values - d[["RF"]].values
    f = d[[s.strip() for s in factors.split(",")]].values
    T, N = r.shape
    K = f.shape[1]
    # bound: the Sharpe ratio of the tangency portfolio w = Σ⁻¹μ
    mu, sigma = r.mean(0), np.cov(r.T, ddof=0)
    w = np.linalg.solve(sigma, mu)
    assert float(ds.hj_bound) == pytest.approx(w @ mu / np.sqrt(w @ sigma @ w), rel=1e-10)
    # the SDF of the Fama-MacBeth premia, as a series: σ(m)/E(m)
    lam = ds.risk_premium.sel({"method": "fama_macbeth"}).values
    fc = f - f.mean(0)
    m = 1 - fc @ np.linalg.solve(np.atleast_2d(np.cov(f.T, ddof=0)), lam)
    vol = float(ds.sdf_volatility.sel({"method": "fama_macbeth"}))
    assert vol == pytest.approx(m.std() / m.mean(), rel=1e-10)
    # distance: minimise E[R m(b)]' E[RR']⁻¹ E[R m(b)] numerically over b
    G = r.T @ r / T

    def dist2(b):
        e = (r * (1 - f @ b)[:, None]).mean(0)
        return e @ np.linalg.solve(G, e)

    best = optimize.minimize(dist2, np.zeros(K), method="BFGS", options={"gtol": 1e-14})
    assert float(ds.hj_distance) == pytest.approx(np.sqrt(best.fun), rel=1e-7)
    np.testing.assert_allclose(ds.hj_sdf_b.values, best.x, rtol=1e-5)
    # weights of the χ²: the non-zero eigenvalues of S (G⁻¹ − G⁻¹D(D'G⁻¹D)⁻¹D'G⁻¹)
    D = r.T @ f / T
    gd = np.linalg.solve(G, D)
    M = np.linalg.inv(G) - gd @ np.linalg.solve(D.T @ gd, gd.T)
    u = r * (1 - f @ best.x)[:, None]
    S = np.cov(u.T, ddof=0)
    lam_j = np.sort(np.linalg.eigvals(S @ M).real)[::-1][: N - K]
    np.testing.assert_allclose(ds.hj_weights.values, lam_j, rtol=1e-6)
    p = imhof_sf(T * best.fun, lam_j)
    assert float(ds.hj_distance_pvalue) == pytest.approx(p, abs=0.005)
