"""Many seeds in one run (the setting `seeds`): the seeds `seed`, `seed + 1`, ... each train
their own networks, a device each, side by side (one thread per device, its seeds in turn:
XLA runs each device's programs while the others run theirs); each seed's solve is exactly the
one-seed solve on that device. The best by validation, on points common to every seed, is kept;
the largest difference of another finite seed's unknowns from it there, relative to its largest
size, is the spread between seeds, which the estimated error of each unknown includes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ...devices import Devices, each
from ...results import Solution
from ..base import Options, Outcome, Problem, Solver, error_above
from .rows import Rows


def train_seeds(
    solver: Solver, problem: Problem, settings, options: Options, devices: Devices
) -> Solution:
    """The best of `settings.seeds` solves by `solver`, with the spread between them in its
    errors. No checkpoint is kept (each seed would need its own)."""
    solutions = solve_each(solver, problem, settings, options, devices)
    rows = Rows(problem, settings, each(devices)[0])
    params = rows.devices.replicate(
        {k: jnp.asarray(v, jnp.float64) for k, v in problem.params.items()}
    )
    totals = [sum(rows.validation(s.fields, params, settings.seed).values()) for s in solutions]
    finite = [k for k, total in enumerate(totals) if np.isfinite(total)]
    if not finite:
        return solutions[0]
    best = min(finite, key=lambda k: totals[k])
    points = rows.sampler.fixed(4 * settings.points, settings.seed + 7919)
    spread = _spread([solutions[k] for k in finite], finite.index(best), params, points)
    return _with_spread(solutions[best], settings, best, totals, spread)


def solve_each(
    solver: Solver, problem: Problem, settings, options: Options, devices: Devices
) -> list[Solution]:
    """One solve per seed, in the order of the seeds, a device each."""
    groups = each(devices)
    seeds = [settings.seed + k for k in range(settings.seeds)]

    def on(group: int) -> list[Solution]:
        alone = dataclasses.replace(
            options, quiet=True, checkpoint=None, resume=False, devices=groups[group]
        )
        return [
            solver.solve(problem, settings.replace(seed=seed, seeds=1), alone)
            for seed in seeds[group :: len(groups)]
        ]

    with ThreadPoolExecutor(len(groups)) as pool:
        done = list(pool.map(on, range(min(len(groups), len(seeds)))))
    return [done[k % len(groups)][k // len(groups)] for k in range(len(seeds))]


def _spread(solutions: list[Solution], best: int, params, points) -> dict[str, float]:
    """For each unknown and each control (as the error estimate has them), the largest
    difference of another solution from `best` at the points, relative to the largest size of
    `best`'s there."""
    compiled = solutions[best].compiled
    unknowns = compiled.unknowns + tuple(c.name for c in compiled.model.controls)

    @eqx.filter_jit
    def values(fields, params, x):
        out = compiled.outputs(fields, params, x, residuals=False)
        return {u: out[u] for u in unknowns}

    found = [
        {u: np.asarray(v) for u, v in values(s.fields, params, points).items()} for s in solutions
    ]
    spread = {}
    for u in unknowns:
        scale = np.max(np.abs(found[best][u])) or 1.0
        spread[u] = max(
            (float(np.max(np.abs(f[u] - found[best][u]))) / scale for f in found), default=0.0
        )
    return spread


def _with_spread(
    solution: Solution, settings, best: int, totals: list[float], spread: dict[str, float]
) -> Solution:
    errors = {**solution.errors}
    errors.update({u: max(errors.get(u, 0.0), spread[u]) for u in spread})
    worst = max(spread, key=spread.get)
    note = (
        f"{len(totals)} seeds from {settings.seed}: the best by validation is seed "
        f"{settings.seed + best} (mean squared residuals {', '.join(f'{t:.2g}' for t in totals)}); "
        f"the spread between seeds, {spread[worst]:.2g} ({worst}), is in the estimated errors"
    )
    outcome, message = solution.outcome, solution.message
    above = error_above(errors, settings.tol_error)
    if outcome is Outcome.CONVERGED and above:
        outcome = Outcome.NOT_CONVERGED
        message = f"{Outcome.NOT_CONVERGED.message}: {above}"
    return dataclasses.replace(
        solution, outcome=outcome, message=f"{message}; {note}", errors=errors
    )
