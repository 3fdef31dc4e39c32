"""Jumps and regimes: compile and solve times of the library models with Poisson shocks, their
errors against the closed forms, and what a discrete state with K values costs (the collocation
residual of a K-regime chain beside one regime, per node).

    python bench/bench_jumps.py            # prints two tables
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from references import (  # noqa: E402
    disaster_pd,
    regime_disasters_pd,
    three_regimes,
    two_regimes,
)

import walras  # noqa: E402
from walras.runtime.solvers.base import Problem  # noqa: E402
from walras.runtime.solvers.collocation.problem import System  # noqa: E402
from walras.runtime.solvers.collocation.start_values import interpolated

MODELS = {
    "lucas_disasters": lambda p: disaster_pd(p),
    "regime_lucas": two_regimes,
    "regime_lucas3": three_regimes,
    "regime_disasters": lambda p: regime_disasters_pd(p)[None, :],
}
SETTINGS = {
    "collocation": dict(method="collocation", degree=8),
    "neural": dict(method="neural", steps=500, polish=100),
}


def chain(k: int) -> str:
    """A disaster Lucas tree whose growth moves along a chain of k regimes: pd(y, s)."""
    mus = ", ".join(f"mu{i} = {0.01 + 0.02 * i / max(k - 1, 1):.4f}" for i in range(k))
    mu = " + ".join(f"mu{i}*(s == {i})" for i in range(k))
    regime = (
        f"state s in {{{', '.join(str(i) for i in range(k))}}}\n"
        f"shock Up: poisson, rate = 0.2*(s < {k - 1})\nshock Down: poisson, rate = 0.2*(s > 0)\n"
        "process s: jump[Up] = 1, jump[Down] = -1\n"
    )
    return f"""model chain{k}
parameter rho = 0.05, gamma = 4, sigma = 0.02, lam = 0.017, b = 0.3, {mus}
state y in [0.5, 2.0]
shock Z
shock N: poisson, rate = lam
process y: drift = ({mu})*y, vol[Z] = sigma*y, jump[N] = -b*y
{regime if k > 1 else ""}unknown pd({"y, s" if k > 1 else "y"}) > 0
let xi = y^(-gamma)
equation stock: drift(xi*pd*y) + xi*y = rho*xi*pd*y
beyond y < 0.5: d(pd, y) = 0
boundary at y = 0.5: d(pd, y) = 0
boundary at y = 2.0: d(pd, y) = 0
""".replace("(mu0*(s == 0))", "mu0")


def per_node_cost(k: int, degree: int = 16, repeats: int = 50) -> float:
    """Seconds per collocation node of one residual evaluation (the best of `repeats`, so the
    figure is robust to a loaded machine)."""
    problem = Problem.build(walras.load(chain(k)).compile())
    system = System(problem, degree, 1)
    theta = interpolated(system, lambda u, y: np.full(y.shape[0], 10.0))
    params = {k: np.float64(v) for k, v in problem.params.items()}
    plan = system.plan({})
    residual = jax.jit(system.residual)
    residual(theta, params, plan).block_until_ready()
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        residual(theta, params, plan).block_until_ready()
        best = min(best, time.perf_counter() - t)
    return best / len(system.reference)


def main() -> None:
    print(f"{'model':18s} {'solver':12s} {'compile s':>10s} {'solve s':>8s} {'max rel err':>12s}")
    for name, reference in MODELS.items():
        for solver, settings in SETTINGS.items():
            t = time.perf_counter()
            model = walras.load(name)
            compiled = model.compile()
            compile_s = time.perf_counter() - t
            t = time.perf_counter()
            solution = walras.solve(model, **settings)
            solve_s = time.perf_counter() - t
            expected = reference(compiled.params)
            pd = solution.dataset["pd"].values
            err = np.max(np.abs(pd / expected - 1))
            print(f"{name:18s} {solver:12s} {compile_s:10.2f} {solve_s:8.1f} {err:12.2e}")
    print("\ncollocation residual per node, K regimes beside one (goal: ratio <= K)")
    one = per_node_cost(1)
    for k in (1, 2, 4, 8):
        cost = per_node_cost(k)
        print(f"  K = {k}: {cost * 1e6:8.2f} us per node, ratio {cost / one:5.2f}")


if __name__ == "__main__":
    main()
