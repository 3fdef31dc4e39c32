"""Simulation, the stationary distribution, moments and impulse responses against closed forms."""

import numpy as np
import pytest
from scipy import integrate, stats

import walras
from walras.cli import main
from walras.runtime import dynamics, irf, moments, simulate, stationary

OU = """model ou "Ornstein-Uhlenbeck"
parameter kappa = 0.5, s = 0.2
state x in [-1.5, 1.5]
shock Z
process x: drift = -kappa*x, vol[Z] = s
unknown f(x)
equation level: f = x
solver method = collocation
"""
SD = 0.2 / np.sqrt(2 * 0.5)


@pytest.fixture(scope="module")
def ou():
    return dynamics.from_solution(walras.solve(walras.load(OU)))


def truncated_gaussian(x):
    mass = stats.norm.cdf(1.5, 0, SD) - stats.norm.cdf(-1.5, 0, SD)
    return stats.norm.pdf(x, 0, SD) / mass


def test_ou_forward_equation_is_the_gaussian(ou):
    ds = stationary.stationary(ou, 1000)
    x = ds["x"].values
    h = x[1] - x[0]
    assert np.abs(ds["density"].values - truncated_gaussian(x)).sum() * h < 1e-6
    assert ds["density"].values.min() >= 0
    assert ds["density"].sum().item() * ds.attrs["cell_volume"] == pytest.approx(1.0, abs=1e-12)


def test_ou_stationary_moments(ou):
    m = moments.stationary_moments(ou, lag=1.0).sel(variable="x")
    # on [-1.5, 1.5] = 7.5 sd the truncation changes the moments by less than 1e-10
    assert abs(m["mean"].item()) < 1e-10
    assert m["std"].item() == pytest.approx(SD, rel=1e-6)
    assert m["autocorrelation"].item() == pytest.approx(np.exp(-0.5), abs=1e-4)
    q = m["quantiles"].sel(quantile=0.95).item()
    assert q == pytest.approx(stats.norm.ppf(0.95, 0, SD), abs=1e-3)


def test_ou_simulated_mean_and_variance_within_three_standard_errors(ou):
    paths = simulate.simulate(ou, paths=1000, years=30.0, dt=0.01, seed=3, start=[0.0], every=10)
    m = moments.path_moments(paths, burn=10.0).sel(variable="x")
    assert abs(m["mean"].item()) < 3 * m["mean_se"].item()
    var, var_se = m["std"].item() ** 2, 2 * m["std"].item() * m["std_se"].item()
    assert abs(var - SD**2) < 3 * var_se
    assert np.all(np.abs(paths["x"].values) <= 1.5)  # reflected at the edges


def test_antithetic_and_common_random_numbers(ou):
    """A linear SDE from 0: the antithetic twin is the mirror image, and the same seed with
    twice the volatility gives twice the path (the same shocks)."""
    a = simulate.simulate(ou, paths=8, years=1.0, dt=0.1, seed=5, start=[0.0], antithetic=True)
    x = a["x"].values
    np.testing.assert_allclose(x[:4], -x[4:], atol=1e-15)
    sol2 = walras.solve(walras.load(OU, s=0.4))
    b = simulate.simulate(
        dynamics.from_solution(sol2),
        paths=8,
        years=1.0,
        dt=0.1,
        seed=5,
        start=[0.0],
        antithetic=True,
    )
    np.testing.assert_allclose(b["x"].values, 2 * x, atol=1e-12)


def test_absorbing_edge_keeps_a_path_there(ou):
    ds = simulate.simulate(ou, paths=50, years=5.0, dt=0.1, seed=0, start=[1.4], edge="absorb")
    hit = ds["absorbed"].values
    assert hit.any()
    x = ds["x"].values
    for i, t in zip(*np.nonzero(hit)):
        assert x[i, t] in (-1.5, 1.5)
        assert np.all(x[i, t:] == x[i, t])


def test_bad_options_are_errors(ou):
    with pytest.raises(ValueError, match="reflect or absorb"):
        simulate.simulate(ou, edge="bounce")
    with pytest.raises(ValueError, match="outside the domain"):
        simulate.simulate(ou, start=[3.0])
    with pytest.raises(ValueError, match="-5 paths"):
        simulate.simulate(ou, paths=-5)
    with pytest.raises(ValueError, match="of this machine's memory"):
        simulate.simulate(ou, years=1e9, dt=1e-9)
    for cells in (0, 3, 10**8):
        with pytest.raises(ValueError, match=f"{cells} cells per state"):
            stationary.stationary(ou, cells=cells)


def test_fewer_paths_than_batches_pool_every_path(ou):
    """Ten paths, twenty batches asked: ten batches of one path each; the mean is the pooled
    mean of every saved value, its standard error that of the ten paths' means."""
    ds = simulate.simulate(ou, paths=10, years=2, seed=3)
    table = moments.path_moments(ds)
    x = ds["x"].values
    assert float(table["mean"].sel(variable="x")) == pytest.approx(x.mean(), rel=1e-12)
    se = np.std(x.mean(1), ddof=1) / np.sqrt(10)
    assert float(table["mean_se"].sel(variable="x")) == pytest.approx(se, rel=1e-12)


@pytest.fixture(scope="module")
def brusan():
    return walras.solve("brusan_log", method="collocation")


@pytest.mark.slow  # a thousand adaptive quadratures, each point through the solution
def test_brusan_log_density_is_the_one_dimensional_closed_form(brusan):
    dyn = dynamics.from_solution(brusan)
    ds = stationary.stationary(dyn, 1000)
    x = ds["eta"].values
    h = x[1] - x[0]

    def law(e):
        mu, vol = dyn.law(np.array([[e]]))
        return float(mu[0, 0]), float(vol[0, 0, 0]) ** 2

    kink = float(brusan.extra["free_boundary"]) if "free_boundary" in brusan.extra else None
    mid = x[len(x) // 2]
    integral = [
        integrate.quad(
            lambda e: 2 * law(e)[0] / law(e)[1],
            mid,
            xi,
            limit=200,
            points=[kink] if kink and min(mid, xi) < kink < max(mid, xi) else None,
        )[0]
        for xi in x
    ]
    p = np.exp(integral) / np.array([law(xi)[1] for xi in x])
    p /= p.sum() * h
    assert np.abs(ds["density"].values - p).sum() * h < 1e-5


def test_lucas_log_dividend_growth(tmp_path):
    sol = walras.solve("lucas", method="collocation")
    ds = sol.simulate(
        exact=True, paths=4000, years=1.0, dt=1 / 12, start=[1.0], seed=2, scheme="milstein"
    )
    g = np.log(ds["y"].isel(time=-1) / ds["y"].isel(time=0)).values
    se = g.std() / np.sqrt(len(g))
    assert abs(g.mean() - (0.02 - 0.05**2 / 2)) < 3 * se
    assert abs(g.std() - 0.05) < 3 * g.std() / np.sqrt(2 * (len(g) - 1))


def test_impulse_response_of_ou_decays_exponentially(ou):
    ds = irf.impulse_responses(ou, start=[0.0], paths=20, years=2.0, dt=0.01, seed=1)
    response = ds["x"].sel(shock="Z").values
    t = ds["time"].values
    # the shock moves x by one volatility (0.2); the mean response is 0.2 exp(-kappa t)
    # (reflection at ±1.5 is seven sd away), up to Euler's error (1 - kappa dt)^n vs e^-kappa t
    np.testing.assert_allclose(response, 0.2 * (1 - 0.5 * 0.01) ** np.round(t / 0.01), atol=1e-12)


def test_commands_simulate_and_moments(tmp_path, capsys):
    result = tmp_path / "ou.nc"
    walras.solve(walras.load(OU)).save(result)
    paths = tmp_path / "paths.nc"
    assert (
        main(
            [
                "simulate",
                str(result),
                "-o",
                str(paths),
                "--paths",
                "20",
                "--years",
                "2",
                "--seed",
                "1",
                "-q",
            ]
        )
        == 0
    )
    assert main(["moments", str(result), "-o", str(tmp_path / "m.nc")]) == 0
    assert main(["simulate", str(result), "-o", str(paths), "--edge", "bounce"]) == 1
    assert "E136" in capsys.readouterr().err
    before = result.read_bytes()
    for command in ("simulate", "irf", "moments"):
        assert main([command, str(result), "-o", str(result)]) == 1
        assert "E180" in capsys.readouterr().err and result.read_bytes() == before


@pytest.mark.slow
def test_basak_cuoco_with_equal_discount_rates_has_no_stationary_density():
    dyn = dynamics.from_solution(walras.solve("basak_cuoco", method="neural"))
    with pytest.raises(stationary.NoStationaryDistribution, match="piles at the upper edge"):
        stationary.stationary(dyn)
