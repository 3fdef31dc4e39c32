"""A parametric solve over two parameters against one solve (goal: at most 5x), by collocation.

lucas_economy (no state): one solve at the file's parameters, against one solve over gamma in
[2, 8] and sigma_y in [0.03, 0.08] (two Chebyshev dimensions, degree 16: the price-dividend ratio
is a smooth rational function of the parameters); and lucas (one state, the dividend y) over
gamma alone, two dimensions at degree 16, against its one solve. (A one-state model over two
parameters is a three-dimensional tensor basis: minutes by collocation.) Each time is the second
of two runs in this process (the first compiles), and each parametric solve's accuracy is
checked against the closed form at 20 random points of the box. Last, brusan_log over sigma in
[0.05, 0.15] (a kink that moves with sigma: one-state solves at Chebyshev-Lobatto nodes of
sigma, `walras.runtime.family`) against one solve, its accuracy checked against a separate solve
at sigma = 0.0837 (no closed form).

Run: python bench/bench_parametric.py
"""

from __future__ import annotations

import time

import numpy as np

import walras


def timed(model, **kwargs):
    walras.solve(model, method="collocation", **kwargs)  # compile
    start = time.perf_counter()
    solution = walras.solve(model, method="collocation", **kwargs)
    return time.perf_counter() - start, solution


def closed_form(gamma, sigma, rho=0.05, mu=0.02):
    return 1 / (rho + (gamma - 1) * mu - gamma * (gamma - 1) * sigma**2 / 2)


def main() -> None:
    rng = np.random.default_rng(0)
    gamma, sigma = rng.uniform((2, 0.03), (8, 0.08), (20, 2)).T
    print("| model | one solve (s) | parametric solve (s) | ratio | goal | max error of pd |")
    print("|---|---|---|---|---|---|")
    for name, over, states in (
        ("lucas_economy", {"gamma": (2.0, 8.0), "sigma_y": (0.03, 0.08)}, 0),
        ("lucas", {"gamma": (2.0, 8.0)}, 1),
    ):
        one, _ = timed(name)
        many, solution = timed(name, over=over, degree=16)
        s = sigma if len(over) == 2 else np.full(20, 0.05)
        points = np.c_[np.ones((20, states)), gamma, s][:, : states + len(over)]
        error = np.abs(solution.evaluate(points).pd.values - closed_form(gamma, s)).max()
        name = f"{name} over {', '.join(over)}"
        print(f"| {name} | {one:.2f} | {many:.2f} | {many / one:.1f} | 5 | {error:.1e} |")
    one, _ = timed("brusan_log")
    many, family = timed("brusan_log", over={"sigma": (0.05, 0.15)})
    eta = np.linspace(0.01, 0.99, 99)
    ref = walras.solve(walras.load("brusan_log", sigma=0.0837), method="collocation")
    got = family.evaluate(np.c_[eta, np.full(99, 0.0837)]).q.values
    error = np.abs(got - ref.evaluate(eta).q.values).max()
    name = "brusan_log over sigma (q against a separate solve)"
    print(f"| {name} | {one:.2f} | {many:.2f} | {many / one:.1f} | 5 | {error:.1e} |")


if __name__ == "__main__":
    main()
