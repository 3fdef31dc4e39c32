"""The setting `positive = "log"` of collocation: every unknown declared > 0 is expanded as its
logarithm on the whole domain (not only along a cut edge)."""

from __future__ import annotations

import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import driver
from walras.runtime.solvers.collocation.start_values import interpolated


def test_a_positive_unknown_is_expanded_as_its_logarithm():
    """e^(2y) interpolated at degree 8: with logs its expansion is the line 2y (two Chebyshev
    coefficients, the rest below 2e-16 of the largest), without them the exponential's series
    (its coefficients from degree 2 on up to 0.34 of the largest, 2.7e-6 at degree 8); both give
    e^(2y) back."""
    problem = Problem.build(walras.load("lucas").compile(), None)
    y = np.linspace(0.5, 2.0, 9)
    tails = {}
    for logs in (False, True):
        system = driver.Systems(problem, logs=logs).get(8, 1, 0.0)
        assert system.positive == ({"pd"} if logs else set())
        theta = interpolated(system, lambda u, points: np.exp(2 * points[:, 0]))
        coefficients = np.abs(np.asarray(system.unravel(theta)["coef"]["pd"][0]))
        tails[logs] = coefficients[2:].max() / coefficients.max()
        found = np.array([system.fields(theta)["pd"](np.array([v])) for v in y])
        assert np.allclose(found, np.exp(2 * y), rtol=1e-5)
    assert tails[True] < 1e-14 and tails[False] > 0.1


@pytest.mark.slow  # about 11 s of CPU; the test above holds the capability
def test_the_setting_solves_to_the_closed_form():
    """lucas with `positive = log`: the closed form pd = 1/(ρ + (γ − 1)μ − γ(γ − 1)σ²/2)."""
    p = walras.load("lucas").compile().params
    rho, gamma, mu, sigma = (p[k] for k in ("rho", "gamma", "mu", "sigma"))
    exact = 1 / (rho + (gamma - 1) * mu - gamma * (gamma - 1) * sigma**2 / 2)
    solution = walras.solve("lucas", method="collocation", quiet=True, degree=8, positive="log")
    assert solution.converged, solution.message
    found = solution.evaluate(np.linspace(0.5, 2.0, 7))["pd"].values
    assert np.abs(found / exact - 1).max() < 1e-12
