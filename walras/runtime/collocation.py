"""The collocation solver: Chebyshev expansions of the unknowns, residuals at Gauss-Chebyshev
nodes, Levenberg-Marquardt (Gauss-Newton, with damping trials as the line search) on the residual
vector.

Complementarity is exact. In a one-state model the domain is cut in two pieces, each with its own
expansion of every unknown, joined by continuity (and smooth pasting for unknowns that enter to
second order). A first solve imposes the semismooth min(a, b) = 0 with the cut pinned at the
middle; it shows where the variable sits at its bound. When the active set switches once, the cut
moves there and becomes an unknown, and on each side the binding part of the complementarity is
imposed as an equation: the free boundary is then located to the accuracy of the expansions.
Evidence of convergence (the residual sup-norm on a fine grid off the nodes, the decay of the
coefficients) goes into the results.
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
from ..grammar.diagnostics import Diagnostic, EconError, did_you_mean
from ..settings import Settings
from . import chebyshev as cheb
from .least_squares import levenberg_marquardt
from .progress import Progress
from .results import Solution, grid_axes, mesh

MAX_COEFFICIENTS = 4096   # per unknown and piece: caps the degree of 2- and 3-state expansions
FINE_POINTS = 4000        # evidence grid, per piece
PIN = 1e3                 # weight of the row that holds the cut in place during the first solve
SMALLEST_RUN = 0.02       # active-set runs shorter than this share of the domain are wiggles
MODES = ("a", "b", "min")  # how a complementarity is imposed: a = 0, b = 0, or min(a, b) = 0
EDGE = 1e-4               # where a zero lower edge is cut when the whole domain fails
FIRST_EDGE = 1e-3         # the cut moves down to its place from here,
EDGE_STEP = 10            # by this factor at a time
TINY = 1e-8               # floor of a start value of a positive unknown (its log is expanded)


class Piecewise(eqx.Module):
    """Expansions on [lo, s] and [s, hi] of the first argument, joined at s."""

    left: cheb.Chebyshev
    right: cheb.Chebyshev
    at: jax.Array

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.where(x[0] < self.at, self.left(x), self.right(x))


class Plan(eqx.Module):
    """What a Newton solve imposes, as data (so every stage reuses one compiled function):
    `mode[p, c]` one-hot over MODES for complementarity c on piece p; `pin` = (weight, τ₀) holds
    the cut at τ₀."""

    mode: jax.Array
    pin: jax.Array


class _Problem:
    """The residual vector of a model's collocation system as a pure function of a flat
    coefficient vector θ, the parameters and a `Plan`."""

    def __init__(self, compiled: Compiled, degree: int, pieces: int, edge: float = 0.0):
        m = compiled.model
        self.compiled, self.degree, self.n, self.pieces = compiled, degree, degree + 1, pieces
        self.d = len(m.states)
        cut = cuttable(compiled)
        self.log = tuple(s.name in cut and 0 < edge < s.hi for s in m.states)
        self.lo = np.array([edge if flag else s.lo for s, flag in zip(m.states, self.log)])
        self.hi = np.array([s.hi for s in m.states])
        self.args = {u.name: [compiled.states.index(a) for a in u.args] for u in m.unknowns}
        self.comps = [r.name for r in compiled.system.residuals if r.is_complementarity]
        self.second_order = second_order(compiled)
        self.positive = {u.name for u in m.unknowns if u.lo is not None and u.lo >= 0
                         and any(self.log[i] for i in self.args[u.name])}
        # (unknown, axis of its expansion, state): power-law behaviour at a cut edge
        self.edge_terms = [(u, k, i) for u, a in self.args.items() if u in self.second_order
                           for k, i in enumerate(a) if self.log[i]]
        self.weights = dict(m.weights)
        template = {"coef": {u: jnp.zeros((pieces,) + (self.n,) * len(a))
                             for u, a in self.args.items() if a},
                    "scalar": {u: jnp.zeros(()) for u, a in self.args.items() if not a},
                    "tau": jnp.zeros(()) if pieces > 1 else None}
        flat, self.unravel = ravel_pytree(template)
        self.size = flat.size
        unit = (-np.ones(self.d), np.ones(self.d))
        self.reference = cheb.box_nodes(*unit, self.n)
        per_axis = max(8, int(FINE_POINTS ** (1 / max(self.d, 1))))
        self.fine = _cell_centres(*unit, per_axis) if self.d else np.zeros((1, 0))
        self.faces = {b.name: _face(self.reference, compiled.states.index(b.state))
                      for b in compiled.system.boundaries}
        self.fine_faces = {b.name: _face(self.fine, compiled.states.index(b.state))
                           for b in compiled.system.boundaries}
        # a face of the cut state belongs to the first or the last piece only
        self.owner = np.ones((pieces, len(self.faces)), bool)
        for j, b in enumerate(compiled.system.boundaries):
            if pieces > 1 and b.state == compiled.states[0]:
                self.owner[:, j] = np.arange(pieces) == (0 if b.at == self.lo[0] else pieces - 1)
        self.evaluate = jax.jit(self._evaluate)

    # -- approximants ------------------------------------------------------------------------
    def boxes(self, tree) -> tuple[jax.Array, jax.Array]:
        """(pieces, d) lower and upper corners; the cut is s = lo + (hi − lo)·sigmoid(τ)."""
        lo, hi = jnp.asarray(self.lo), jnp.asarray(self.hi)
        if self.pieces == 1:
            return lo[None], hi[None]
        s = lo[0] + (hi[0] - lo[0]) * jax.nn.sigmoid(tree["tau"])
        return jnp.stack([lo, lo.at[0].set(s)]), jnp.stack([hi.at[0].set(s), hi])

    def piece_fields(self, coef, scalar, lo, hi) -> dict[str, cheb.Chebyshev]:
        """The expansions of one piece (coef without the piece axis)."""
        fields = {u: cheb.Chebyshev(c, lo[jnp.asarray(self.args[u], int)],
                                    hi[jnp.asarray(self.args[u], int)],
                                    tuple(self.log[i] for i in self.args[u]), u in self.positive)
                  for u, c in coef.items()}
        fields.update({u: cheb.Chebyshev(c, jnp.zeros(0), jnp.zeros(0)) for u, c in scalar.items()})
        return fields

    def pieces_of(self, tree) -> list[dict[str, cheb.Chebyshev]]:
        lo, hi = self.boxes(tree)
        return [self.piece_fields({u: c[p] for u, c in tree["coef"].items()}, tree["scalar"],
                                  lo[p], hi[p]) for p in range(self.pieces)]

    def fields(self, theta) -> dict:
        """The solution's approximants: one expansion per unknown, or a `Piecewise` pair."""
        tree = self.unravel(theta)
        pieces = self.pieces_of(tree)
        if self.pieces == 1:
            return pieces[0]
        s = self.boxes(tree)[1][0, 0]
        return {u: Piecewise(pieces[0][u], pieces[1][u], s) if u in tree["coef"] else pieces[0][u]
                for u in self.args}

    def cut(self, theta) -> float | None:
        return float(self.boxes(self.unravel(theta))[1][0, 0]) if self.pieces > 1 else None

    # -- residuals ---------------------------------------------------------------------------
    def raw(self, fields, params, x) -> dict[str, jax.Array]:
        """Residuals by equation at points x; a complementarity gives (a, b) as its last axis."""
        return self.compiled.residuals(fields, params, x,
                                       complementarity=lambda a, b: jnp.stack([a, b]))

    def imposed(self, raw: Mapping[str, jax.Array], mode) -> dict[str, jax.Array]:
        """Each complementarity as `mode[c]` (one-hot over MODES) says."""
        out = dict(raw)
        for c, name in enumerate(self.comps):
            a, b = raw[name][..., 0], raw[name][..., 1]
            out[name] = mode[c, 0] * a + mode[c, 1] * b + mode[c, 2] * jnp.minimum(a, b)
        return out

    def _piece_rows(self, coef, scalar, lo, hi, mode, owner, params, points, faces):
        """Interior and boundary residuals of one piece at reference points mapped into it."""
        fields = self.piece_fields(coef, scalar, lo, hi)
        x = cheb.to_box(points, lo, hi, self.log)
        interior = self.imposed(self.raw(fields, params, x), mode)
        boundary = {}
        for j, b in enumerate(self.compiled.system.boundaries):
            xb = cheb.to_box(faces[b.name], lo, hi, self.log)
            r = self.compiled.boundary_residuals(fields, params, {b.name: xb}, only=b.name)[b.name]
            boundary[b.name] = jnp.where(owner[j], r, 0.0)
        return interior, boundary

    def _over_pieces(self, tree, params, plan: Plan, points, faces):
        lo, hi = self.boxes(tree)
        return jax.vmap(self._piece_rows, in_axes=(0, None, 0, 0, 0, 0, None, None, None))(
            tree["coef"], tree["scalar"], lo, hi, plan.mode, jnp.asarray(self.owner), params,
            jnp.asarray(points), {k: jnp.asarray(v) for k, v in faces.items()})

    def residual(self, theta: jax.Array, params, plan: Plan) -> jax.Array:
        tree = self.unravel(theta)
        interior, boundary = self._over_pieces(tree, params, plan, self.reference, self.faces)
        n, nb = self.reference.shape[0], {k: v.shape[0] for k, v in self.faces.items()}
        rows = [jnp.sqrt(self.weights.get(k, 1.0) / n) * r for k, r in interior.items()]
        rows += [jnp.sqrt(self.weights.get(k, self.weights.get("boundary", 1.0)) / nb[k]) * r
                 for k, r in boundary.items()]
        rows += self.edge_rows(tree)
        if self.pieces > 1:
            rows.append(self.junction(tree))
            rows.append(plan.pin[0] * (tree["tau"] - plan.pin[1]))
        return jnp.concatenate([jnp.ravel(r) for r in rows])

    def edge_rows(self, tree) -> list[jax.Array]:
        """At a cut edge, each unknown that enters to second order is a power law of the state:
        the second derivative of its expansion in the log coordinate vanishes there (of log u for
        a positive unknown). The equation's regularity at the true edge, 0, selects the solution;
        the cut stands in for it."""
        rows = []
        for u, k, i in self.edge_terms:
            touching = [0] if self.pieces > 1 and i == 0 else range(self.pieces)
            rows += [cheb.lower_derivative(tree["coef"][u][p], k, 2) for p in touching]
        return rows

    def junction(self, tree) -> jax.Array:
        """Continuity of each unknown at the cut, and of its slope if it enters to second order."""
        left, right = self.pieces_of(tree)
        s = self.boxes(tree)[1][0, 0]
        rows = []
        for u in tree["coef"]:
            x = jnp.zeros(len(self.args[u])).at[0].set(s)
            rows.append(left[u](x) - right[u](x))
            if u in self.second_order:
                e = jnp.zeros_like(x).at[0].set(1.0)
                rows.append(jax.jvp(left[u], (x,), (e,))[1] - jax.jvp(right[u], (x,), (e,))[1])
        return jnp.stack(rows)

    def jacobian(self, theta: jax.Array, params, plan: Plan) -> jax.Array:
        """Forward mode in the coefficients; a central difference in τ (forward mode through the
        moving nodes would differentiate the whole system in the state once more)."""
        if self.pieces == 1:
            return jax.jacfwd(self.residual)(theta, params, plan)
        c, tau = theta[:-1], theta[-1:]
        J = jax.jacfwd(lambda c: self.residual(jnp.concatenate([c, tau]), params, plan))(c)
        h = 1e-5
        column = (self.residual(theta.at[-1].add(h), params, plan)
                  - self.residual(theta.at[-1].add(-h), params, plan)) / (2 * h)
        return jnp.concatenate([J, column[:, None]], axis=1)

    def _evaluate(self, theta, params):
        """On the fine grid of each piece: raw interior residuals (pieces, points[, 2]), the
        unknowns (pieces, points) and the boundary residuals."""
        tree = self.unravel(theta)
        plan = self.plan({c: "min" for c in self.comps})
        lo, hi = self.boxes(tree)

        def piece(coef, lo, hi):
            fields = self.piece_fields(coef, tree["scalar"], lo, hi)
            x = cheb.to_box(jnp.asarray(self.fine), lo, hi, self.log)
            values = {u: jax.vmap(f)(x[:, jnp.asarray(self.args[u], int)])
                      for u, f in fields.items()}
            return self.raw(fields, params, x), values

        raw, values = jax.vmap(piece)(tree["coef"], lo, hi)
        _, boundary = self._over_pieces(tree, params, plan, self.fine, self.fine_faces)
        return raw, values, boundary, lo, hi

    # -- plans and starting values -----------------------------------------------------------
    def plan(self, *modes: Mapping[str, str], pin: float = 0.0, tau: float = 0.0) -> Plan:
        """A plan from each piece's modes (one mapping for all pieces, or one per piece)."""
        modes = modes * self.pieces if len(modes) == 1 else modes
        mode = np.zeros((self.pieces, len(self.comps), len(MODES)))
        for p, m in enumerate(modes):
            for c, name in enumerate(self.comps):
                mode[p, c, MODES.index(m[name])] = 1.0
        return Plan(jnp.asarray(mode), jnp.asarray([pin, tau]))

    def start(self, guess: Callable[[str, np.ndarray], np.ndarray], cut: float | None = None):
        """θ interpolating `guess(unknown, points)` on each piece, with the cut at `cut`."""
        tree = self.unravel(jnp.zeros(self.size))
        if self.pieces > 1:
            tree["tau"] = jnp.asarray(self.tau(cut))
        lo, hi = (np.asarray(v) for v in self.boxes(tree))
        for u in tree["coef"]:
            idx = self.args[u]
            flags, positive = tuple(self.log[i] for i in idx), u in self.positive
            value = (lambda y: np.maximum(guess(u, y), TINY)) if positive else \
                (lambda y: guess(u, y))
            tree["coef"][u] = jnp.stack([cheb.interpolate(value, lo[p, idx], hi[p, idx], self.n,
                                                          flags, positive)
                                         for p in range(self.pieces)])
        for u in tree["scalar"]:
            tree["scalar"][u] = jnp.asarray(float(np.ravel(guess(u, np.zeros((1, 0))))[0]))
        return ravel_pytree(tree)[0]

    def tau(self, cut: float | None) -> float:
        t = 0.5 if cut is None else (cut - self.lo[0]) / (self.hi[0] - self.lo[0])
        return float(np.log(t / (1 - t)))


def _cell_centres(lo, hi, per_axis: int) -> np.ndarray:
    """Cell centres of a box, per_axis along each state: between the nodes, off the edges."""
    axes = [a + (b - a) * (np.arange(per_axis) + 0.5) / per_axis for a, b in zip(lo, hi)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], -1)


def _face(points: np.ndarray, axis: int) -> np.ndarray:
    """The distinct projections of reference points onto a face normal to `axis` (the compiler
    sets that coordinate)."""
    if points.shape[1] == 1:
        return np.zeros((1, 1))
    face = np.unique(np.delete(points, axis, axis=1), axis=0)
    return np.insert(face, axis, 0.0, axis=1)


def cuttable(compiled: Compiled) -> set[str]:
    """States whose range starts at 0 with no boundary condition there: the collocation may cut
    that edge (at the setting `edge`) and take a log coordinate near it."""
    held = {b.state for b in compiled.system.boundaries if b.at == 0}
    return {s.name for s in compiled.model.states if s.lo == 0 and s.name not in held}


def second_order(compiled: Compiled) -> set[str]:
    """Unknowns whose second derivatives enter the system."""
    out = set()
    for m in compiled.system.atoms.meaning.values():
        if isinstance(m, ito.Curvature) or (isinstance(m, ito.Partial) and len(m.alpha) >= 2):
            out.add(m.unknown)
    return out


# -- evidence ---------------------------------------------------------------------------------
@dataclass
class Evidence:
    """Residuals on the fine grid off the nodes, by equation (complementarity as min(a, b), so a
    sign violation shows): sup-norm, where it is largest, mean square."""

    sup: dict[str, float]
    where: dict[str, np.ndarray]
    mean_square: dict[str, float]
    binds: np.ndarray          # (points, complementarities): the variable is at its bound (b < a)
    x: np.ndarray              # the fine points, (points, states)
    violations: list[str]      # unknowns outside their declared bounds

    @property
    def worst(self) -> str:
        return max(self.sup, key=lambda k: self.sup[k])

    @property
    def total(self) -> float:
        return max(self.sup.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.total)) and not self.violations


def evidence(problem: _Problem, theta, params, margin: float) -> Evidence:
    """Evidence on the fine grid, keeping `margin` (a share of each state's range) off the edges
    of the domain like the neural solver's samples: where an equation divides by a state that
    vanishes at an edge, the residual there measures the division, not the solution."""
    raw, values, boundary, lo, hi = problem.evaluate(theta, params)
    lo, hi = np.asarray(lo)[:, None], np.asarray(hi)[:, None]
    x = np.asarray(cheb.to_box(problem.fine, lo, hi, problem.log))
    x = x.reshape(problem.pieces * len(problem.fine), problem.d)
    gap = margin * (problem.hi - problem.lo)
    inside = np.all((x >= problem.lo + gap) & (x <= problem.hi - gap), axis=1)
    x = x[inside]
    values = {u: np.asarray(v).ravel()[inside] for u, v in values.items()}
    found, binds = {}, []
    for name, r in raw.items():
        r = np.asarray(r).reshape(inside.size, -1)[inside]
        if name in problem.comps:
            binds.append(r[:, 1] < r[:, 0])
            r = np.minimum(r[:, 0], r[:, 1])
        found[name] = (r.ravel(), x)
    owner = problem.owner.argmax(axis=0)
    for j, (name, r) in enumerate(boundary.items()):
        p = owner[j]
        xb = np.asarray(cheb.to_box(problem.fine_faces[name], lo[p], hi[p], problem.log))
        found[name] = (np.asarray(r)[p].ravel(), xb)
    sup, where, ms = {}, {}, {}
    for name, (r, pts) in found.items():
        bad = np.where(np.isfinite(r), np.abs(r), np.inf)
        k = int(np.argmax(bad))
        sup[name], where[name], ms[name] = float(bad[k]), pts[k], float(np.mean(r * r))
    binds = np.stack(binds, -1) if binds else np.zeros((len(x), 0), bool)
    return Evidence(sup, where, ms, binds, x, _violations(problem, values, x))


def _violations(problem: _Problem, values, x) -> list[str]:
    """Unknowns that leave their declared bounds on the fine grid (a bound is not imposed on an
    expansion, so this is how an impossible equilibrium shows)."""
    out = []
    for u in problem.compiled.model.unknowns:
        v = values[u.name]
        for bound, bad in ((u.lo, v <= u.lo if u.lo is not None else None),
                           (u.hi, v >= u.hi if u.hi is not None else None)):
            if bad is not None and bad.any():
                k = int(np.argmax(bad))
                at = ", ".join(f"{s} = {c:.4g}" for s, c in zip(problem.compiled.states, x[k]))
                out.append(f"{u.name} = {v[k]:.4g} breaks its bound {bound:g}"
                           + (f" at {at}" if at else ""))
    return out


def decays(problem: _Problem, theta) -> dict[str, np.ndarray]:
    """Coefficient decay of each unknown with states, one row per piece."""
    coef = problem.unravel(theta)["coef"]
    return {u: np.stack([cheb.decay(np.asarray(c[p])) for p in range(problem.pieces)])
            for u, c in coef.items()}


def active_runs(ev: Evidence, width: float) -> list[list]:
    """Runs [start, end, pattern] of the active set along the (single) state, in order; runs
    shorter than SMALLEST_RUN of the domain (wiggles of an expansion that cannot follow a kink)
    merge into a neighbour."""
    order = np.argsort(ev.x[:, 0])
    runs: list[list] = []
    for x, row in zip(ev.x[order, 0], ev.binds[order]):
        if runs and runs[-1][2] == tuple(row):
            runs[-1][1] = x
        else:
            runs.append([x, x, tuple(row)])
    while len(runs) > 1:
        k = min(range(len(runs)), key=lambda j: runs[j][1] - runs[j][0])
        if runs[k][1] - runs[k][0] >= SMALLEST_RUN * width:
            break
        j = k - 1 if k > 0 else 1
        runs[j][0], runs[j][1] = min(runs[j][0], runs[k][0]), max(runs[j][1], runs[k][1])
        del runs[k]
        merged = [runs[0]]
        for r in runs[1:]:
            if r[2] == merged[-1][2]:
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        runs = merged
    return runs


# -- the solve --------------------------------------------------------------------------------
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


@eqx.filter_jit
def _values(field: Callable, y: jax.Array) -> jax.Array:
    return jax.vmap(field)(y)


def fields_guess(fields: Mapping[str, Callable]) -> Callable[[str, np.ndarray], np.ndarray]:
    """A guess from approximants (a previous solution's `fields`): unknown, points -> values."""
    return lambda u, y: np.asarray(_values(fields[u], jnp.asarray(y, jnp.float64)))


_PROBLEMS: dict[tuple, _Problem] = {}


def problem_for(compiled: Compiled, degree: int, pieces: int, edge: float) -> _Problem:
    """One `_Problem` per compiled model and shape, so repeated solves (continuation steps, new
    parameters) reuse its traced and compiled functions."""
    key = (id(compiled), degree, pieces, edge)
    if key not in _PROBLEMS or _PROBLEMS[key].compiled is not compiled:
        if len(_PROBLEMS) >= 8:
            _PROBLEMS.pop(next(iter(_PROBLEMS)))
        _PROBLEMS[key] = _Problem(compiled, degree, pieces, edge)
    return _PROBLEMS[key]


def degree_for(compiled: Compiled, degree: int) -> int:
    """The requested degree, capped so no unknown has more than MAX_COEFFICIENTS coefficients."""
    d = max([len(u.args) for u in compiled.model.unknowns] + [1])
    return max(1, min(degree, int(round(MAX_COEFFICIENTS ** (1 / d))) - 1))


def solve(compiled: Compiled, settings: Settings, params: Mapping[str, float] | None = None, *,
          quiet: bool = False, guess: Mapping[str, Callable] | Callable | None = None) -> Solution:
    """Solve a compiled model by Chebyshev collocation. See `walras.solve` for the public entry.

    `guess`: a previous solution's `fields` (continuation), or a function (unknown, points of its
    states) -> values; by default a constant inside each unknown's bounds. With the setting
    `homotopy = "NAME=VALUE"`, the model is first solved with that parameter value and the
    parameter then walks to its own value in `homotopy_steps` steps, each starting from the last.
    When the expansions fail on the whole domain and a state's range starts at 0 (where, say, a
    consumption-wealth ratio diverges like a power), the solve is repeated with that edge cut at
    `EDGE` (the setting `edge` chooses the cut from the start)."""
    params = dict(compiled.params if params is None else params)
    attempt, history, iterations = _walk(compiled, settings, params, guess, quiet)
    if not attempt.converged(settings) and not settings.edge and cuttable(compiled):
        whole = attempt
        cut = settings.replace(edge=EDGE)
        attempt, more, extra = _walk(compiled, cut, params, guess, quiet)
        history, iterations = history + more, iterations + extra
        if attempt.converged(cut) or attempt.ev.total < whole.ev.total:
            settings = cut
            attempt.notes.insert(0, f"on the whole domain the expansions did not converge "
                                    f"(residual sup-norm {whole.ev.total:.1e}), so zero edges "
                                    "are cut")
        else:
            whole.notes.insert(0, f"cutting the zero edges at {EDGE:g} did not help (residual "
                                  f"sup-norm {attempt.ev.total:.1e})")
            attempt = whole
    change = {}
    if any(attempt.problem.log) and attempt.converged(settings):
        change = _edge_change(attempt, settings, params)
    return _solution(attempt, settings, params, history, iterations, change)


def _walk(compiled: Compiled, settings: Settings, params: Mapping[str, float], guess,
          quiet: bool = True):
    """The attempts along the homotopy path, then (with a cut edge) along the cut moving down
    from `FIRST_EDGE`: the last attempt, the residual history, iterations. A progress bar counts
    the attempts."""
    edges = edge_path(settings.edge)
    path = [(step, edges[0]) for step in homotopy_path(settings, params)]
    path += [(params, edge) for edge in edges[1:]]
    history, iterations = [], 0
    progress = Progress(len(path), quiet, "collocation" + (", edge cut" if settings.edge else ""))
    for step, edge in path:
        attempt = _attempt(compiled, settings.replace(edge=edge), step, guess)
        guess = attempt.problem.fields(attempt.theta)
        history += attempt.history
        iterations += attempt.iterations
        progress.advance(1, attempt.history[-1] if attempt.history else float("nan"))
        if not attempt.ev.ok and (step, edge) != path[-1]:
            where = [f"{k} = {v:g}" for k, v in step.items() if v != params[k]]
            attempt.notes.append("the homotopy failed at " + ", ".join(where) if where else
                                 f"moving the cut edge to {edge:g} failed")
            break
    progress.close()
    return attempt, history, iterations


def edge_path(edge: float) -> list[float]:
    """The cut edges to solve at in turn: from `FIRST_EDGE` down to `edge` by `EDGE_STEP` ([0]
    for no cut). Each solve starts from the last, whose power laws reach below its cut."""
    if not edge:
        return [0.0]
    path = [edge]
    while path[0] * EDGE_STEP <= FIRST_EDGE * (1 + 1e-9):
        path.insert(0, path[0] * EDGE_STEP)
    return path


def _edge_change(attempt: "Attempt", settings: Settings, params) -> dict[str, xr.DataArray]:
    """How much each unknown moves, on the results grid, when the cut edges move up tenfold: how
    far the cut reaches into the solution (the reference is good where this is small)."""
    problem, edge = attempt.problem, settings.edge
    moved = _attempt(problem.compiled, settings.replace(edge=10 * edge), params,
                     problem.fields(attempt.theta))
    axes = grid_axes(problem.compiled, settings.grid)
    x = mesh(axes)
    keep = np.all(x[:, list(problem.log)] >= 10 * edge, axis=1)
    before, after = problem.fields(attempt.theta), moved.problem.fields(moved.theta)
    out = {}
    for u, idx in problem.args.items():
        if not idx:
            continue
        y = jnp.asarray(x[:, idx])
        change = np.abs(np.asarray(_values(before[u], y)) - np.asarray(_values(after[u], y)))
        out[f"edge_change_{u}"] = xr.DataArray(
            np.where(keep & moved.converged(settings), change, np.nan).reshape(
                [len(v) for v in axes.values()]), dims=list(axes), coords=axes,
            attrs={"long_name": f"change of {u} when the cut edges move from {edge:g} to "
                                f"{10 * edge:g}"})
    return out


def homotopy_path(settings: Settings, params: Mapping[str, float]) -> list[Mapping[str, float]]:
    """The parameter sets to solve in turn, ending with `params` itself."""
    if not settings.homotopy:
        return [params]
    name, _, value = settings.homotopy.partition("=")
    name = name.strip()
    try:
        start = float(value)
    except ValueError:
        start = None
    if name not in params or start is None:
        raise EconError([Diagnostic("E123", f"homotopy '{settings.homotopy}' must be NAME=VALUE "
                                    "for a parameter of the model", None,
                                    did_you_mean(name, list(params)))])
    steps = max(1, settings.homotopy_steps)
    values = start + (params[name] - start) * np.arange(steps) / steps
    return [{**params, name: float(v)} for v in values] + [params]


@dataclass
class Attempt:
    """One solve at fixed parameters."""

    problem: _Problem
    theta: jax.Array
    ev: Evidence
    history: list[float]
    iterations: int
    notes: list[str]
    cut: float | None

    def converged(self, settings: Settings) -> bool:
        return self.ev.ok and self.ev.total <= settings.residual_tol


def _attempt(compiled: Compiled, settings: Settings, params: Mapping[str, float],
             guess: Mapping[str, Callable] | Callable | None) -> Attempt:
    """The semismooth solve with the cut pinned at the middle, then (one state, complementarity)
    the exact solve: the cut at the switch of the active set, or kept when there is none."""
    p = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    if guess is None:
        guess = constant_guess(compiled, params)
    elif isinstance(guess, Mapping):
        guess = fields_guess(guess)
    comps = [r.name for r in compiled.system.residuals if r.is_complementarity]
    pieces = 2 if comps and len(compiled.states) == 1 else 1
    problem = problem_for(compiled, degree_for(compiled, settings.degree), pieces, settings.edge)
    plan = problem.plan({c: "min" for c in comps}, pin=PIN, tau=problem.tau(None))
    theta, history, iterations, free = problem.start(guess), [], 0, False
    notes: list[str] = []
    for stage in range(2):
        rough = stage == 0 and pieces > 1   # the first solve only finds the active set
        result = levenberg_marquardt(problem.residual, theta, jacobian=problem.jacobian,
                                     args=(p, plan), iterations=settings.iterations,
                                     ftol=1e-3 if rough else 1e-14)
        theta = result.theta
        history += [2 * h for h in result.history]
        iterations += result.iterations
        ev = evidence(problem, theta, p, settings.margin)
        if stage or pieces == 1:
            break
        runs = active_runs(ev, problem.hi[0] - problem.lo[0])
        if len(runs) > 2:
            notes.append(f"the active set switches {len(runs) - 1} times; region splitting "
                         f"handles one switch, so the complementarity stays semismooth")
            break
        if len(runs) == 1:     # the same equations everywhere: keep the cut where it is
            plan = problem.plan(_modes(comps, runs[0][2]), pin=PIN, tau=problem.tau(None))
        else:                  # the cut moves to the switch and is free
            cut, free = 0.5 * (runs[0][1] + runs[1][0]), True
            plan = problem.plan(_modes(comps, runs[0][2]), _modes(comps, runs[1][2]))
            theta = problem.start(fields_guess(problem.fields(theta)), cut)
    return Attempt(problem, theta, ev, history, iterations, notes,
                   problem.cut(theta) if free else None)


def _modes(comps: Sequence[str], binds: tuple) -> dict[str, str]:
    return {c: ("b" if bind else "a") for c, bind in zip(comps, binds)}


def _solution(attempt: Attempt, settings: Settings, params, history, iterations,
              change: Mapping[str, xr.DataArray]) -> Solution:
    problem, theta, ev, cut = attempt.problem, attempt.theta, attempt.ev, attempt.cut
    compiled = problem.compiled
    dec = decays(problem, theta)
    converged = attempt.converged(settings)
    if change:
        head = f"zero edges cut at {settings.edge:g} (log coordinate, power laws below); cut at " \
               f"{10 * settings.edge:g} instead, "
        largest = {k: float(v.max()) for k, v in change.items()}   # NaN where it failed
        worst = max(largest, key=lambda k: largest[k] if np.isfinite(largest[k]) else np.inf)
        if np.isfinite(largest[worst]):
            peak = change[worst].where(change[worst] == largest[worst], drop=True)
            at = ", ".join(f"{k} = {float(v[0]):.3g}" for k, v in peak.coords.items())
            attempt.notes.append(head + f"the unknowns change by at most {largest[worst]:.1e} on "
                                        f"the results grid ({worst[12:]} at {at})")
        else:
            attempt.notes.append(head + "the solve does not converge, so how far the cut reaches "
                                        "is not known")
    message = _message(problem, ev, dec, history, iterations, converged, settings,
                       attempt.notes, cut)
    extra = {"residual_sup": xr.DataArray(np.array(list(ev.sup.values())), dims=["equation"],
                                          coords={"equation": list(ev.sup)},
                                          attrs={"long_name": "residual sup-norm off the nodes"}),
             "degree": xr.DataArray(problem.degree, attrs={"long_name": "Chebyshev degree"}),
             "iterations": xr.DataArray(iterations, attrs={"long_name": "Newton iterations"})}
    for u, rows in dec.items():
        extra[f"chebyshev_{u}"] = xr.DataArray(
            rows, dims=["piece", "chebyshev_degree"],
            attrs={"long_name": f"max |coefficient| of {u} by degree (spectral decay)"})
    extra.update(change)
    if cut is not None:
        extra[f"free_boundary_{compiled.states[0]}"] = xr.DataArray(
            cut, attrs={"long_name": "where the complementarity switches"})
    return Solution(compiled, problem.fields(theta), params, settings, np.asarray(history, float),
                    converged, ev.mean_square, message, extra)


def _message(problem: _Problem, ev: Evidence, dec, history, iterations, converged, settings,
             notes, cut) -> str:
    """What happened, and when it failed: where the residual is largest, the residual history,
    whether the coefficients decayed, what to try."""
    states = problem.compiled.states
    if converged:
        head = (f"converged: degree {problem.degree}, {iterations} Newton iterations, residual "
                f"sup-norm {ev.total:.1e} off the nodes")
    else:
        head = (f"not converged: residual sup-norm {ev.total:.1e} off the nodes "
                f"(tolerance {settings.residual_tol:g}) at degree {problem.degree}")
    if cut is not None:
        head += f"; free boundary at {states[0]} = {cut:.10g}"
    lines = [head] + notes + ev.violations
    if converged:
        return "; ".join(lines)
    worst = ev.worst
    at = ", ".join(f"{s} = {v:.4g}" for s, v in zip(states, ev.where[worst]))
    lines.append(f"largest in '{worst}'" + (f" at {at}" if at else ""))
    shown = history if len(history) <= 8 else history[:4] + history[-4:]
    lines.append(f"sum of squared residuals over {iterations} iterations: "
                 + " -> ".join(f"{h:.2e}" for h in shown))
    # residuals small at the nodes but not between them: the expansion is too coarse
    at_nodes = float(np.sqrt(history[-1])) if history else np.inf
    stalled = not np.isfinite(ev.total) or at_nodes > max(settings.residual_tol, 1e-2 * ev.total)
    tails = {u: float(rows[:, -3:].max() / max(rows.max(), 1e-300)) for u, rows in dec.items()}
    slow = [u for u, t in tails.items() if t > 1e-10]
    if slow and np.isfinite(ev.total):
        lines.append("the coefficients of " + ", ".join(slow) + " have not decayed (last/first "
                     f"{max(tails[u] for u in slow):.1e}): raise the degree")
    if ev.violations:
        lines.append("the solution found leaves the declared bounds: there may be no equilibrium "
                     "at these parameters, or Newton went astray from this start; try a homotopy "
                     "from an easier parameter value")
    elif stalled:
        lines.append("Newton stalled: there may be no equilibrium at these parameters, or the "
                     "start is too far; try a homotopy from an easier parameter value")
    return "; ".join(lines)
