"""Many seeds in one run (`runtime.solvers.neural.seeds`): the spread between seeds, measured on
common points, joins the estimated error and decides convergence. The solves themselves, seed by
seed on two forced host devices against separate one-seed runs, are in tests/test_devices.py."""

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
