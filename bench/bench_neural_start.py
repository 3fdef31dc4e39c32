"""The neural solver's start from a model's `guess` statements, `ggp_production` with N households:
the networks as corrections to the guess (zero at first: what the solver does) beside the same
networks fitted to the guess by Levenberg-Marquardt at the `polish_points` (what it did, and
still does for a `guess=` function given in Python), in one run.

For each N, the library file with `household[N]` and its start written for N households (on
the library's domain, k in [15, 40], whatever N): the time to build the start (the networks,
and the fit), and the mean squared residual of each equation at the start on fresh points (the
solver's validation), summed: a start that interpolates wildly between the points it was
fitted at shows there.

Run: python bench/bench_neural_start.py --households 2 5
"""

from __future__ import annotations

import argparse
import re
import time

import jax.numpy as jnp

import walras
from walras.models import resolve
from walras.runtime.solvers.base import Options, Problem
from walras.runtime.solvers.neural.driver import Training
from walras.runtime.solvers.neural.fields import compose
from walras.runtime.solvers.neural.rows import Rows
from walras.runtime.solvers.start import start_guess


def model_text(households: int) -> str:
    """The library file with `households` members, its start written for them."""
    text = (
        resolve("ggp_production").read_text().replace("household[10]", f"household[{households}]")
    )
    bonds = " + ".join(f"b_household_{p}" for p in range(1, households + 1))
    text = re.sub(r"let bonds = [^\"]*\"", f'let bonds = {bonds}  "', text)
    return "\n".join(
        line
        for line in text.splitlines()
        if not (m := re.match(r"guess c_household_(\d+)", line)) or int(m[1]) <= households
    )


def start(problem: Problem, settings, fitted: bool) -> tuple[float, float]:
    """Seconds to build the start and the summed mean squared residual there."""
    params = dict(problem.params)
    guess = start_guess(problem, params) if fitted else None
    t = time.perf_counter()
    rows = Rows(problem, settings)
    training = Training(rows, settings, Options(quiet=True, guess=guess), params)
    seconds = time.perf_counter() - t
    fields = compose(problem, training.fields)
    p = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    return seconds, sum(rows.validation(fields, p, settings.seed).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[2, 5])
    args = parser.parse_args()
    print("| households | start | seconds | mean squared residual at the start |")
    print("|---|---|---|---|")
    for n in args.households:
        model = walras.load(model_text(n))
        problem = Problem.build(model.compile())
        settings = walras.api.settings_for(model, method="neural")
        for fitted in (False, True):
            seconds, total = start(problem, settings, fitted)
            how = "fitted to the guess" if fitted else "the guess and a correction"
            print(f"| {n} | {how} | {seconds:.1f} | {total:.3g} |", flush=True)


if __name__ == "__main__":
    main()
