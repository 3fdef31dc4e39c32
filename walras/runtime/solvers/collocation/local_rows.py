"""A system's rows in two parts: its series at its points, and the model's equations there.

A row of a system that `jacobian.applies` to depends on the coefficients only through each
unknown's local series at its point: value, gradient and Hessian triangle (`jacobian.taylor`).
`LocalRows` holds the model's equations as functions of those local series at a block of BLOCK
points, compiled once per model (and per set of unknowns expanded as logarithms). The local
series are linear in the coefficients, s = B θ_u with B = `jacobian.local_matrix` at the points,
so `Split` computes B once per system and cut (one small compiled program per degree), and the
rest on the host in NumPy: the local series at the points, the model's rows and partials
(`LocalRows`, block by block), the residual vector, its Jacobian Σ_k diag(∂r/∂s^(k)) B^(k), the
costs of trial steps and the evaluation on the fine grid. A raise of the degree, the error
estimate's higher degree and every cut compile B only, not the model's equations again (three
log agents: the Newton step's program was 13.8 s of XLA at each degree)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ... import cache
from .jacobian import Taylor, local_matrix, plain

if TYPE_CHECKING:
    from .problem import System

BLOCK = 512  # points per call of the model's compiled rows (the last block padded)


class LocalRows:
    """The model's interior rows (imposed, raw) and boundary rows at a block of points, and the
    partials of the imposed and boundary rows in each unknown's local series, from the local
    series; one per model and set of positive unknowns (`of`)."""

    def __init__(self, system: System):
        self.system = system  # (its model-level parts only: `raw`, `imposed`, `compiled`)
        self.args = {u: np.asarray(a, int) for u, a in system.args.items()}
        self.positive = frozenset(system.positive)
        key = system.compiled.key
        key = key and f"{key} local rows {BLOCK} {' '.join(sorted(self.positive))}"
        name = lambda what: key and f"{key} {what}"  # noqa: E731
        self.raw = cache.compiled(jax.vmap(self._raw, (0, 0, None)), name("raw"))
        self.rows = cache.compiled(jax.vmap(self._rows, (0, 0, None, None)), name("rows"))
        self.linear = cache.compiled(jax.vmap(self._linear, (0, 0, None, None)), name("linear"))
        self.face, self.face_linear = {}, {}
        for b in system.problem.boundaries:
            face = functools.partial(self._face, b.name)
            self.face[b.name] = cache.compiled(jax.vmap(face, (0, 0, None)), name(f"face {b.name}"))
            self.face_linear[b.name] = cache.compiled(
                jax.vmap(_with_partials(face), (0, 0, None)), name(f"face {b.name} linear")
            )

    @staticmethod
    def of(system: System) -> LocalRows:
        """The one of the system's model and positive unknowns (in the model's `memo`)."""
        memo = system.compiled.memo
        key = ("collocation local rows", frozenset(system.positive))
        if key not in memo:
            memo[key] = LocalRows(system)
        return memo[key]

    def _near(self, local, x) -> dict:
        return {u: Taylor(s, x[self.args[u]], u in self.positive) for u, s in local.items()}

    def _raw(self, local, x, params) -> dict:
        """Raw interior rows at one point (a complementarity's (a, b) as its last axis)."""
        return {k: r[0] for k, r in self.system.raw(self._near(local, x), params, x[None]).items()}

    def _rows(self, local, x, params, mode) -> dict:
        """Interior rows at one point, each complementarity as `mode` imposes it."""
        return self.system.imposed(self._raw(local, x, params), mode)

    def _linear(self, local, x, params, mode):
        return _with_partials(self._rows)(local, x, params, mode)

    def _face(self, name: str, local, x, params):
        fields = self._near(local, x)
        r = self.system.compiled.boundary_residuals(fields, params, {name: x[None]}, only=name)
        return jnp.ravel(r[name])[0]


def _with_partials(f):
    """(f, its partials in the first argument) by forward mode."""

    def both(first, *rest):
        partials, value = jax.jacfwd(lambda a: (f(a, *rest),) * 2, has_aux=True)(first)
        return value, partials

    return both


def blocked(fn, local: dict, x, *rest):
    """`fn(local, x, *rest)` over the points in blocks of BLOCK (the last padded with the first
    point), concatenated on the host."""
    local = {u: np.asarray(v) for u, v in local.items()}
    x, n = np.asarray(x), np.shape(x)[0]
    size = -(-n // BLOCK) * BLOCK
    pad = lambda a: np.concatenate([a, np.repeat(a[:1], size - n, axis=0)])  # noqa: E731
    local, x = {u: pad(v) for u, v in local.items()}, pad(x)
    parts = [
        fn({u: v[i : i + BLOCK] for u, v in local.items()}, x[i : i + BLOCK], *rest)
        for i in range(0, size, BLOCK)
    ]
    return jax.tree.map(lambda *p: np.concatenate([np.asarray(a) for a in p])[:n], *parts)


class Split:
    """A system's residual, linearisation, trial costs and evaluation from the matrices of its
    local series at its points (per system and cut) and the model's `LocalRows`."""

    def __init__(self, system: System):
        self.system, self.model = system, LocalRows.of(system)
        name = lambda what: system.key and f"{system.key} split {what}"  # noqa: E731
        self._states = cache.compiled(self._states_at, name("states"))
        self._matrices = cache.compiled(self._local_matrices, name("matrices"))
        index = system.unravel(np.arange(system.size, dtype=float))
        self.where = {
            u: np.asarray(c, int).ravel() for u, c in (index["coef"] | index["scalar"]).items()
        }
        self.expansion = {u: " ".join(map(str, system.args[u])) for u in self.where}  # (its states)
        self.n = system.reference.shape[0]
        self.weights = {
            k: np.sqrt(system.problem.weight(k) / self.n) for k in system.compiled.equations
        }
        for k, face in system.faces.items():
            self.weights[k] = np.sqrt(system.problem.boundary_weight(k) / face.shape[0])
        # the edge rows are linear in the coefficients (a derivative of the series at an end)
        zero = np.zeros(system.size)
        self.edges = np.zeros((0, system.size))
        if system.edge_rows(system.unravel(zero)):
            matrix = cache.compiled(jax.jacfwd(self._edge_rows), name("edges"))
            self.edges = np.asarray(matrix(zero))
        self.near = None  # (the domain's lower corner, its points and matrices): `at`

    def _edge_rows(self, theta):
        return jnp.concatenate(
            [jnp.ravel(e) for e in self.system.edge_rows(self.system.unravel(theta))]
        )

    # -- per system: points and the matrices of the local series there -----------------------
    def _states_at(self, lo, points):
        s = self.system
        lo, hi = s.boxes(None, lo)
        return s.states_at(points, lo[0], hi[0])

    def _local_matrices(self, lo, x) -> dict:
        """For each expansion, (points, K, coefficients): the local series at the points x as a
        linear map of its coefficients."""
        s = self.system
        tree = s.unravel(jnp.zeros(s.size))
        lo, hi = s.boxes(tree, lo)
        fields = s.piece_fields(
            {u: c[0] for u, c in tree["coef"].items()}, tree["scalar"], lo[0], hi[0]
        )
        args = self.model.args
        out = {}
        for u, f in fields.items():
            if self.expansion[u] not in out:
                out[self.expansion[u]] = local_matrix(plain(f), f.coef, x[:, args[u]])
        return out

    def _points(self, lo, points, face=None) -> np.ndarray:
        """Reference points of [−1, 1]^d in the states (on a boundary's face, its coordinate
        set)."""
        x = np.array(self._states(lo, points))
        if face is not None:
            b = next(b for b in self.system.problem.boundaries if b.name == face)
            x[:, self.system.compiled.states.index(b.state)] = b.at
        return x

    def _blocks(self, lo, x):
        """`_local_matrices` at any number of points, a block of the reference's size at a time
        (the last padded with the first point)."""
        n, m = self.n, x.shape[0]
        size = -(-m // n) * n
        padded = np.concatenate([x, np.repeat(x[:1], size - m, axis=0)])
        for i in range(0, size, n):
            block = self._matrices(lo, padded[i : i + n])
            yield {k: np.asarray(v)[: m - i] for k, v in block.items()}

    def at(self, lo):
        """The reference points and each boundary's, with the matrices there, kept for the
        latest cut."""
        key = np.asarray(lo).tobytes()
        if self.near is None or self.near[0] != key:
            s = self.system
            found = {None: self._points(lo, s.reference)}
            found |= {k: self._points(lo, v, k) for k, v in s.faces.items()}
            concat = lambda *p: np.concatenate(p)  # noqa: E731
            self.near = (
                key,
                {k: (x, jax.tree.map(concat, *self._blocks(lo, x))) for k, x in found.items()},
            )
        return self.near[1]

    def local(self, theta, matrices) -> dict:
        """Each unknown's local series at the points, (..., points, K), for θ of shape (...,
        size)."""
        theta = np.asarray(theta)
        return {
            u: np.einsum("pkc,...c->...pk", matrices[self.expansion[u]], theta[..., w])
            for u, w in self.where.items()
        }

    # -- what the solver calls ---------------------------------------------------------------
    def _vector(self, theta, rows: dict, faces: dict) -> np.ndarray:
        """The residual vector(s) as `System.residual` orders it: interior rows by name, boundary
        rows by name, edge rows (a leading axis of trials, where θ has one)."""
        parts = [self.weights[k] * rows[k] for k in sorted(rows)]
        parts += [self.weights[k] * faces[k] for k in sorted(faces)]
        parts.append(np.asarray(theta) @ self.edges.T)
        return np.concatenate(parts, axis=-1)

    def _jacobian(self, partials: dict, matrices: dict) -> np.ndarray:
        """Rows' Jacobian: the partials in each unknown's local series times that series'
        matrix in its coefficients."""
        first = next(iter(partials.values()))
        J = np.zeros((first.shape[0], self.system.size))
        for u, p in partials.items():
            J[:, self.where[u]] += np.einsum("pk,pkc->pc", p, matrices[self.expansion[u]])
        return J

    def linearise(self, theta, params, plan):
        """The residual vector, its Jacobian and its squared Frobenius norm at θ."""
        near = self.at(plan.lo)
        (x, matrices), mode = near[None], np.asarray(plan.mode)[0]
        rows, partials = blocked(self.model.linear, self.local(theta, matrices), x, params, mode)
        blocks = [self.weights[k] * self._jacobian(partials[k], matrices) for k in sorted(rows)]
        face_rows = {}
        for k in sorted(self.model.face):
            xb, mb = near[k]
            face_rows[k], p = blocked(self.model.face_linear[k], self.local(theta, mb), xb, params)
            blocks.append(self.weights[k] * self._jacobian(p, mb))
        J = np.concatenate(blocks + [self.edges])
        return self._vector(theta, rows, face_rows), J, float(np.sum(J * J))

    def costs(self, theta, steps, params, plan):
        """½‖r(θ + step)‖² for each step: the model's rows at every trial's points in blocks."""
        near = self.at(plan.lo)
        trial = np.asarray(theta)[None] + np.asarray(steps)
        count = len(trial)

        def rows(fn, local, x, *rest):
            flat = {u: v.reshape((-1,) + v.shape[2:]) for u, v in local.items()}
            found = blocked(fn, flat, np.tile(x, (count, 1)), *rest)
            return jax.tree.map(lambda a: np.reshape(a, (count, -1) + np.shape(a)[1:]), found)

        x, matrices = near[None]
        interior = rows(
            self.model.rows, self.local(trial, matrices), x, params, np.asarray(plan.mode)[0]
        )
        face_rows = {
            k: rows(fn, self.local(trial, near[k][1]), near[k][0], params)
            for k, fn in self.model.face.items()
        }
        r = self._vector(trial, interior, face_rows)
        return 0.5 * np.sum(r * r, axis=-1)

    def evaluate(self, theta, params, plan):
        """`System._evaluate`'s results: raw interior rows, the unknowns and the boundary rows
        on the fine grid (a leading axis of one piece), and the piece's corners. The series'
        matrices there are formed a block at a time and not kept."""
        s, lo = self.system, plan.lo

        def local(x):
            parts = [self.local(theta, m) for m in self._blocks(lo, x)]
            return jax.tree.map(lambda *p: np.concatenate(p), *parts)

        x = self._points(lo, s.fine)
        at = local(x)
        raw = blocked(self.model.raw, at, x, params)
        positive = self.model.positive
        values = {u: np.exp(v[:, 0]) if u in positive else v[:, 0] for u, v in at.items()}
        boundary = {}
        for k, fn in self.model.face.items():
            xb = self._points(lo, s.fine_faces[k], k)
            boundary[k] = blocked(fn, local(xb), xb, params)
        one = lambda tree: jax.tree.map(lambda a: np.asarray(a)[None], tree)  # noqa: E731
        return one(raw), one(values), one(boundary), *s.boxes(None, np.asarray(lo))
