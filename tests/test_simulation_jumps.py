"""Simulation of models with Poisson shocks against closed forms: disasters in a Lucas tree,
a two-state chain's occupation, and the response to an arrival."""

import numpy as np
import pytest
import xarray as xr

import walras
from walras.cli import main
from walras.runtime import dynamics, irf, moments, simulate, stationary

RHO_LOG = np.log(1 - 0.3)  # lucas_disasters: the log of what a disaster leaves of the dividend


@pytest.fixture(scope="module")
def disasters():
    return walras.solve("lucas_disasters", method="collocation")


@pytest.fixture(scope="module")
def regimes():
    return walras.solve("regime_lucas", method="collocation")


def test_log_dividend_growth_with_disasters(disasters):
    """Over a year, log growth is (mu - sigma²/2) + sigma W + N log(1 - b) with N ~ Poisson(lam):
    mean mu - sigma²/2 + lam log(1 - b), variance sigma² + lam log(1 - b)², both within three
    Monte Carlo standard errors (from y = 1.5 one disaster stays inside the domain)."""
    ds = disasters.simulate(paths=10_000, years=1.0, dt=1 / 12, start=[1.5], seed=2)
    g = np.log(ds["y"].isel(time=-1) / ds["y"].isel(time=0)).values
    n = len(g)
    mean = 0.025 - 0.02**2 / 2 + 0.017 * RHO_LOG
    var = 0.02**2 + 0.017 * RHO_LOG**2
    assert abs(g.mean() - mean) < 3 * g.std() / np.sqrt(n)
    var_se = np.sqrt((((g - g.mean()) ** 4).mean() - g.var() ** 2) / n)
    assert abs(g.var() - var) < 3 * var_se
    counts = ds["N_N"].isel(time=-1).values  # the arrivals are Poisson(lam) counts
    assert abs(counts.mean() - 0.017) < 3 * np.sqrt(0.017 / n)
    assert counts.mean() > 0


def test_regimes_occupy_the_chains_stationary_distribution(regimes):
    """s switches up at rate 0.25 and down at 0.1: the fraction of time in the high regime is
    0.25 / 0.35, within three batch-means standard errors; s takes only its two values."""
    ds = regimes.simulate(paths=400, years=100.0, dt=1 / 12, seed=4, every=12)
    m = moments.path_moments(ds, burn=10.0).sel(variable="s")
    assert abs(m["mean"].item() - 0.25 / 0.35) < 3 * m["mean_se"].item()
    assert set(np.unique(ds["s"].values)) == {0.0, 1.0}
    ups, downs = ds["N_Up"].isel(time=-1).values, ds["N_Down"].isel(time=-1).values
    np.testing.assert_array_equal(ds["s"].isel(time=-1).values, ups - downs)  # from s = 0


def test_response_to_an_arrival(regimes, disasters):
    """An arrival of Up moves s from 0 to 1; the mean response of s is then the chain's
    E[s_t | s_0 = 1] - E[s_t | s_0 = 0] = e^{-(0.25 + 0.1) t}, within Monte Carlo error. A
    disaster lowers y by the fraction b at once."""
    ds = irf.impulse_responses(
        dynamics.tabulate(dynamics.from_solution(regimes)),
        start=[0.0],
        paths=4000,
        years=4.0,
        dt=1 / 12,
        seed=3,
    )
    assert list(ds["shock"].values) == ["Up", "Down"]
    r = ds["s"].sel(shock="Up").values
    exact = np.exp(-0.35 * ds["time"].values)
    # a mean of 4000 differences in {-1, 0, 1}: its standard error is at most 1/√4000
    assert np.abs(r - exact).max() < 3 / np.sqrt(4000)
    assert r[0] == 1.0
    assert np.all(ds["s"].sel(shock="Down").values == 0)  # from s = 0 a Down moves nothing
    hit = irf.impulse_responses(
        dynamics.from_solution(disasters), start=[1.5], paths=4, years=0.25, dt=1 / 12, seed=3
    )
    assert hit["y"].sel(shock="N").isel(time=0).item() == pytest.approx(-0.3 * 1.5, rel=1e-12)


def test_forward_equation_declines_jumps(regimes):
    with pytest.raises(ValueError, match="Poisson jumps or discrete states"):
        stationary.stationary(dynamics.from_solution(regimes))
    with pytest.raises(ValueError, match="takes only the values"):
        simulate.simulate(dynamics.from_solution(regimes), start=[0.5])


def test_command_simulates_a_result_file_with_arrivals(regimes, tmp_path, capsys):
    result, paths = tmp_path / "regimes.nc", tmp_path / "paths.nc"
    regimes.save(result)
    args = ["simulate", str(result), "-o", str(paths), "--paths", "20", "--years", "5", "-q"]
    assert main(args) == 0
    ds = xr.open_dataset(paths, engine="h5netcdf").load()
    assert set(np.unique(ds["s"].values)) <= {0.0, 1.0} and "N_Up" in ds
    capsys.readouterr()
    assert main(["moments", str(result)]) == 1
    assert "error[E136]" in capsys.readouterr().err
