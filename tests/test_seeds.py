"""Many seeds in one run (`runtime.solvers.neural.seeds`): the spread between seeds, measured on
common points, joins the estimated error and decides convergence. The solves themselves, seed by
seed on two forced host devices against separate one-seed runs, are in tests/test_devices.py."""

import dataclasses

import jax.numpy as jnp
import numpy as np

import walras
from walras.runtime.results import Solution
from walras.runtime.solvers.base import Outcome
from walras.runtime.solvers.neural.seeds import _spread, _with_spread
from walras.settings import Settings


def _solution(compiled, slope: float, error: float) -> Solution:
    """lucas with pd = 2 + slope·y: a solve's result, converged, with its own error estimate."""
    return Solution(
        compiled,
        {"pd": lambda y: 2.0 + slope * y[0]},
        compiled.params,
        Settings(method="neural"),
        np.zeros(1),
        Outcome.CONVERGED,
        {"stock_euler": 1e-12},
        Outcome.CONVERGED.message,
        errors={"pd": error},
    )


def test_the_spread_between_seeds_joins_the_estimated_error():
    compiled = walras.load("lucas").compile()
    params = {k: jnp.asarray(v, jnp.float64) for k, v in compiled.params.items()}
    y = np.linspace(0.5, 2.0, 7)[:, None]
    seeds = [_solution(compiled, 1.0, 1e-6), _solution(compiled, 1.01, 1e-6)]
    spread = _spread(seeds, 0, params, y)
    exact = np.max(0.01 * y) / np.max(2.0 + y)  # the closed form: |Δpd| / max |pd|, at y = 2
    assert abs(spread["pd"] - exact) <= 1e-13 * exact  # Δpd = 0.02 is a difference of 4.02, 4
    totals = [1e-12, 2e-12]
    loose = _with_spread(seeds[0], Settings(tol_error=2 * exact, seed=5), 0, totals, spread)
    assert loose.outcome is Outcome.CONVERGED and loose.errors["pd"] == spread["pd"]
    assert "the best by validation is seed 5" in loose.message
    tight = _with_spread(seeds[0], Settings(tol_error=exact / 2, seed=5), 0, totals, spread)
    assert tight.outcome is Outcome.NOT_CONVERGED and tight.errors["pd"] == spread["pd"]
    assert f"> tol_error {exact / 2:g}" in tight.message


def test_the_spread_covers_the_controls_and_keeps_every_estimate():
    """growth's control c = V'(k)^(−1/γ): two seeds with V = k and V = 1.1 k differ in c by
    |1.1^(−1/γ) − 1| (c = 1 for the best), and the spread joins that to c's own estimate
    without dropping an estimate the spread does not measure."""
    compiled = walras.load("growth").compile()
    params = {k: jnp.asarray(v, jnp.float64) for k, v in compiled.params.items()}
    gamma = compiled.params["gamma"]
    k = np.linspace(1.0, 5.0, 9)[:, None]
    seeds = [
        dataclasses.replace(
            _solution(compiled, 0.0, 1e-6), fields={"V": lambda x, b=b: b * x[0]}, errors=e
        )
        for b, e in ((1.0, {"V": 1e-6, "c": 1e-6, "other": 0.5}), (1.1, {"V": 1e-6, "c": 1e-6}))
    ]
    spread = _spread(seeds, 0, params, k)
    assert abs(spread["V"] - 0.1) <= 1e-13
    assert abs(spread["c"] - abs(1.1 ** (-1 / gamma) - 1)) <= 1e-13
    joined = _with_spread(seeds[0], Settings(tol_error=1.0, seed=0), 0, [1e-12, 1e-12], spread)
    assert joined.errors == {"V": spread["V"], "c": spread["c"], "other": 0.5}
