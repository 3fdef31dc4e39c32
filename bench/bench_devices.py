"""The neural solver's throughput on whatever devices exist, and its time to tolerance.

Two problems: an eleven-agent log economy (ten wealth shares on a simplex; closed form: each
agent's consumption-wealth ratio ω_i = ρ_i) and `lucas` solved over γ ∈ [3, 6] (a parametric
solution; closed form pd = 1/(ρ + (γ − 1)μ − γ(γ − 1)σ²/2)). For one device and for all of them:

- throughput: one Adam step (loss and gradient on a batch of `--points` points, jitted, the
  points sharded over the devices), timed over repeated steps after a compiling one; printed as
  points per second per device;
- time to tolerance: the whole parametric solve (`walras.solve`, compile included), the step at
  which its loss first fell below `tol`, its outcome, and its largest error of pd against the
  closed form at 20 random points of the box.

With devices forced on a CPU (XLA_FLAGS=--xla_force_host_platform_device_count=4) the devices share
the cores: the figures are reported, not judged. On GPUs, compare the per-device throughput with
one CPU core (the goal is ≥ 50x for the eleven-agent residual).

Run: python bench/bench_devices.py [--points N] [--steps N] [--quick]
"""

from __future__ import annotations

import argparse
import time

import equinox as eqx
import jax
import numpy as np

import walras
from walras.runtime.devices import choose
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural.fields import init_fields
from walras.runtime.solvers.neural.rows import Rows

RHO = tuple(0.02 + 0.006 * i for i in range(11))


def eleven_agents() -> str:
    agents = "\n".join(
        f"parameter rho_{i} = {r:.3f}\n"
        f"agent a{i}: utility = log, discount = rho_{i}, trades = [bond, stock]"
        for i, r in enumerate(RHO)
    )
    market = (
        "shock Z\nendowment y: drift = 0.02*y, vol[Z] = 0.1*y\n"
        "asset bond: riskless, supply = 0\nasset stock: dividend = y, supply = 1"
    )
    return f"model eleven_log_agents\n{market}\n{agents}\n"


def throughput(model, points: int, devices: int, repeats: int) -> float:
    """Points per second per device of one Adam step's loss and gradient."""
    problem = Problem.build(model.compile())
    settings = walras.Settings(method="neural", points=points)
    mesh = choose(devices)
    rows = Rows(problem, settings, mesh)
    fields = init_fields(problem, settings, problem.params, rows.cut, jax.random.PRNGKey(0))
    arrays, static = eqx.partition(mesh.replicate(fields), eqx.is_array)
    params = mesh.replicate({k: np.float64(v) for k, v in problem.params.items()})
    step = jax.jit(jax.value_and_grad(lambda a, p, k: rows.loss(eqx.combine(a, static), p, k)))
    jax.block_until_ready(step(arrays, params, jax.random.PRNGKey(0)))
    start = time.perf_counter()
    for i in range(repeats):
        out = step(arrays, params, jax.random.PRNGKey(i + 1))
    jax.block_until_ready(out)
    return points * repeats / (time.perf_counter() - start) / devices


def closed_form(gamma, rho=0.05, mu=0.02, sigma=0.05):
    return 1 / (rho + (gamma - 1) * mu - gamma * (gamma - 1) * sigma**2 / 2)


def to_tolerance(devices: int, steps: int) -> tuple[float, int | None, str, float]:
    """The parametric lucas solve: seconds, first step below tol, outcome, max error of pd."""
    start = time.perf_counter()
    s = walras.solve(
        "lucas", method="neural", over={"gamma": (3.0, 6.0)}, devices=devices, steps=steps
    )
    seconds = time.perf_counter() - start
    below = np.flatnonzero(s.history <= s.settings.tol)
    gamma = np.random.default_rng(0).uniform(3, 6, 20)
    points = np.c_[np.random.default_rng(1).uniform(0.5, 2, 20), gamma]
    error = float(np.max(np.abs(s.evaluate(points).pd.values - closed_form(gamma))))
    return seconds, int(below[0]) if below.size else None, s.outcome.name.lower(), error


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="512 points, 200 steps, 3 repeats")
    a = parser.parse_args()
    if a.quick:
        a.points, a.steps, a.repeats = 512, 200, 3
    counts = sorted({1, jax.device_count()})
    kind = jax.devices()[0].device_kind
    print(f"devices: {jax.device_count()} x {kind}; {a.points} points per step")
    print(
        "| problem | devices | points/s/device | solve (s) | first step below tol | outcome "
        "| max error of pd |"
    )
    print("|---|---|---|---|---|---|---|")
    eleven = walras.load(eleven_agents())
    family = walras.load("lucas").solved_over(gamma=(3.0, 6.0))
    for n in counts:
        rate = throughput(eleven, a.points, n, a.repeats)
        print(f"| eleven log agents | {n} | {rate:,.0f} | | | | |")
        rate = throughput(family, a.points, n, a.repeats)
        seconds, below, outcome, error = to_tolerance(n, a.steps)
        print(
            f"| lucas over gamma | {n} | {rate:,.0f} | {seconds:.1f} | {below} | {outcome} "
            f"| {error:.1e} |"
        )


if __name__ == "__main__":
    main()
