"""Smolyak sparse grids against tensor products on log agents sharing the simplex (closed form
ω_i = ρ_i, pd = 1/Σ ρ_i η_i): per economy and basis, the degree, the coefficients per unknown,
Newton iterations, the solve time (first, with compilation, and again in the same process) and
the largest error on random points of the simplex with every share >= 0.01.

Run: python bench/bench_smolyak.py [AGENTS ...]   (default 3 5)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import walras
from walras.runtime.domain import Domain
from walras.runtime.solvers.collocation import smolyak

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from test_simplex import log_agents  # noqa: E402


def errors(solution, rho) -> tuple[float, float]:
    """Largest |ω_i − ρ_i| and relative pd error on the simplex, every share >= 0.01."""
    x = Domain.of(solution.compiled.model).sample(4000, seed=2)
    eta = np.c_[x, 1 - x.sum(1)]
    keep = (eta >= 0.01).all(1)
    ds = solution.evaluate(x[keep])
    omega = max(np.abs(ds[f"omega_a{i}"].values - r).max() for i, r in enumerate(rho))
    pd = np.abs(ds["pd"].values * (eta[keep] @ np.array(rho)) - 1).max()
    return float(omega), float(pd)


def main(agents: list[int]) -> None:
    print(
        "| agents | basis | degree | coefficients per unknown | iterations | first (s) | "
        "again (s) | ω error | pd error |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in agents:
        rho = tuple(np.linspace(0.02, 0.08, n).round(4))
        model = walras.load(log_agents(rho))
        for basis, degree in (("tensor", 10 if n <= 3 else 4), ("smolyak", 8)):
            times = []
            for _ in range(2):
                start = time.perf_counter()
                solution = walras.solve(model, method="collocation", degree=degree, basis=basis)
                times.append(time.perf_counter() - start)
            ds = solution.dataset
            used = int(ds["degree"])
            size = (
                smolyak.size(n - 1, smolyak.level_for(used))
                if basis == "smolyak"
                else (used + 1) ** (n - 1)
            )
            omega, pd = errors(solution, rho)
            print(
                f"| {n} | {basis} | {used} | {size} | {int(ds['iterations'])} | "
                f"{times[0]:.1f} | {times[1]:.1f} | {omega:.1e} | {pd:.1e} |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [3, 5])
