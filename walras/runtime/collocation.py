"""The collocation solver: Chebyshev expansions of the unknowns, residuals at Gauss-Chebyshev
nodes, Levenberg-Marquardt (Gauss-Newton with damping as the line search) on the residual vector.

Complementarity is exact. A first solve uses the semismooth residual min(a, b); when that shows
one switch of the active set along the state of a one-state model, the domain is split at the
switching point s, which becomes an unknown: on each side the binding part of the complementarity
is imposed as an equation, each unknown gets its own expansion per side, and continuity at s
(plus smooth pasting for second-order unknowns) fixes s. Evidence of convergence (the residual
sup-norm on a fine grid off the nodes, the decay of the coefficients) goes into the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax.flatten_util import ravel_pytree

from ..compiler import ito
from ..compiler.codegen import Compiled
from ..settings import Settings
from . import chebyshev as cheb
from .least_squares import levenberg_marquardt
from .results import Solution

MAX_COEFFICIENTS = 4096   # per unknown: caps the degree of 2- and 3-state expansions
FINE_POINTS = 20_000      # evidence grid size (all pieces together)


class Piecewise(eqx.Module):
    """Expansions on [lo, s] and [s, hi] of the first argument, joined at the free boundary s."""

    left: cheb.Chebyshev
    right: cheb.Chebyshev
    at: jax.Array

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.where(x[0] < self.at, self.left(x), self.right(x))


@dataclass(frozen=True)
class Plan:
    """What one Newton solve imposes: the degree, whether the first state is split in two at an
    unknown point, and for each piece, how each complementarity is imposed ("a" = 0, "b" = 0, or
    the semismooth "min")."""

    degree: int
    split: bool
    modes: tuple[Mapping[str, str], ...]


class _Problem:
    """The residual vector of a plan as a pure function of a flat coefficient vector."""

    def __init__(self, compiled: Compiled, plan: Plan):
        m = compiled.model
        self.compiled, self.plan = compiled, plan
        self.n = plan.degree + 1
        self.lo = np.array([s.lo for s in m.states])
        self.hi = np.array([s.hi for s in m.states])
        self.args = {u.name: [compiled.states.index(a) for a in u.args] for u in m.unknowns}
        self.second_order = _second_order(compiled)
        self.weights = dict(m.weights)
        self.pieces = 2 if plan.split else 1
        template = {"coef": [{u: jnp.zeros((self.n,) * len(a)) for u, a in self.args.items() if a}
                             for _ in range(self.pieces)],
                    "scalar": {u: jnp.zeros(()) for u, a in self.args.items() if not a},
                    "tau": jnp.zeros(()) if plan.split else None}
        self.size, self.unravel = ravel_pytree(template)[0].size, ravel_pytree(template)[1]
        z = cheb.nodes(self.n)
        self.reference = cheb.box_nodes(-np.ones(len(self.lo)), np.ones(len(self.lo)), self.n)
        self.faces = {b.name: _face_nodes(len(self.lo), compiled.states.index(b.state), z)
                      for b in compiled.system.boundaries}

    # -- the approximants -------------------------------------------------------------------
    def boxes(self, tree) -> list[tuple[jax.Array, jax.Array]]:
        lo, hi = jnp.asarray(self.lo), jnp.asarray(self.hi)
        if not self.plan.split:
            return [(lo, hi)]
        s = lo[0] + (hi[0] - lo[0]) * jax.nn.sigmoid(tree["tau"])
        return [(lo, hi.at[0].set(s)), (lo.at[0].set(s), hi)]

    def piece_fields(self, tree) -> list[dict[str, cheb.Chebyshev]]:
        out = []
        for coefs, (lo, hi) in zip(tree["coef"], self.boxes(tree)):
            fields = {u: cheb.Chebyshev(c, lo[jnp.asarray(self.args[u])], hi[jnp.asarray(self.args[u])])
                      for u, c in coefs.items()}
            fields.update({u: cheb.Chebyshev(c, jnp.zeros(0), jnp.zeros(0))
                           for u, c in tree["scalar"].items()})
            out.append(fields)
        return out

    def fields(self, theta) -> dict:
        """The solution's approximants: one expansion per unknown, or a `Piecewise` pair."""
        tree = self.unravel(theta)
        pieces = self.piece_fields(tree)
        if not self.plan.split:
            return pieces[0]
        s = self.boxes(tree)[0][1][0]
        return {u: Piecewise(pieces[0][u], pieces[1][u], s) if u in tree["coef"][0] else pieces[0][u]
                for u in self.args}

    def switch(self, theta) -> float | None:
        tree = self.unravel(theta)
        return float(self.boxes(tree)[0][1][0]) if self.plan.split else None

    # -- the residual vector ----------------------------------------------------------------
    def residual(self, theta: jax.Array, params: Mapping[str, jax.Array]) -> jax.Array:
        tree = self.unravel(theta)
        rows = []
        boxes, pieces = self.boxes(tree), self.piece_fields(tree)
        for p, (fields, (lo, hi)) in enumerate(zip(pieces, boxes)):
            x = lo + (hi - lo) * (jnp.asarray(self.reference) + 1) / 2
            for name, r in self.interior(fields, params, x, self.plan.modes[p]).items():
                rows.append(jnp.sqrt(self.weights.get(name, 1.0) / x.shape[0]) * r)
            for b in self.compiled.system.boundaries:
                at_lo = b.at == self.lo[self.compiled.states.index(b.state)]
                if self.plan.split and b.state == self.compiled.states[0] and at_lo != (p == 0):
                    continue
                xb = lo + (hi - lo) * (jnp.asarray(self.faces[b.name]) + 1) / 2
                r = self.compiled.boundary_residuals(fields, params, {b.name: xb}, only=b.name)[b.name]
                rows.append(jnp.sqrt(self.weights.get(b.name, self.weights.get("boundary", 1.0))
                                     / xb.shape[0]) * r)
        if self.plan.split:
            rows.append(self.junction(pieces, boxes[0][1][0]))
        return jnp.concatenate([r.ravel() for r in rows])

    def interior(self, fields, params, x, modes: Mapping[str, str]) -> dict[str, jax.Array]:
        """Residuals by equation, each complementarity imposed as `modes` says."""
        res = self.compiled.residuals(fields, params, x, complementarity=lambda a, b: jnp.stack([a, b]))
        for name, mode in modes.items():
            a, b = res[name][:, 0], res[name][:, 1]
            res[name] = a if mode == "a" else b if mode == "b" else jnp.minimum(a, b)
        return res

    def junction(self, pieces, s) -> jax.Array:
        """Continuity of each unknown at s, and of its slope when it enters to second order."""
        rows = []
        for u, args in self.args.items():
            if not args:
                continue
            left, right = pieces[0][u], pieces[1][u]
            x = jnp.zeros(len(args)).at[0].set(s)
            rows.append(left(x) - right(x))
            if u in self.second_order:
                e = jnp.zeros(len(args)).at[0].set(1.0)
                rows.append(jax.jvp(left, (x,), (e,))[1] - jax.jvp(right, (x,), (e,))[1])
        return jnp.stack(rows)

    # -- starting values --------------------------------------------------------------------
    def start(self, guess: Callable[[str, np.ndarray], np.ndarray], switch: float | None) -> jax.Array:
        """θ interpolating `guess(unknown, points)` on each piece (split at `switch`)."""
        tree = self.unravel(jnp.zeros(self.size))
        if self.plan.split:
            t = (switch - self.lo[0]) / (self.hi[0] - self.lo[0])
            tree["tau"] = jnp.log(t / (1 - t))
        for coefs, (lo, hi) in zip(tree["coef"], self.boxes(tree)):
            for u in coefs:
                idx = self.args[u]
                lo_u, hi_u = np.asarray(lo)[idx], np.asarray(hi)[idx]
                coefs[u] = jnp.asarray(cheb.interpolate(lambda y: guess(u, y), lo_u, hi_u, self.n))
        for u in tree["scalar"]:
            tree["scalar"][u] = jnp.asarray(float(np.ravel(guess(u, np.zeros((1, 0))))[0]))
        return ravel_pytree(tree)[0]


def _face_nodes(d: int, axis: int, z: np.ndarray) -> np.ndarray:
    """Reference points of a face normal to `axis` (that coordinate is set by the compiler)."""
    if d == 1:
        return np.zeros((1, 1))
    others = cheb.box_nodes(-np.ones(d - 1), np.ones(d - 1), len(z))
    return np.insert(others, axis, 0.0, axis=1)


def _second_order(compiled: Compiled) -> set[str]:
    """Unknowns whose second derivatives enter the system."""
    out = set()
    for m in compiled.system.atoms.meaning.values():
        if isinstance(m, ito.Curvature) or (isinstance(m, ito.Partial) and len(m.alpha) >= 2):
            out.add(m.unknown)
    return out


# -- evidence ---------------------------------------------------------------------------------
@dataclass
class Evidence:
    """Residuals off the nodes: sup-norm, where it is largest and mean square, by equation."""

    sup: dict[str, float]
    where: dict[str, np.ndarray]
    mean_square: dict[str, float]

    @property
    def worst(self) -> str:
        return max(self.sup, key=lambda k: self.sup[k] if np.isfinite(self.sup[k]) else np.inf)

    @property
    def total(self) -> float:
        values = np.array(list(self.sup.values()))
        return float(np.max(np.where(np.isfinite(values), values, np.inf))) if values.size else 0.0


def _fine_points(lo, hi, per_axis: int) -> np.ndarray:
    """Cell centres of a box, per_axis along each state: between the nodes, never on them."""
    axes = [a + (b - a) * (np.arange(per_axis) + 0.5) / per_axis for a, b in zip(lo, hi)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], -1)


def evidence(problem: _Problem, theta, params) -> Evidence:
    """Every equation (complementarity as min(a, b), so a sign violation shows) and boundary
    condition on a fine grid of each piece."""
    tree = problem.unravel(theta)
    d = len(problem.lo)
    per_axis = max(8, int((FINE_POINTS / problem.pieces) ** (1 / max(d, 1))))
    modes = {r.name: "min" for r in problem.compiled.system.residuals if r.is_complementarity}
    found: dict[str, list] = {}
    run = eqx.filter_jit(problem.interior)
    for fields, (lo, hi) in zip(problem.piece_fields(tree), problem.boxes(tree)):
        x = _fine_points(np.asarray(lo), np.asarray(hi), per_axis) if d else np.zeros((1, 0))
        for name, r in run(fields, params, jnp.asarray(x), modes).items():
            found.setdefault(name, []).append((np.asarray(r), x))
    fields = problem.fields(theta)
    for b in problem.compiled.system.boundaries:
        i = problem.compiled.states.index(b.state)
        xb = _fine_points(np.delete(problem.lo, i), np.delete(problem.hi, i), per_axis) if d > 1 \
            else np.zeros((1, 0))
        xb = np.insert(xb, i, b.at, axis=1)
        r = eqx.filter_jit(problem.compiled.boundary_residuals)(fields, params, {b.name: xb})
        found[b.name] = [(np.asarray(r[b.name]), xb)]
    sup, where, ms = {}, {}, {}
    for name, parts in found.items():
        r = np.concatenate([p[0] for p in parts])
        x = np.concatenate([p[1] for p in parts])
        bad = np.where(np.isfinite(r), np.abs(r), np.inf)
        k = int(np.argmax(bad))
        sup[name], where[name], ms[name] = float(bad[k]), x[k], float(np.mean(r * r))
    return Evidence(sup, where, ms)


def decays(problem: _Problem, theta) -> dict[str, np.ndarray]:
    """Coefficient decay of each unknown with states, one row per piece."""
    tree = problem.unravel(theta)
    return {u: np.stack([cheb.decay(np.asarray(c[u])) for c in tree["coef"]]) for u in tree["coef"][0]}


# -- the solve --------------------------------------------------------------------------------
def active_segments(problem: _Problem, theta, params, smallest: float = 0.02) -> list[tuple]:
    """Along the (single) state on a fine grid: for each complementarity, whether its variable is
    at its bound (b < a). Returns runs (start, end, pattern); runs shorter than `smallest` of the
    domain (wiggles of a polynomial that cannot follow the kink) merge into their neighbours."""
    comps = [r.name for r in problem.compiled.system.residuals if r.is_complementarity]
    x = _fine_points(problem.lo, problem.hi, 2000)
    fields = problem.fields(theta)
    parts = eqx.filter_jit(problem.compiled.complementarity_parts)(fields, params, jnp.asarray(x))
    binds = np.stack([np.asarray(parts[c][1]) < np.asarray(parts[c][0]) for c in comps], -1)
    x = x[:, 0]
    runs = []
    for i, row in enumerate(binds):
        if runs and runs[-1][2] == tuple(row):
            runs[-1][1] = x[i]
        else:
            runs.append([x[i], x[i], tuple(row)])
    width = problem.hi[0] - problem.lo[0]
    while len(runs) > 1:
        k = min(range(len(runs)), key=lambda j: runs[j][1] - runs[j][0])
        if runs[k][1] - runs[k][0] >= smallest * width:
            break
        j = k - 1 if k > 0 else 1                     # the neighbour that absorbs run k
        runs[j][0], runs[j][1] = min(runs[j][0], runs[k][0]), max(runs[j][1], runs[k][1])
        del runs[k]
        merged = [runs[0]]
        for r in runs[1:]:
            if r[2] == merged[-1][2]:
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        runs = merged
    return [tuple(r) for r in runs]


def _modes(comps: Sequence[str], binds: tuple) -> dict[str, str]:
    return {c: ("b" if bind else "a") for c, bind in zip(comps, binds)}


@dataclass
class Stage:
    problem: _Problem
    theta: jax.Array
    history: list[float]
    iterations: int


def newton(compiled: Compiled, plan: Plan, params, guess, switch=None, iterations=50) -> Stage:
    problem = _Problem(compiled, plan)
    theta = problem.start(guess, switch)
    result = levenberg_marquardt(problem.residual, theta, args=(params,), iterations=iterations)
    return Stage(problem, result.theta, [2 * h for h in result.history], result.iterations)


def constant_guess(compiled: Compiled, params) -> Callable[[str, np.ndarray], np.ndarray]:
    """A constant strictly inside each unknown's bounds (and its complementarity bound)."""
    clamps = compiled.system.clamps(params)
    values = {}
    for u in compiled.model.unknowns:
        floor, cap = clamps.get(u.name, (None, None))
        lo = u.lo if floor is None else (floor if u.lo is None else max(u.lo, floor))
        hi = u.hi if cap is None else (cap if u.hi is None else min(u.hi, cap))
        values[u.name] = ((lo + hi) / 2 if lo is not None and hi is not None else
                          lo + 1.0 if lo is not None else hi - 1.0 if hi is not None else 1.0)
    return lambda u, y: np.full(len(y), values[u])


def fields_guess(fields: Mapping, params, compiled: Compiled) -> Callable:
    """A guess from callables (a previous solution's fields) evaluated at points."""
    run = eqx.filter_jit(compiled.outputs)
    cache = {}

    def guess(u, y):
        full = np.zeros((len(y), len(compiled.states)))
        idx = [compiled.states.index(a) for a in next(v for v in compiled.model.unknowns
                                                       if v.name == u).args]
        full[:, idx] = y
        key = full.tobytes()
        if key not in cache:
            cache[key] = run(fields, params, jnp.asarray(full))
        return np.asarray(cache[key][u])
    return guess


def degree_for(compiled: Compiled, degree: int) -> int:
    """The requested degree, capped so no unknown has more than MAX_COEFFICIENTS coefficients."""
    d = max([len(u.args) for u in compiled.model.unknowns] + [1])
    return max(1, min(degree, int(round(MAX_COEFFICIENTS ** (1 / d))) - 1))


def solve(compiled: Compiled, settings: Settings, params: Mapping[str, float] | None = None, *,
          quiet: bool = False, guess: Callable | Mapping | None = None,
          log: Callable[[str], None] = print) -> Solution:
    """Solve a compiled model by Chebyshev collocation. See `walras.solve` for the public entry.

    `guess` is a previous solution's fields (continuation) or a function (unknown, points) -> values."""
    params = dict(compiled.params if params is None else params)
    p = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    comps = [r.name for r in compiled.system.residuals if r.is_complementarity]
    degree = degree_for(compiled, settings.degree)
    if guess is None:
        guess = constant_guess(compiled, params)
    elif isinstance(guess, Mapping):
        guess = fields_guess(guess, p, compiled)

    stage = newton(compiled, Plan(degree, False, ({c: "min" for c in comps},)), p, guess,
                   iterations=settings.iterations)
    history, iterations, notes = list(stage.history), stage.iterations, []
    if comps and len(compiled.states) == 1:
        runs = active_segments(stage.problem, stage.theta, p)
        previous = fields_guess(stage.problem.fields(stage.theta), p, compiled)
        if len(runs) == 1:
            plan, switch = Plan(degree, False, (_modes(comps, runs[0][2]),)), None
        elif len(runs) == 2:
            plan = Plan(degree, True, (_modes(comps, runs[0][2]), _modes(comps, runs[1][2])))
            switch = 0.5 * (runs[0][1] + runs[1][0])
        else:
            plan, switch = None, None
            notes.append(f"the active set switches {len(runs) - 1} times; region splitting handles "
                         f"one switch, so the complementarity stays semismooth (min(a, b))")
        if plan is not None:
            stage = newton(compiled, plan, p, previous, switch, iterations=settings.iterations)
            history += stage.history
            iterations += stage.iterations
    return _solution(compiled, settings, params, p, stage, history, iterations, notes)


def _solution(compiled, settings, params, p, stage: Stage, history, iterations, notes) -> Solution:
    problem, theta = stage.problem, stage.theta
    ev = evidence(problem, theta, p)
    dec = decays(problem, theta)
    switch = problem.switch(theta)
    converged = bool(np.isfinite(ev.total) and ev.total <= settings.residual_tol)
    message = _message(compiled, problem, ev, dec, history, iterations, converged, settings, notes,
                       switch)
    extra = {"residual_sup": xr.DataArray(np.array(list(ev.sup.values())), dims=["equation"],
                                          coords={"equation": list(ev.sup)},
                                          attrs={"long_name": "residual sup-norm off the nodes"}),
             "degree": xr.DataArray(problem.plan.degree, attrs={"long_name": "Chebyshev degree"}),
             "iterations": xr.DataArray(iterations, attrs={"long_name": "Newton iterations"})}
    for u, rows in dec.items():
        extra[f"chebyshev_{u}"] = xr.DataArray(
            rows, dims=["piece", "chebyshev_degree"],
            attrs={"long_name": f"max |coefficient| of {u} by degree (spectral decay)"})
    if switch is not None:
        extra[f"free_boundary_{compiled.states[0]}"] = xr.DataArray(
            switch, attrs={"long_name": "switching point of the complementarity"})
    return Solution(compiled, problem.fields(theta), params, settings, np.asarray(history, float),
                    converged, ev.mean_square, message, extra)


def _message(compiled, problem, ev: Evidence, dec, history, iterations, converged, settings,
             notes, switch) -> str:
    deg = problem.plan.degree
    head = (f"converged: degree {deg}, {iterations} Newton iterations, residual sup-norm "
            f"{ev.total:.2e} off the nodes" if converged else
            f"not converged: residual sup-norm {ev.total:.2e} > {settings.residual_tol:g} off the nodes")
    if switch is not None:
        head += f", free boundary at {compiled.states[0]} = {switch:.10g}"
    lines = [head] + notes
    if not converged:
        worst = ev.worst
        at = ", ".join(f"{s} = {v:.4g}" for s, v in zip(compiled.states, ev.where[worst]))
        lines.append(f"largest in '{worst}'" + (f" at {at}" if at else ""))
        shown = history if len(history) <= 8 else history[:4] + history[-4:]
        lines.append(f"sum of squared residuals over {iterations} iterations: "
                     + " → ".join(f"{h:.2e}" for h in shown))
        tails = {u: float(rows[:, -3:].max() / max(rows.max(), 1e-300)) for u, rows in dec.items()}
        slow = [u for u, t in tails.items() if t > 1e-8]
        if slow and np.isfinite(ev.total):
            lines.append("the coefficients of " + ", ".join(slow) + f" have not decayed at degree "
                         f"{deg} (last/first {max(tails[u] for u in slow):.1e}): raise --degree")
        if not np.isfinite(ev.total) or (history and history[-1] > 1e-6 * max(history[0], 1)):
            lines.append("Newton stalled: the model may have no equilibrium at these parameters; "
                         "try a continuation from an easier parameter value or a neural start")
    return "; ".join(lines)
