"""The collocation system of a model: Chebyshev expansions of the unknowns (on one piece of the
domain, or two joined at a cut), the residual vector at Gauss-Chebyshev nodes as a pure function
of the flat coefficient vector θ, the parameters and a `Plan`, and its Jacobian.

Complementarity is exact: a `Plan` imposes each one as a = 0, b = 0 or the semismooth
min(a, b) = 0 on each piece, and may pin the cut between the pieces."""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from ... import cache
from ...domain import cube_to_simplices
from ...pytree import pytree
from ..base import EdgePolicy, Problem
from ..flat import Flat
from ..start import values_at as values_at
from . import chebyshev as cheb
from . import regimes, root, smolyak
from .jacobian import applies, chunk_for, columns
from .local_rows import pair
from .pieces import Piecewise, face_points, local_simplices
from .side_conditions import edge_rows, edge_terms, junction, root_terms
from .split import Split

FINE_POINTS = 4000  # evidence grid, per piece
MODES = ("a", "b", "min")  # how a complementarity is imposed: a = 0, b = 0, or min(a, b) = 0
TINY = 1e-8  # floor of a start value of a positive unknown (its log is expanded)
SHARE = True  # systems at other cut edges share their compiled functions, under one key of the
# cache of exported functions (False: each cut traces and compiles its own, the earlier path,
# which bench/bench_cut_edges.py times)
# every state whose zero edge may be cut is cut at the setting `edge`, which is 0 (no cut) unless
# the whole domain fails
EDGES = EdgePolicy(always=False, diverging_only=False)


@pytree
class Plan:
    """What a Newton solve imposes, as data (so every stage and every cut edge reuses one
    compiled function): `mode[p, c]` one-hot over MODES for complementarity c on piece p; `pin`
    = (weight, τ₀) holds the cut at τ₀; `lo` is the domain's lower corner (where zero edges are
    cut)."""

    mode: jax.Array
    pin: jax.Array
    lo: jax.Array


class System:
    """The residual vector of a model's collocation system as a pure function of a flat
    coefficient vector θ, the parameters and a `Plan`: `degree` per state, on `pieces` (1, or 2
    joined at a cut of the first state), zero edges cut at `edge` (0: none); `basis` "tensor"
    (tensor products, Gauss nodes) or "smolyak" (`smolyak`: a sparse grid whose level has
    `degree`). Systems that differ only in where their edges are cut (`shared`: one of the same
    degree, pieces and basis, with edges cut too) share their traced and compiled functions: the
    lower corner of the domain is an argument of them (`Plan.lo`), not a constant."""

    def __init__(
        self,
        problem: Problem,
        degree: int,
        pieces: int,
        edge: float = 0.0,
        basis: str = "tensor",
        anchors: tuple = (),
        shared: System | None = None,
        logs: bool = False,
    ):
        compiled, states = problem.compiled, problem.states
        self.problem, self.compiled = problem, compiled
        self.degree, self.n, self.pieces = degree, degree + 1, pieces
        self.d = len(states)
        self.basis = basis
        self.level = smolyak.level_for(degree) if basis == "smolyak" else None
        cut = problem.cut_edges(edge, EDGES)
        self.log = tuple(s.name in cut for s in states)
        # how each axis maps onto [−1, 1] (`chebyshev.to_box`): log at a cut edge, or towards
        # an anchor (`anchors`: (state index, `chebyshev.Anchor`) pairs)
        self.maps = tuple(log or dict(anchors).get(i, False) for i, log in enumerate(self.log))
        # the last stick-breaking coordinate of a simplex ends where the last share vanishes: a
        # face like those of the other shares, cut at the same share when theirs are (`Logit`)
        last = {group[-1] for group in problem.domain.simplices}
        self.upper = tuple(bool(log) and i in last for i, log in enumerate(self.log))
        self.maps = tuple(cheb.LOGIT if up else m for m, up in zip(self.maps, self.upper))
        # a state constraint's edge: the square-root map (`root`), in one piece of a tensor basis
        held = root.constrained(problem) if basis == "tensor" and pieces == 1 else {}
        self.maps = tuple(root.Root(held[i]) if i in held else m for i, m in enumerate(self.maps))
        self.lo = np.array([cut.get(s.name, s.lo) for s in states])
        self.hi = np.array([s.hi for s in states])
        self.args = {u: list(axes) for u, axes in problem.axes.items()}
        # discrete states: one expansion per regime (`regimes`); their axes lead the coefficients
        self.values = [s.values for s in states]
        self.regimes = {
            u: [k for k, i in enumerate(a) if self.values[i] is not None]
            for u, a in self.args.items()
        }
        self.simplices = problem.domain.simplices
        self.local = {
            u: local_simplices(self.simplices, [i for i in a if self.values[i] is None])
            for u, a in self.args.items()
        }
        self.comps = list(problem.complementarities)
        self.second_order = problem.second_order
        self.positive = {
            u.name
            for u in problem.unknowns
            if u.lo is not None
            and u.lo >= 0
            and (logs or any(self.log[i] for i in self.args[u.name]))
        }
        self.edge_terms = edge_terms(self)
        self.root_terms = root_terms(self, held)
        template = {
            "coef": {u: np.zeros((pieces,) + self.shape(u)) for u, a in self.args.items() if a},
            "scalar": {u: np.zeros(()) for u, a in self.args.items() if not a},
            "tau": np.zeros(()) if pieces > 1 else None,
        }
        self.flat = Flat(template)
        self.unravel, self.size = self.flat.unravel, self.flat.size
        continuous = sum(v is None for v in self.values)
        if self.level is None:
            self.reference = regimes.product(regimes.unit_axes(states, self.n, cheb.nodes))
        else:
            sparse = smolyak.grid(continuous, self.level).nodes
            self.reference = regimes.with_discrete(states, sparse)
        per_axis = max(8, int(FINE_POINTS ** (1 / max(continuous, 1))))
        centres = lambda n: -1 + 2 * (np.arange(n) + 0.5) / n  # noqa: E731
        self.fine = regimes.product(regimes.unit_axes(states, per_axis, centres))
        self.faces = {
            b.name: face_points(self.reference, compiled.states.index(b.state))
            for b in problem.boundaries
        }
        self.fine_faces = {
            b.name: face_points(self.fine, compiled.states.index(b.state))
            for b in problem.boundaries
        }
        # a face of the cut state belongs to the first or the last piece only
        self.owner = np.ones((pieces, len(self.faces)), bool)
        for j, b in enumerate(problem.boundaries):
            if pieces > 1 and b.state == compiled.states[0]:
                self.owner[:, j] = np.arange(pieces) == (0 if b.at == states[0].lo else pieces - 1)
        if shared is not None and SHARE:
            self.key, self.evaluated = shared.key, shared.evaluated
            self.residual, self.jacobian = shared.residual, shared.jacobian
            self.split = shared.split
            return
        # names this system in the cache of exported functions (None: not exported)
        where = ("cut" if SHARE else f"cut {edge!r}") if cut else "whole"
        self.key = compiled.key and (
            f"{compiled.key} collocation {degree} {pieces} {where}"
            + "".join(f" {i}:{a.at!r}" for i, a in anchors)
            + (" log" if logs else "")
        )
        self.evaluated = cache.compiled(self._evaluate, self.key and f"{self.key} evaluate")
        # the residual in two parts, the model's equations compiled once for every degree
        self.split = Split(self) if applies(self) else None

    # -- approximants ------------------------------------------------------------------------
    def shape(self, u: str) -> tuple[int, ...]:
        """The coefficients of unknown u: its regimes, then n per continuous state (tensor) or
        one axis of the sparse grid's size (smolyak)."""
        values = [self.values[i] for i in self.args[u]]
        regimes_ = tuple(len(v) for v in values if v is not None)
        sparse = self.sparse(u)
        if sparse is not None:
            return regimes_ + (sparse.size,)
        return regimes_ + tuple(self.n for v in values if v is None)

    def sparse(self, u: str) -> smolyak.SparseGrid | None:
        """The sparse grid of unknown u's continuous states (None: tensor, or none)."""
        d = sum(self.values[i] is None for i in self.args[u])
        return smolyak.grid(d, self.level) if self.level is not None and d else None

    def decay(self, u: str, coef: np.ndarray) -> np.ndarray:
        """max |coefficient| by degree of one expansion of u (`chebyshev.decay`)."""
        sparse = self.sparse(u)
        return cheb.decay(coef) if sparse is None else smolyak.decay(coef, sparse)

    def boxes(self, tree, lo) -> tuple[jax.Array, jax.Array]:
        """(pieces, d) lower and upper corners, from the domain's lower corner `lo` (an axis cut
        at both ends is cut as far from 1 as from 0); the cut is s = lo + (hi − lo)·sigmoid(τ).
        NumPy where `lo` and τ are (nothing to compile outside a trace)."""
        tau = tree["tau"] if self.pieces > 1 else None
        host = isinstance(lo, np.ndarray) and not isinstance(tau, jax.Array)
        xp, sigmoid = (np, lambda t: 1 / (1 + np.exp(-t))) if host else (jnp, jax.nn.sigmoid)
        lo = xp.asarray(lo)
        hi = xp.where(np.asarray(self.upper, bool), self.hi - lo, xp.asarray(self.hi))
        if self.pieces == 1:
            return lo[None], hi[None]
        s = xp.reshape(lo[0] + (hi[0] - lo[0]) * sigmoid(tau), (1,))
        return xp.stack([lo, xp.concatenate([s, lo[1:]])]), xp.stack(
            [xp.concatenate([s, hi[1:]]), hi]
        )

    def piece_fields(self, coef, scalar, lo, hi) -> dict[str, cheb.Chebyshev]:
        """The expansions of one piece (coef without the piece axis)."""
        fields = {}
        for u, c in coef.items():
            rest = [i for i in self.args[u] if self.values[i] is None]
            box = (lo[np.asarray(rest, int)], hi[np.asarray(rest, int)])
            flags = tuple(self.maps[i] for i in rest)
            if self.regimes[u]:
                values = tuple(self.values[self.args[u][k]] for k in self.regimes[u])
                fields[u] = regimes.Regimes(
                    c,
                    *box,
                    values,
                    tuple(self.regimes[u]),
                    flags,
                    u in self.positive,
                    self.local[u],
                    self.sparse(u),
                )
            elif self.sparse(u) is not None:
                fields[u] = smolyak.Smolyak(
                    c, *box, flags, u in self.positive, self.local[u], self.sparse(u)
                )
            else:
                fields[u] = cheb.Chebyshev(c, *box, flags, u in self.positive, self.local[u])
        fields.update({u: cheb.Chebyshev(c, jnp.zeros(0), jnp.zeros(0)) for u, c in scalar.items()})
        return fields

    def pieces_of(self, tree, lo) -> list[dict[str, cheb.Chebyshev]]:
        lo, hi = self.boxes(tree, lo)
        return [
            self.piece_fields(
                {u: c[p] for u, c in tree["coef"].items()}, tree["scalar"], lo[p], hi[p]
            )
            for p in range(self.pieces)
        ]

    def fields(self, theta) -> dict:
        """The solution's approximants: one expansion per unknown, or a `Piecewise` pair."""
        tree = self.unravel(theta)
        pieces = self.pieces_of(tree, self.lo)
        if self.pieces == 1:
            return pieces[0]
        s = self.boxes(tree, self.lo)[1][0, 0]
        return {
            u: Piecewise(pieces[0][u], pieces[1][u], s) if u in tree["coef"] else pieces[0][u]
            for u in self.args
        }

    def states_at(self, points, lo, hi) -> jax.Array:
        """Reference points of [−1, 1]^d in the states: onto the box [lo, hi] (`to_box`), then
        each simplex's coordinates from the cube onto the simplex."""
        return cube_to_simplices(cheb.to_box(points, lo, hi, self.maps), self.simplices)

    def cut(self, theta) -> float | None:
        return float(self.boxes(self.unravel(theta), self.lo)[1][0, 0]) if self.pieces > 1 else None

    # -- residuals ---------------------------------------------------------------------------
    def raw(self, fields, params, x) -> dict[str, jax.Array]:
        """Residuals by equation at points x; a complementarity gives (a, b) as its last axis."""
        return self.compiled.residuals(fields, params, x, complementarity=pair)

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
        x = self.states_at(points, lo, hi)
        interior = self.imposed(self.raw(fields, params, x), mode)
        boundary = {}
        for j, b in enumerate(self.problem.boundaries):
            xb = self.states_at(faces[b.name], lo, hi)
            r = self.compiled.boundary_residuals(fields, params, {b.name: xb}, only=b.name)[b.name]
            boundary[b.name] = jnp.where(owner[j], r, 0.0)
        return interior, boundary

    def _over_pieces(self, tree, params, plan: Plan, points, faces):
        lo, hi = self.boxes(tree, plan.lo)
        return jax.vmap(self._piece_rows, in_axes=(0, None, 0, 0, 0, 0, None, None, None))(
            tree["coef"],
            tree["scalar"],
            lo,
            hi,
            plan.mode,
            jnp.asarray(self.owner),
            params,
            jnp.asarray(points),
            {k: jnp.asarray(v) for k, v in faces.items()},
        )

    def residual(self, theta: jax.Array, params, plan: Plan) -> jax.Array:
        tree = self.unravel(theta)
        interior, boundary = self._over_pieces(tree, params, plan, self.reference, self.faces)
        n, nb = self.reference.shape[0], {k: v.shape[0] for k, v in self.faces.items()}
        rows = [jnp.sqrt(self.problem.weight(k) / n) * r for k, r in interior.items()]
        rows += [jnp.sqrt(self.problem.boundary_weight(k) / nb[k]) * r for k, r in boundary.items()]
        rows += edge_rows(self, tree)
        if self.pieces > 1:
            rows.append(junction(self, tree, plan.lo))
            rows.append(plan.pin[0] * (tree["tau"] - plan.pin[1]))
        return jnp.concatenate([jnp.ravel(r) for r in rows])

    @property
    def parts(self) -> tuple | None:
        """(linearise, costs) for Levenberg-Marquardt where the residual splits (`Split`)."""
        return (self.split.linearise, self.split.costs) if self.split else None

    def jacobian(self, theta: jax.Array, params, plan: Plan) -> jax.Array:
        """Forward mode in the coefficients (a system that splits has its own, `Split`); a
        central difference in τ (forward mode through the moving nodes would differentiate the
        whole system in the state once more)."""
        if self.pieces == 1:
            chunk = chunk_for(self.residual, theta, params, plan)
            return columns(lambda t: self.residual(t, params, plan), theta, chunk)
        c, tau = theta[:-1], theta[-1:]
        J = jax.jacfwd(lambda c: self.residual(jnp.concatenate([c, tau]), params, plan))(c)
        h = 1e-5
        column = (
            self.residual(theta.at[-1].add(h), params, plan)
            - self.residual(theta.at[-1].add(-h), params, plan)
        ) / (2 * h)
        return jnp.concatenate([J, column[:, None]], axis=1)

    def evaluate(self, theta, params):
        """On the fine grid of each piece: raw interior residuals (pieces, points[, 2]), the
        unknowns (pieces, points), the boundary residuals and the pieces' corners."""
        plan = self.plan({c: "min" for c in self.comps})
        if self.split:
            return self.split.evaluate(theta, params, plan)
        return self.evaluated(theta, params, plan)

    def _evaluate(self, theta, params, plan: Plan):
        tree = self.unravel(theta)
        lo, hi = self.boxes(tree, plan.lo)

        def piece(coef, lo, hi):
            fields = self.piece_fields(coef, tree["scalar"], lo, hi)
            x = self.states_at(jnp.asarray(self.fine), lo, hi)
            values = {
                u: jax.vmap(f)(x[:, jnp.asarray(self.args[u], int)]) for u, f in fields.items()
            }
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
        put = jax.device_put  # not jnp.asarray, which compiles a conversion of host arrays
        return Plan(put(mode), put(np.array([pin, tau])), put(self.lo))

    def tau(self, cut: float | None) -> float:
        t = 0.5 if cut is None else (cut - self.lo[0]) / (self.hi[0] - self.lo[0])
        return float(np.log(t / (1 - t)))
