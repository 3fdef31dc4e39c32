"""Eleven log agents by the neural solver, beside the GGP baseline (Gopalakrishna-Gu-Payne, seed
001: plain Adam on the consumption-wealth ratios, the price from goods clearing, their loss).

The economy: an expert (bonds and the stock, ρ = 0.05) and ten bond-only households, an agent
array with discount rates spread from 0.02 to 0.08; ten wealth shares on the simplex. Closed
form (log utility): ω_i = ρ_i, pd = 1/Σ ρ_i η_i. Errors are measured at 10,000 random interior
points of the simplex (uniform, Dirichlet(1), every share ≥ 1e-3): the largest |ω_i − ρ_i| and
the largest relative error of pd.

- walras: `walras.solve` with its defaults (the households' shared network, Adam, the polish);
  wall and CPU time, compile included.
- GGP: one network per agent on the shares themselves (walras's networks of the same width and
  depth, `arrays=separate`, no log coordinates),
  fresh uniform draws of the same number of points each step, the loss Σ_i mean_n |f_i| (f_i the
  model's Euler residuals), plain Adam at a constant learning rate, evaluated every `--every`
  steps until walras's error is reached or `--budget` times walras's time has passed.

Why GGP's loss alone gave NaN (measured with `--budget` small): plain Adam drives several
households' ω towards 0 (ω = exp of the network: 1e-155 after 466 steps, whose Euler residuals
then stay of order 1), and the gradient of μ_c, which holds ω''/ω and ω'²/ω², overflows; one
such step made every weight NaN. The baseline now skips a step whose gradient is not finite and
counts the skipped steps; the rest of it is unchanged. Its weights stay finite, but once a
household's ω has collapsed nearly every draw overflows: measured (240 s alone, load 3 to 5),
ω 0.35 from the closed form after 250 steps, 0.116 and pd 17 times off from step 284 on, with
5,283 of 6,000 steps skipped: plain Adam on this loss does not solve this economy.

Printed: each method's time and errors; the GGP time to walras's error (or that it did not reach
it) and GGP's error at walras's time. The machine is shared: read wall time with the CPU time.

Run: python bench/bench_eleven.py [--budget 2] [--every 250] [--lr 1e-3]
"""

from __future__ import annotations

import argparse
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural.fields import compose, init_fields

RHO = np.r_[0.05, 0.02 + 0.06 * np.arange(10) / 9]
AGENTS = ["expert"] + [f"household_{k}" for k in range(1, 11)]
MODEL = """model eleven "an expert and ten bond-only households"
parameter mu_y = 0.02, sigma_y = 0.05
shock Z
endowment y: drift = mu_y*y, vol[Z] = sigma_y*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
agent expert: utility = log, discount = 0.05, trades = [bond, stock]
agent household[i in 1:10]: utility = log, discount = 0.02 + 0.06*(i - 1)/9, trades = [bond]
"""


def test_points(n: int = 10_000, floor: float = 1e-3) -> np.ndarray:
    """n uniform points of the simplex of eleven shares (all of them), each share ≥ `floor`:
    interior, tenfold above the neural solver's cut edge (1e-4), where the solution is NaN."""
    x = np.random.default_rng(0).dirichlet(np.ones(11), 2 * n)
    return x[(x >= floor).all(1)][:n]


def errors(omega: np.ndarray, eta: np.ndarray) -> tuple[float, float]:
    """Largest |ω_i − ρ_i| and largest relative error of pd = 1/Σ ω_i η_i."""
    pd = 1 / np.sum(omega * eta, 1)
    return float(np.max(np.abs(omega - RHO))), float(np.max(np.abs(pd * (eta @ RHO) - 1)))


def walras_run() -> tuple[float, float, tuple[float, float], str]:
    eta = test_points()
    wall, cpu = time.perf_counter(), time.process_time()
    solution = walras.solve(walras.load(MODEL), method="neural", quiet=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ds = solution.evaluate(eta[:, :10])
    omega = np.column_stack([ds[f"omega_{a}"].values for a in AGENTS])
    return wall, cpu, errors(omega, eta), solution.message


def ggp_run(target: float, seconds: float, lr: float, every: int):
    """(wall, cpu, errors) every `every` steps of the GGP baseline, until ω's error is below
    `target` or `seconds` have passed."""
    compiled = walras.load(MODEL).compile()
    problem = Problem.build(compiled)
    settings = walras.Settings(method="neural", arrays="separate")
    # no cut edges: the networks see the shares themselves, as GGP's do
    fields = init_fields(problem, settings, compiled.params, {}, jax.random.PRNGKey(0))
    params = {k: jnp.float64(v) for k, v in compiled.params.items()}
    arrays, static = eqx.partition(fields, eqx.is_array)
    optimizer = optax.adam(lr)
    state = optimizer.init(arrays)

    def loss(arrays, key):
        x = jax.random.dirichlet(key, jnp.ones(11), (settings.points,))[:, :10]
        res = compiled.residuals(compose(problem, eqx.combine(arrays, static)), params, x)
        return sum(jnp.mean(jnp.abs(r)) for r in res.values())

    @jax.jit
    def step(arrays, state, key):
        # a draw whose gradient overflows is skipped (see the module's docstring)
        value, grads = jax.value_and_grad(loss)(arrays, key)
        updates, new_state = optimizer.update(grads, state, arrays)
        finite = jnp.all(jnp.array([jnp.isfinite(g).all() for g in jax.tree.leaves(grads)]))
        keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)
        return keep(optax.apply_updates(arrays, updates), arrays), keep(new_state, state), finite

    eta = test_points()
    x = jnp.asarray(eta[:, :10])

    @jax.jit
    def omega(arrays):
        f = compose(problem, eqx.combine(arrays, static))
        return jnp.column_stack([jax.vmap(f[f"omega_{a}"])(x) for a in AGENTS])

    key, curve, skipped = jax.random.PRNGKey(1), [], 0
    wall, cpu = time.perf_counter(), time.process_time()
    while True:
        for _ in range(every):
            key, sub = jax.random.split(key)
            arrays, state, finite = step(arrays, state, sub)
            skipped += not bool(finite)
        e = errors(np.asarray(omega(arrays)), eta)
        curve.append((time.perf_counter() - wall, time.process_time() - cpu, e, skipped))
        if e[0] <= target or curve[-1][0] >= seconds:
            return curve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=2.0, help="GGP time / walras time")
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--lr", type=float, default=1e-3)
    a = parser.parse_args()
    wall, cpu, (e_omega, e_pd), message = walras_run()
    print(f"walras: {wall:.0f} s wall, {cpu:.0f} s CPU; error of ω {e_omega:.1e}, of pd {e_pd:.1e}")
    print(f"  ({message})")
    curve = ggp_run(e_omega, a.budget * wall, a.lr, a.every)
    at_time = [e for t, _, e, _ in curve if t <= wall] or [curve[0][2]]
    reached = [(t, c) for t, c, e, _ in curve if e[0] <= e_omega]
    last_t, last_c, (g_omega, g_pd), skipped = curve[-1]
    print(f"GGP: {len(curve) * a.every} Adam steps in {last_t:.0f} s wall, {last_c:.0f} s CPU")
    print(f"  ({skipped} skipped: their gradient overflowed);")
    print(f"  error of ω {g_omega:.1e}, of pd {g_pd:.1e} at the end")
    print(
        f"  in walras's time ({wall:.0f} s): error of ω {at_time[-1][0]:.1e}, "
        f"pd {at_time[-1][1]:.1e}"
    )
    if reached:
        print(
            f"  walras's error of ω reached after {reached[0][0]:.0f} s ({reached[0][1]:.0f} s CPU)"
        )
    else:
        print(f"  walras's error of ω ({e_omega:.1e}) not reached in {last_t:.0f} s")


if __name__ == "__main__":
    main()
