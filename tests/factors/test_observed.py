"""ff3 on linearmodels' French data against linearmodels and independent textbook computations."""

import numpy as np
import pytest
from scipy import optimize, stats

lm = pytest.importorskip("linearmodels")
from linearmodels.asset_pricing import LinearFactorModel, LinearFactorModelGMM, TradedFactorModel  # noqa: E402
from linearmodels.datasets import french  # noqa: E402

import walras.runtime.factors as F  # noqa: E402
from walras.runtime.factors.gmm import gmm  # noqa: E402
from walras.runtime.factors.rolling import optimal_window, rolling  # noqa: E402

PORTFOLIOS = ["S1V1", "S1V3", "S1V5", "S3V1", "S3V3", "S3V5", "S5V1", "S5V3", "S5V5"]
FACTORS = ["MktRF", "SMB", "HML"]


@pytest.fixture(scope="module")
def data():
    d = french.load()
    return d[PORTFOLIOS].values - d[["RF"]].values, d[FACTORS].values


@pytest.fixture(scope="module")
def ff3():
    return F.estimate("ff3")


def test_bundled_copy_is_linearmodels_data(data):
    frame = F.data.bundled("french")
    r, f = data
    assert np.array_equal(frame[PORTFOLIOS].values - frame[["RF"]].values, r)
    assert np.array_equal(frame[FACTORS].values, f)


def test_time_series_matches_traded_factor_model(ff3, data):
    res = TradedFactorModel(*data).fit()
    np.testing.assert_allclose(ff3.beta.values, res.betas.values, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ff3.alpha.values, res.alphas.values, rtol=0, atol=1e-8)
    se = np.sqrt(np.diag(res.cov.values))[:36].reshape(9, 4)
    np.testing.assert_allclose(ff3.alpha_se.values, se[:, 0], rtol=1e-8)
    np.testing.assert_allclose(ff3.beta_se.values, se[:, 1:], rtol=1e-8)
    ts = ff3.sel({"method": "time_series"})
    np.testing.assert_allclose(ts.risk_premium.values, res.risk_premia.values, rtol=1e-10)
    np.testing.assert_allclose(ts.risk_premium_se.values, res.risk_premia_se.values, rtol=1e-8)
    np.testing.assert_allclose(float(ts.j_stat), res.j_statistic.stat, rtol=1e-8)


def test_grs_matches_independent_computation(ff3, data):
    r, f = data
    T, N = r.shape
    K = f.shape[1]
    x = np.column_stack([np.ones(T), f])
    alphas, resid = [], []
    for i in range(N):  # one regression at a time, by the normal equations
        coef = np.linalg.solve(x.T @ x, x.T @ r[:, i])
        alphas.append(coef[0])
        resid.append(r[:, i] - x @ coef)
    a, u = np.array(alphas), np.array(resid).T
    sigma_u = u.T @ u / (T - K - 1)
    omega = np.cov(f.T, ddof=0)
    mu = f.mean(0)
    grs = (
        (T / N)
        * ((T - N - K) / (T - K - 1))
        * (a @ np.linalg.inv(sigma_u) @ a)
        / (1 + mu @ np.linalg.inv(omega) @ mu)
    )
    assert float(ff3.grs) == pytest.approx(grs, rel=1e-10)
    assert float(ff3.grs_pvalue) == pytest.approx(stats.f.sf(grs, N, T - N - K), rel=1e-8)


def test_two_pass_premia_match_linear_factor_model(ff3, data):
    res = LinearFactorModel(*data).fit()
    np.testing.assert_allclose(
        ff3.risk_premium.sel({"method": "fama_macbeth"}).values,
        res.risk_premia.values,
        rtol=0,
        atol=1e-8,
    )


def test_shanken_and_newey_west_match_textbook(ff3, data):
    r, f = data
    T = len(r)
    x = np.column_stack([np.ones(T), f])
    beta = np.linalg.lstsq(x, r, rcond=None)[0][1:].T
    lam_t = np.array([np.linalg.lstsq(beta, r[t], rcond=None)[0] for t in range(T)])
    lam = lam_t.mean(0)
    d = lam_t - lam
    plain = d.T @ d / T**2
    L = 6
    s = d.T @ d / T
    for j in range(1, L + 1):
        g = d[j:].T @ d[:-j] / T
        s += (1 - j / (L + 1)) * (g + g.T)
    nw = s / T
    fc = f - f.mean(0)
    sf = fc.T @ fc / T
    c = 1 + lam @ np.linalg.inv(sf) @ lam
    expected = {
        "fama_macbeth": plain,
        "shanken": c * plain + sf / T,
        "newey_west": nw,
        "newey_west_shanken": c * nw + sf / T,
    }
    for kind, v in expected.items():
        np.testing.assert_allclose(
            ff3.fama_macbeth_se.sel(fm_se=kind).values, np.sqrt(np.diag(v)), rtol=1e-10
        )
    # ff3 asks for shanken = true, lags = 6
    np.testing.assert_allclose(
        ff3.risk_premium_se.sel({"method": "fama_macbeth"}).values,
        np.sqrt(np.diag(expected["newey_west_shanken"])),
        rtol=1e-10,
    )


def _tight(**kw):
    """linearmodels with its settings, its optimiser run to convergence: BFGS with central
    differences to gtol 1e-10 (with its default forward differences it stops near 1e-6; Powell
    with xtol 1e-12 passes the same checks five times slower)."""
    return {
        "opt_options": {
            "method": "BFGS",
            "jac": "3-point",
            "options": {"gtol": 1e-10, "maxiter": 200000},
        },
        "disp": 0,
        **kw,
    }


def test_gmm_matches_linear_factor_model_gmm(ff3, data):
    res = LinearFactorModelGMM(*data).fit(
        steps=2, cov_type="kernel", kernel="bartlett", bandwidth=6, **_tight()
    )
    g = ff3.sel({"method": "gmm"})
    np.testing.assert_allclose(g.risk_premium.values, res.risk_premia.values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ff3.gmm_beta.values, res.betas.values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(g.risk_premium_se.values, res.risk_premia_se.values, rtol=1e-5)
    assert float(g.j_stat) == pytest.approx(res.j_statistic.stat, rel=1e-6)


@pytest.mark.parametrize("steps", [1, pytest.param(3, marks=pytest.mark.slow)])
def test_gmm_steps_and_robust_weights_match(data, steps):
    res = LinearFactorModelGMM(*data).fit(steps=steps, **_tight())
    g = gmm(*data, steps=steps)
    np.testing.assert_allclose(g.risk_premium, res.risk_premia.values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(g.risk_premium_se, res.risk_premia_se.values, rtol=1e-5)
    np.testing.assert_allclose(g.pricing_error, res.alphas.values, rtol=0, atol=1e-7)
    assert g.j_stat == pytest.approx(res.j_statistic.stat, rel=1e-6)


def test_beta_pricing_system_one_step_matches_direct_minimisation(data):
    """Chinco (2014), eq. 10 (identity first-step weight): three assets, one factor, vs scipy."""
    r, f = data[0][:, :3], data[1][:, :1]
    T, N = r.shape

    def moments(th):
        mu, a, b, lam = th[0], th[1:4], th[4:7], th[7]
        fe = f[:, 0] - mu
        e = r - a - np.outer(fe, b)
        return np.column_stack([fe, e, e * fe[:, None], r - b * lam])

    x = np.column_stack([np.ones(T), f])
    b0 = np.linalg.lstsq(x, r, rcond=None)[0][1]
    th0 = np.r_[f.mean(), r.mean(0), b0, (b0 @ r.mean(0)) / (b0 @ b0)]
    ref = optimize.least_squares(
        lambda th: np.sqrt(T) * moments(th).mean(0),
        th0,
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    ).x  # identity weight
    mine = gmm(r, f, system="beta_pricing", steps=1)
    np.testing.assert_allclose(mine.theta, ref, rtol=1e-7, atol=0)


def test_optimal_window_equation_22():
    beta, sz, sl, slam = 1.2, 0.05, 0.001, 0.01
    t = optimal_window(np.array([beta]), np.array([sz]), sl, slam)[0]
    mse = lambda T: T * sl**2 + 1 / (1 / slam**2 + T * beta**2 / sz**2)
    ref = optimize.minimize_scalar(
        mse, bounds=(0, 1e4), method="bounded", options={"xatol": 1e-9}
    ).x
    assert t == pytest.approx(ref, rel=1e-6)
    assert optimal_window(np.array([beta]), np.array([sz]), 0.0, slam)[0] == np.inf
    assert optimal_window(np.array([beta]), np.array([sz]), sl, 1e-6)[0] == 0.0


def test_rolling_betas_equal_window_regressions(data):
    r, f = data[0][:100], data[1][:100]
    roll = rolling(r, f, 60, step=10)
    for w, end in enumerate(roll.ends):
        x = np.column_stack([np.ones(60), f[end - 59 : end + 1]])
        b = np.linalg.lstsq(x, r[end - 59 : end + 1], rcond=None)[0]
        np.testing.assert_allclose(roll.beta[w], b[1:].T, atol=1e-10)
        lam = np.linalg.lstsq(b[1:].T, r[end - 59 : end + 1].mean(0), rcond=None)[0]
        np.testing.assert_allclose(roll.risk_premium[w], lam, atol=1e-10)
