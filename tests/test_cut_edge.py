"""A cut edge's error is measured where the cut acts, and nothing is claimed below the cut.

The model: a claim to the dividend x^k, x a geometric Brownian motion on [0, 1], worth 20 at
x = 1: ρf = x^k + μx f' + ½σ²x² f'', whose solution is f = A x^k + (20 − A) x^m, with
A = 1/(ρ − μk − ½σ²k(k − 1)) and m the positive root of ½σ²m(m − 1) + μm = ρ. The edge x = 0
has no condition, so collocation cuts it (here at 1e-3, the setting `edge`) and imposes a power
law there: the solve then carries a spurious term D·x^n (n the negative root), whose size at
the cut is about ε^m but which fades like (ε/x)^|n| above it, so that on the results grid (from
x = 0.005) it is a few hundred times smaller than at the cut."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import walras

TEXT = """model cut_power "a claim to a power of a geometric Brownian motion, worth 20 at x = 1"
parameter rho = 0.1, mu = 0.02, sigma = 0.2, k = 0.5
state x in [0, 1]
shock Z
unknown f(x) > 0
process x: drift = mu*x, vol[Z] = sigma*x
equation price: rho*f = x^k + drift(f)
boundary at x = 1: f = 20
guess f = 10*x^0.5 + 10*x^2
"""
RHO, MU, HALF_VARIANCE, K, TOP = 0.1, 0.02, 0.02, 0.5, 20.0
CUT = 1e-3


def exact(x):
    a = 1 / (RHO - MU * K - HALF_VARIANCE * K * (K - 1))
    b = MU - HALF_VARIANCE
    m = (-b + np.sqrt(b * b + 4 * HALF_VARIANCE * RHO)) / (2 * HALF_VARIANCE)
    return a * x**K + (TOP - a) * x**m


@pytest.fixture(scope="module")
def solution():
    return walras.solve(walras.load(TEXT), method="collocation", edge=CUT, degree=36, quiet=True)


def test_the_estimate_covers_every_point_above_the_cut(solution):
    """The error relative to f's largest value is largest at the cut (3.7e-8) and 35 times
    smaller at the results grid's first point (1.0e-9): the estimate (3.7e-8) covers every
    point from the cut up. Measuring the cut's error on the results grid only, by moving the
    cut up, gave 9.4e-11, with the solve at exit 0."""
    assert solution.converged, solution.message
    assert solution.cuts == {"x": pytest.approx(CUT)}
    x = np.unique(np.concatenate([np.geomspace(CUT, 1, 400), np.linspace(0, 1, 1001)[1:]]))
    error = np.abs(np.ravel(solution.evaluate(x)["f"].values) - exact(x)) / exact(x).max()
    assert error.max() <= solution.errors["f"]
    assert error[x >= 0.005].max() < error.max() / 10  # the part the results grid missed


def test_below_the_cut_the_results_are_nan_and_say_why(solution):
    """Below the cut nothing was solved or measured: NaN and a W184 warning, `inside` false;
    `extrapolate=True` gives the power-law continuation (finite and positive here)."""
    x = np.array([0.0, CUT / 2, CUT, 0.5])
    with pytest.warns(UserWarning, match=r"W184.*below the cut edge.*results from 0\.001"):
        found = solution.evaluate(x)
    assert np.isnan(found["f"].values[:2]).all() and np.isfinite(found["f"].values[2:]).all()
    assert found["inside"].values.tolist() == [False, False, True, True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        continued = solution.evaluate(x, extrapolate=True)["f"].values
    assert np.all(continued[1:] > 0)
    np.testing.assert_array_equal(continued[2:], found["f"].values[2:])


def test_the_results_grid_starts_at_the_cut(solution):
    """The Dataset says where the results start (`cut_x`) and is NaN on the grid below it (a
    cut at 0.01 above the first cell centre, 0.00495)."""
    assert solution.dataset.attrs["cut_x"] == pytest.approx(CUT)
    higher = dataclasses.replace(solution, cuts={"x": 0.01}, _dataset=None)
    f = higher.dataset["f"]
    assert np.isnan(f.sel(x=slice(None, 0.01)).values).all()
    assert np.isfinite(f.sel(x=slice(0.01, None)).values).all()


def test_the_decade_ratio_of_a_diverging_unknown_is_taken_relative_to_it():
    """u = 1/x diverges at the edge; a cut at ε leaves it off by a share C·ε^p·(ε/x)^b that fades
    above the cut. The absolute changes at successive cuts grow as the cut moves down (u grows
    faster than the share falls), but relative to u they shrink by q = 10^p, which the error
    counts: the error it gives covers the true one at every point above the higher cut."""
    import xarray as xr

    from walras.runtime.solvers.collocation.cut_edge import cut_error

    C, p, b, eps = 0.3, 0.4, 1.5, 1e-5
    x = np.union1d(np.geomspace(eps, 1, 200), [10 * eps, 100 * eps])
    u = 1 / x
    share = lambda e: C * e**p * np.minimum(e / x, 1) ** b  # noqa: E731
    change = xr.DataArray(np.where(x >= 10 * eps, u * (share(10 * eps) - share(eps)), np.nan))
    further = np.where(x >= 100 * eps, u * (share(100 * eps) - share(10 * eps)), np.nan)
    error, q = cut_error(change, xr.DataArray(further), 0.0, (u, u))
    assert q == pytest.approx(10**p, rel=1e-9)
    above = x >= 10 * eps
    assert np.all(error.values[above] >= u[above] * share(eps)[above] * (1 - 1e-12))
    assert np.isinf(cut_error(change, xr.DataArray(further), 0.0, (1.0, 1.0))[0].values).all()


def test_changes_within_the_noise_are_no_evidence_where_the_unknown_vanishes():
    """An unknown that vanishes at a point (leland's E at the default boundary) and changes by
    rounding as the cut moves: relative to it the changes are large and may grow down the
    decades, but in its units neither rises above the noise (how much solves that should agree
    differ), so the error is the change itself, not infinite (leland at σ = 0.2 was refused for
    changes of 7e-14 and 4e-15 on E ≤ 8.3)."""
    import xarray as xr

    from walras.runtime.solvers.collocation.cut_edge import cut_error

    x = np.linspace(0, 1, 101)
    u = 8.3 * x  # zero at x = 0
    rng = np.random.default_rng(0)
    change, further = (xr.DataArray(s * rng.standard_normal(x.size)) for s in (7e-14, 4e-15))
    error, q = cut_error(change, further, 1e-13 * 8.3, (u, u))
    assert q < 1
    np.testing.assert_array_equal(error.values, change.values)
    assert np.isinf(cut_error(change, further, 1e-15, (u, u))[0].values).all()


def test_the_results_start_where_what_the_cut_leaves_is_within_the_budget():
    """An error C·(ε/x)^b that fades above the cut ε, on a mesh of two states: the results start
    at the lowest point of the cut state from which on it is within the budget everywhere
    (x_b = ε·(2C/budget)^(1/b), rounded up to the mesh), at the cut where it is within already,
    and at the cut where no point within two decades of it would do (the estimate then says so)."""
    from walras.runtime.solvers.collocation.cut_edge import claim

    C, b, eps = 1e-2, 1.5, 1e-4
    axes = {"x": np.geomspace(eps, 1, 161), "y": np.linspace(0, 1, 5)}
    error = C * np.outer((eps / axes["x"]) ** b, 1 + axes["y"])

    def within(budget):
        return lambda start: error[axes["x"] >= start["x"]].max() <= budget

    exact = eps * (2 * C / 1e-4) ** (1 / b)
    start = claim(within(1e-4), {"x": eps}, axes)["x"]
    assert start == axes["x"][np.argmax(axes["x"] >= exact * (1 - 1e-12))]
    assert claim(within(1.0), {"x": eps}, axes) == {"x": eps}
    assert claim(within(1e-9), {"x": eps}, axes) == {"x": eps}


@pytest.mark.slow
def test_the_neural_solver_claims_nothing_below_its_cut():
    """The neural solver cuts a zero edge at `edge` (default 1e-4) of the state's range and
    trains from there: below it the results are NaN, as collocation's (W184). Slow (36 s of
    CPU, compiling): the NaN below a cut is tested fast above, on the same `Solution`."""
    solution = walras.solve(walras.load(TEXT), method="neural", steps=1, polish=0, points=32)
    assert solution.cuts == {"x": pytest.approx(1e-4)}
    assert solution.dataset.attrs["cut_x"] == pytest.approx(1e-4)
    with pytest.warns(UserWarning, match=r"W184.*below the cut edge.*results from 0\.0001"):
        found = solution.evaluate(np.array([5e-5, 2e-4]))
    assert np.isnan(found["f"].values[0]) and np.isfinite(found["f"].values[1])


ANNUITY = """model annuity "an annuity paying 1 until T, priced in calendar time"
parameter T = 2, r = 0.05
state t in [0, T]
unknown B(t)
process t: drift = 1{vol}
equation e: r*B = drift(B) + 1
boundary at t = T: B = 0
"""


def test_a_clock_is_never_cut():
    """A state that moves like a clock (no volatility or jump, a drift of parameters alone:
    calendar time) has no singular zero edge, so its edge is not cut, while a state with a
    volatility keeps its cut; the annuity meets its closed form (1 − e^(−r(T − t)))/r."""
    from walras.runtime.solvers.base import Problem

    clock = walras.load(ANNUITY.format(vol=""))
    assert Problem.build(clock.compile()).cuttable == frozenset()
    noisy = walras.load(
        ANNUITY.format(vol=", vol[Z] = 0.1*t").replace("unknown", "shock Z\nunknown")
    )
    assert Problem.build(noisy.compile()).cuttable == {"t"}
    solution = walras.solve(clock, quiet=True)
    t = np.linspace(0, 2, 21)
    closed = (1 - np.exp(-0.05 * (2 - t))) / 0.05
    assert solution.converged
    assert np.max(np.abs(solution.evaluate(t)["B"].values - closed)) < 1e-12
