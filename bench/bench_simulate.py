"""Simulation and the forward equation on brusan_log (one state, solved by collocation):
10,000 paths x 100 years at monthly steps (goal: 10 s, states and every output), and the
stationary density on a 1,000-cell grid (goal: 1 s). Times are the second of two runs (the
first compiles; wall and process CPU seconds, since on a shared machine the wall time says
little), with the exact law beside the tabulated one for the forward equation. The same
paths of lucas_disasters (one state with a Poisson shock) show what the arrivals cost.

Run: python bench/bench_simulate.py
"""

from __future__ import annotations

import time

import walras
from walras.runtime import dynamics, simulate, stationary


def timed(f, *args, **kwargs) -> str:
    """'wall | cpu' seconds of the second call."""
    f(*args, **kwargs)  # compile
    wall, cpu = time.perf_counter(), time.process_time()
    f(*args, **kwargs)
    return f"{time.perf_counter() - wall:.2f} | {time.process_time() - cpu:.2f}"


def main() -> None:
    solution = walras.solve("brusan_log", method="collocation")
    exact = dynamics.from_solution(solution)
    start = time.perf_counter()
    table = dynamics.tabulate(exact)
    tabulate = time.perf_counter() - start
    print(
        f"tabulating the law (20,001 points): {tabulate:.2f} s, "
        f"mean relative error {table.attrs['table_error_mean']:.1e}"
    )
    print("| task | wall s | CPU s | goal (wall s) |\n|---|---|---|---|")
    for outputs, what in ((None, "states and every output"), ((), "states only")):
        t = timed(
            simulate.simulate,
            table,
            paths=10_000,
            years=100.0,
            dt=1 / 12,
            start=[0.3],
            outputs=outputs,
        )
        print(f"| 10,000 paths x 1,200 months, {what} | {t} | 10 |")
    disasters = dynamics.tabulate(
        dynamics.from_solution(walras.solve("lucas_disasters", method="collocation"))
    )
    t = timed(simulate.simulate, disasters, paths=10_000, years=100.0, dt=1 / 12, start=[1.0])
    print(f"| the same with Poisson arrivals (lucas_disasters), every output | {t} | 10 |")
    for law, what in ((table, "tabulated law"), (exact, "exact law")):
        t = timed(stationary.stationary, law, 1000)
        print(f"| forward equation, 1,000 cells, {what} | {t} | 1 |")


if __name__ == "__main__":
    main()
