"""The robustness matrix (bench/bench_robustness.py) as tests: every row solves with default
settings by collocation, converges, its error against the row's reference (closed forms,
scipy, the finite-difference references of basak_cuoco, or a collocation solve at a higher
degree and lower cut) is within the solver's own estimate, and the estimate within tol_error.
By the neural solver, the rows measured to converge (docs/robustness.md) converge, and every
row is honest: converged within its claim, or exit 2 saying which estimate or residual is too
large. A few cheap rows run in CI; the rest under the `slow` marker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from references import disaster_pd

import walras

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_robustness import matrix  # noqa: E402

ROWS = {name: (load, error) for name, load, error, _ in matrix()}
# two_trees_economy γ=2 with defaults is solved in CI against the quadrature (test_economy.py)
FAST = {
    "lucas_economy γ=5 σ=0.05",
    "lucas_disasters γ=4",
    "regime_lucas3",
    "2 log agents ρ=(0.05, 0.05)",
}
ROUNDING = 1e-12  # where solution and reference agree to rounding, so may estimate and error
# (a reference less accurate than that says so: the error function's `accuracy`)


@pytest.mark.parametrize(
    "name", [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in ROWS]
)
def test_a_row_converges_within_its_estimate(name):
    load, error = ROWS[name]
    solution = walras.solve(load(), method="collocation", quiet=True)
    assert solution.converged, solution.message
    estimate = max(solution.errors.values(), default=0.0)
    assert estimate <= solution.settings.tol_error
    assert error(solution) <= estimate + getattr(error, "accuracy", ROUNDING)


# the rows the neural solver's defaults solve (docs/robustness.md, measured on 2026-12-07)
NEURAL_CONVERGES = {
    *(n for n in ROWS if n.split()[0] in ("lucas", "lucas_economy", "lucas_disasters")),
    *("regime_lucas", "regime_lucas3", "regime_disasters", "two_trees", "risk_sharing"),
    *("brusan_log σ=0.1", "brusan_economy σ=0.1", "two_trees_economy γ=5"),
    *("growth as in the file", "growth gamma=2", "growth gamma=10"),
    *("2 log agents ρ=(0.05, 0.05)", "2 log agents ρ=(0.03, 0.07)"),
    *("3 log agents ρ=(0.02, 0.05, 0.08)", "leland", "leland sigma=0.05", "leland r=0.04"),
    *(n for n in ROWS if n.startswith("huggett") and "gamma=5" not in n),
}
NEURAL_FAST = {"lucas_economy γ=5 σ=0.05", "regime_lucas3"}


@pytest.mark.parametrize(
    "name",
    [n if n in NEURAL_FAST else pytest.param(n, marks=pytest.mark.slow) for n in ROWS],
)
def test_a_row_by_the_neural_solver_is_right_or_says_so(name):
    """Converged: the error within the claim, tol_error or the Newton-Kantorovich bound of the
    estimate (twice it), whichever is larger (huggett's errors are 1.4 to 2.1 times their
    estimates); else exit 2 naming the estimate or residual."""
    load, error = ROWS[name]
    solution = walras.solve(load(), method="neural", quiet=True)
    assert solution.converged or name not in NEURAL_CONVERGES, solution.message
    if solution.converged:
        estimate = max(solution.errors.values(), default=0.0)
        claim = max(2 * estimate, solution.settings.tol_error)
        assert error(solution) <= claim + getattr(error, "accuracy", ROUNDING)
    else:
        assert solution.message.startswith("not converged: "), solution.message
        assert "estimated error of" in solution.message or "residual" in solution.message


def test_risk_aversion_without_an_equilibrium_is_refused():
    """lucas_disasters at γ = 10, the matrix's highest risk aversion: the disasters' weight
    λ((1 − b)^(1−γ) − 1) exceeds the rest of the closed form's denominator, whose pd is then
    negative (−6.79): the price is infinite. The solve finds that negative function and refuses
    it, naming the bound it breaks."""
    model = walras.load("lucas_disasters", gamma=10)
    assert disaster_pd(model.params) < 0
    solution = walras.solve(model, method="collocation", quiet=True)
    assert not solution.converged
    assert "breaks its bound 0" in solution.message and "no equilibrium" in solution.message
