"""The factor path reads simulated paths: `data simulation "paths.nc"`."""

from __future__ import annotations

import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError

SPEC = """
factor_model simulated "dividend and marginal utility changes on the tree's return"
data simulation "paths.nc"
returns d_y, d_xi
factors ret_q
estimate time_series
"""


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    sol = walras.solve("lucas", method="collocation", degree=8)
    ds = sol.simulate(paths=3, years=10, dt=1 / 12, seed=5, start=[1.0])
    ds.to_netcdf(folder / "paths.nc", engine="h5netcdf")
    (folder / "sim.econ").write_text(SPEC)
    return folder, ds


def test_brownian_motion_is_recorded_with_the_paths(paths):
    """Lucas's dividend is geometric: y_t = y_0 exp((mu - sigma²/2) t + sigma W_t) exactly; the
    Euler paths follow it to within their strong error (order 1/2 in dt)."""
    _, ds = paths
    exact = np.exp((0.02 - 0.05**2 / 2) * ds.time.values + 0.05 * ds.W_Z.values)
    assert np.abs(ds.y.values - exact).max() < 5e-3
    assert ds.W_Z.values[:, 0].tolist() == [0.0, 0.0, 0.0]


def test_time_series_betas_on_simulated_returns_equal_lstsq(paths):
    folder, ds = paths
    est = walras.estimate(folder / "sim.econ")
    dt = np.diff(ds.time.values)[None, :]
    r = np.column_stack([np.diff(ds[v].values, axis=1).ravel() for v in ("y", "xi")])
    dw = np.diff(ds.W_Z.values, axis=1)
    f = (ds.mu_q.values[:, :-1] * dt + ds.sigma_q.values[:, :-1] * dw).ravel()
    x = np.column_stack([np.ones_like(f), f])
    coef = np.linalg.lstsq(x, r, rcond=None)[0]
    assert est.beta.shape == (2, 1) and r.shape[0] == 3 * 120
    np.testing.assert_allclose(est.beta.values[:, 0], coef[1], rtol=1e-10)
    np.testing.assert_allclose(est.alpha.values, coef[0], rtol=1e-8, atol=1e-14)


def test_excess_returns_and_errors(paths, tmp_path):
    folder, ds = paths
    from walras.runtime.steps import steps

    frame = steps(ds)
    dt = 1 / 12
    ex = ds.mu_q.values[:, :-1] * dt + ds.sigma_q.values[:, :-1] * np.diff(ds.W_Z.values, axis=1)
    ex -= ds.r.values[:, :-1] * dt
    np.testing.assert_allclose(frame.ex_q.values, ex.ravel(), rtol=1e-12, atol=1e-15)
    assert frame.date.is_monotonic_increasing and frame.date.is_unique
    (tmp_path / "none.econ").write_text(SPEC.replace("paths.nc", "missing.nc"))
    with pytest.raises(EconError, match="F102.*does not exist"):
        walras.estimate(tmp_path / "none.econ")
    sol = walras.solve("lucas", method="collocation", degree=8)
    sol.save(tmp_path / "solution.nc")
    (tmp_path / "solution.econ").write_text(SPEC.replace("paths.nc", "solution.nc"))
    with pytest.raises(EconError, match="F102.*not a simulation"):
        walras.estimate(tmp_path / "solution.econ")
