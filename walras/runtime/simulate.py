"""Sample paths of a solved model's states with diffrax, and every output along them.

Each path is an Itô SDE dx = μ(x) dt + σ(x) dW stepped by a diffrax solver (`euler`:
Euler-Maruyama; `milstein`: diffrax's Itô Milstein, strong order 1 for commutative noise, which
one shock always is; with several non-commuting shocks it leaves out the Lévy area and is of
strong order 1/2 like Euler) on fixed steps `dt`, driven by an `UnsafeBrownianPath` keyed by
(seed, path): the same seed gives the same shocks whatever the model or its parameters (common
random numbers). Paths are vmapped. `antithetic` pairs path i with a path driven by -dW.

Poisson shocks arrive after each step's diffusion, drawn exactly for rates that stay as they are
between arrivals: exponential waiting times at the total rate of the point reached, the shock
chosen in proportion to its rate, the states moved by its jumps, the rates read again at the new
point, until the step's length is used up (so a discrete state switches at its chain's rates,
and a state-dependent rate is honoured after every arrival). A jump that would leave the domain
stops at its edge, as in the solved model's equations. The arrivals are keyed by (seed, path,
step), apart from the Brownian ones; antithetic twins share them. `N_<shock>` counts them.

The domain's edges are handled as `edge` says, never by accident:
- `reflect`: a step that ends beyond an edge is mirrored back into the domain;
- `absorb`: a path that reaches an edge stays there (its `absorbed` flag records when).
Discrete states only jump between their values: no edge rule applies to them.
"""

from __future__ import annotations

import functools
import math
import os

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .. import precision  # noqa: F401
from . import plausible
from .dynamics import Dynamics
from .progress import Progress
from .results import by_shock
from .schema import Role, tag

ARRIVALS = 0x7FFFFFFF  # folded into a path's key: the stream of its Poisson arrivals
SCHEMES = {"euler": diffrax.Euler, "milstein": diffrax.ItoMilstein}
EDGES = ("reflect", "absorb")
MEMORY = 0.5  # the largest share of the machine's memory the saved paths may take


def simulate(
    dyn: Dynamics,
    paths: int = 1000,
    years: float = 100.0,
    dt: float = 1 / 12,
    seed: int = 0,
    antithetic: bool = False,
    edge: str = "reflect",
    scheme: str = "euler",
    start=None,
    every: int = 1,
    outputs=None,
    quiet: bool = True,
) -> xr.Dataset:
    """Paths of the states and outputs, a Dataset over (path, time) saved every `every` steps.

    `start`: one point (states,) for every path, or one per path (paths, states); by default the
    middle of the domain. `outputs`: the names of the outputs to keep (default all). Raises
    ValueError for options out of range."""
    steps = _check(dyn, paths, years, dt, edge, scheme, every, antithetic)
    x0 = _start(dyn, start, paths)
    saves = steps // every
    solver = SCHEMES[scheme]()
    half = paths // 2 if antithetic else paths
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(seed), i))(jnp.arange(half))
    signs = jnp.ones(paths)
    if antithetic:
        keys = jnp.concatenate([keys, keys])
        signs = signs.at[half:].set(-1.0)
    k = max(len(dyn.shocks), 1)
    p = len(dyn.poisson)

    def one_path(key, sign, x, alive, w, n, t0, saves):
        bm = diffrax.UnsafeBrownianPath(shape=(k,), key=key)
        drift = diffrax.ODETerm(lambda t, y, a: dyn.law(y[None])[0][0])
        diffusion = diffrax.ControlTerm(lambda t, y, a: a * _vol(dyn, y, k), bm)
        terms = diffrax.MultiTerm(drift, diffusion)
        jumps = jax.random.fold_in(key, ARRIVALS)

        def step(carry, i):
            x, alive, w, n = carry
            t = t0 + i * dt
            state = solver.init(terms, t, t + dt, x, sign)
            y, *_ = solver.step(terms, t, t + dt, x, sign, state, made_jump=False)
            dw = sign * bm.evaluate(t, t + dt)  # the increment the step used (keyed by t)
            if p:
                step_key = jax.random.fold_in(jumps, jnp.round(t / dt).astype(jnp.int32))
                y, arrived = _arrivals(dyn, step_key, y, dt)
                n = n + jnp.where(alive, arrived, 0)
            return (*_edge(dyn, edge, x, y, alive), w + dw, n), None

        def save(carry, j):
            carry, _ = jax.lax.scan(step, carry, j * every + jnp.arange(every))
            return carry, carry

        _, saved = jax.lax.scan(save, (x, alive, w, n), jnp.arange(saves))
        return saved

    per_call = max(1, -(-saves // 20))  # about twenty calls, for the progress bar
    x, alive, w, n = x0, jnp.ones(paths, bool), jnp.zeros((paths, k)), jnp.zeros((paths, p), int)
    saved = [[np.asarray(v)[:, None] for v in (x, alive, w, n)]]
    progress = Progress(saves, quiet, "simulating", loss=False)
    for first in range(0, saves, per_call):
        m = min(per_call, saves - first)
        chunk = _run(one_path, keys, signs, x, alive, w, n, first * every * dt, m)
        x, alive, w, n = (v[:, -1] for v in chunk)
        saved.append([np.asarray(v) for v in chunk])
        progress.advance(m)
    progress.close()
    # states (paths, saves + 1, d), alive flags, Brownian motions, arrival counts
    states, alive, brownian, counts = (np.concatenate(v, axis=1) for v in zip(*saved))
    times = np.arange(saves + 1) * every * dt
    ds = along(dyn, states, times, outputs)
    for j, shock in enumerate(dyn.shocks):
        ds[f"W_{shock}"] = tag(
            xr.DataArray(brownian[..., j], dims=("path", "time")),
            Role.EVIDENCE,
            long_name=f"the Brownian motion {shock} driving the path (its increments: the shocks)",
        )
    for j, shock in enumerate(dyn.poisson):
        ds[f"N_{shock}"] = tag(
            xr.DataArray(counts[..., j], dims=("path", "time")),
            Role.EVIDENCE,
            long_name=f"the number of arrivals of the Poisson shock {shock} so far",
        )
    if edge == "absorb":
        ds["absorbed"] = tag(
            xr.DataArray(~alive, dims=("path", "time")),
            Role.EVIDENCE,
            long_name="the path has reached an edge and stays there",
        )
    ds.attrs.update(
        {
            **dyn.attrs,
            "paths": paths,
            "years": float(years),
            "dt": float(dt),
            "seed": int(seed),
            "antithetic": int(antithetic),
            "edge": edge,
            "scheme": scheme,
        }
    )
    return ds


def along(dyn: Dynamics, states: np.ndarray, times: np.ndarray, outputs=None, chunk=100_000):
    """The outputs of `dyn` (those named, or all) at points (paths, times, states), as a Dataset
    over (path, time) with the states as variables."""
    n_paths, n_times, d = states.shape
    flat = states.reshape(-1, d)
    first = dyn.outputs(jnp.asarray(flat[:1]))
    order = {name: i for i, name in enumerate(dyn.roles)}
    names = sorted(first, key=lambda n: order.get(n, len(order)))
    if outputs is not None:
        names = [n for n in names if n in outputs or n.rsplit("_", 1)[0] in outputs]
    values = {n: np.empty((len(flat), *first[n].shape[1:])) for n in names}
    for i in range(0, len(flat), chunk):
        part = dyn.outputs(jnp.asarray(flat[i : i + chunk]))
        for n in names:
            values[n][i : i + chunk] = part[n]
    note = "" if dyn.checked else plausible.check(values, flat, dyn.states, what="the outputs")
    data = {}
    for i, s in enumerate(dyn.states):
        attrs = {"long_name": dyn.docs[s]} if dyn.docs.get(s) else {}
        data[s] = tag(xr.DataArray(states[..., i], dims=("path", "time")), Role.STATE, **attrs)
    for n in names:
        v = values[n].reshape(n_paths, n_times, *values[n].shape[1:])
        dims = ("path", "time", *(["shock"] if v.ndim == 3 else []))
        attrs = {"long_name": dyn.docs[n]} if dyn.docs.get(n) else {}
        data[n] = tag(xr.DataArray(v, dims=dims), dyn.roles.get(n, Role.DEFINITION), **attrs)
    data = by_shock(data, dyn.shocks)
    coords = {"path": np.arange(n_paths), "time": times}
    if any("shock" in v.dims for v in data.values()):
        coords["shock"] = list(dyn.shocks)
    ds = xr.Dataset(data, coords=coords)
    ds["time"].attrs.update(units="years", long_name="time")
    if note:
        ds.attrs["implausible_values"] = note
    return ds


@functools.partial(jax.jit, static_argnums=(0, 8))
def _run(one_path, keys, signs, x, alive, w, n, t0, saves):
    """`saves` saves of every path from (x, alive, w, n) at time t0: states (paths, saves, d),
    alive flags, the Brownian motions (paths, saves, shocks) and the arrival counts (paths,
    saves, Poisson shocks)."""
    return jax.vmap(one_path, in_axes=(0, 0, 0, 0, 0, 0, None, None))(
        keys, signs, x, alive, w, n, t0, saves
    )


def _vol(dyn: Dynamics, y, k: int):
    """The volatility (states, k): zero for a model without Brownian shocks."""
    vol = dyn.law(y[None])[1][0]
    return vol if vol.shape[-1] == k else jnp.zeros((len(y), k))


def _arrivals(dyn: Dynamics, key, y, dt: float):
    """The state after the Poisson arrivals of one step of length dt from `y`, and how many of
    each shock arrived (exact for rates that stay as they are between arrivals)."""
    lo, hi = jnp.asarray(dyn.lo), jnp.asarray(dyn.hi)

    def more(carry):
        return carry[1] < dt

    def arrive(carry):
        y, elapsed, count, m = carry
        rates, jumps = (v[0] for v in dyn.arrivals(y[None]))
        total = rates.sum()
        wait_key, which_key = jax.random.split(jax.random.fold_in(key, m))
        wait = jnp.where(total > 0, jax.random.exponential(wait_key) / total, jnp.inf)
        which = jax.random.choice(which_key, len(rates), p=rates / jnp.where(total > 0, total, 1))
        hit = elapsed + wait < dt
        y = jnp.where(hit, jnp.clip(y + jumps[:, which], lo, hi), y)
        return y, elapsed + wait, count.at[which].add(hit.astype(int)), m + 1

    zero = jnp.zeros(len(dyn.poisson), int)
    y, _, count, _ = jax.lax.while_loop(more, arrive, (y, jnp.zeros(()), zero, 0))
    return y, count


def _edge(dyn: Dynamics, edge: str, x, y, alive):
    """The state after a step from `x` to `y`, with the edges applied."""
    lo, hi, discrete = jnp.asarray(dyn.lo), jnp.asarray(dyn.hi), dyn.discrete
    if edge == "reflect":
        width = hi - lo
        folded = jnp.mod(y - lo, 2 * width)  # mirror images of the interval, repeated
        mirrored = lo + jnp.where(folded > width, 2 * width - folded, folded)
        return jnp.where(discrete, y, mirrored), alive
    y = jnp.where(alive, y, x)
    out = jnp.any(((y <= lo) | (y >= hi)) & ~discrete)
    return jnp.clip(y, lo, hi), alive & ~out


def _start(dyn: Dynamics, start, paths: int) -> jax.Array:
    d = len(dyn.states)
    if start is None:
        return jnp.tile(jnp.asarray(dyn.middle), (paths, 1))
    x = np.asarray(start, float)
    x = x.reshape(1, d) if x.size == d else x
    if x.shape not in ((1, d), (paths, d)):
        raise ValueError(f"start has shape {x.shape}: give ({d},) or ({paths}, {d}) values")
    if ((x < dyn.lo) | (x > dyn.hi)).any():
        bounds = ", ".join(f"{s} in [{a:g}, {b:g}]" for s, a, b in zip(dyn.states, dyn.lo, dyn.hi))
        raise ValueError(f"start lies outside the domain ({bounds})")
    for j, values in enumerate(dyn.values):
        if values is not None and not np.isin(x[:, j], values).all():
            raise ValueError(f"start: {dyn.states[j]} takes only the values {list(values)}")
    return jnp.tile(jnp.asarray(x), (paths // len(x), 1))


def _check(dyn: Dynamics, paths, years, dt, edge, scheme, every, antithetic) -> int:
    """The number of steps, after checking the options and that the paths fit in memory."""
    if edge not in EDGES:
        raise ValueError(f"edge '{edge}': choose {' or '.join(EDGES)}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme '{scheme}': choose {' or '.join(SCHEMES)}")
    if paths < 1 or (antithetic and paths % 2):
        raise ValueError(f"{paths} paths: give a positive number (even with antithetic)")
    if not (dt > 0 and years > 0 and every >= 1):
        raise ValueError("years and dt must be positive, every at least 1")
    steps = round(years / dt)
    if not math.isclose(steps * dt, years, rel_tol=1e-9) or steps % every:
        raise ValueError(
            f"years = {years:g} is not a whole number of saves of {every} x dt = {dt:g}"
        )
    columns = len(dyn.lo) + len(dyn.shocks) + len(dyn.poisson) + 1 + len(dyn.roles)
    size = 8.0 * paths * (steps // every + 1) * columns
    if size > MEMORY * _memory():
        raise ValueError(
            f"{paths} paths saved at {steps // every + 1:.4g} times would hold {size / 1e9:.3g} GB,"
            f" more than {MEMORY:.0%} of this machine's memory: fewer paths or years, or save "
            "less often (every)"
        )
    return steps


def _memory() -> float:
    """The machine's memory in bytes."""
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
