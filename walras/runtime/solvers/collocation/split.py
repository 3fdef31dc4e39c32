"""A system's rows in two parts: its series at its points, and the model's equations there
(`local_rows`).

The local series are linear in the coefficients, s = B θ_u with B = `jacobian.local_matrix` at
them, so `Split` computes B at each piece's points (one small compiled program per degree), and
the rest on the host in NumPy: the local series at the points, the model's rows and partials
(`LocalRows`, block by block), the residual vector, its Jacobian Σ_k diag(∂r/∂s^(k)) B^(k) (in
the cut τ between two pieces, which moves their points, a central difference), the costs of
trial steps and the evaluation on the fine grid. A raise of the degree, the error estimate's
higher degree and every cut compile B only, not the model's equations again (three log agents:
the Newton step's program was 13.8 s of XLA at each degree)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ... import cache
from .jacobian import local_matrix, plain
from .local_rows import LocalRows, Step, blocked
from .side_conditions import edge_rows, junction

if TYPE_CHECKING:
    from .problem import System


class Split:
    """A system's residual, linearisation, trial costs and evaluation from the matrices of its
    local series at each piece's points and the model's `LocalRows`."""

    def __init__(self, system: System):
        self.system, self.model = system, LocalRows.of(system)
        self.flags = self.model.flags(system.positive)
        name = lambda what: system.key and f"{system.key} split {what}"  # noqa: E731
        self._states = cache.compiled(self._states_at, name("states"))
        self._matrices = cache.compiled(self._local_matrices, name("matrices"))
        index = system.unravel(np.arange(system.size, dtype=float))
        scalar = {u: np.asarray(c, int).ravel() for u, c in index["scalar"].items()}
        self.where = [  # per piece: unknown -> its coefficients' places in θ
            {u: np.asarray(c[p], int).ravel() for u, c in index["coef"].items()} | scalar
            for p in range(system.pieces)
        ]
        self.tau = int(index["tau"]) if system.pieces > 1 else None
        self.expansion = {u: " ".join(map(str, system.args[u])) for u in system.args}
        self.n = system.reference.shape[0]
        self.weights = {
            k: np.sqrt(system.problem.weight(k) / self.n) for k in system.compiled.equations
        }
        for k, face in system.faces.items():
            self.weights[k] = np.sqrt(system.problem.boundary_weight(k) / face.shape[0])
        self.owner = {b.name: system.owner[:, j] for j, b in enumerate(system.problem.boundaries)}
        # the edge rows are linear in the coefficients (a derivative of the series at an end)
        self.edges = np.zeros((0, system.size))
        if system.edge_terms or system.root_terms:  # (where `edge_rows` has rows)
            matrix = cache.compiled(jax.jacfwd(self._edge_rows), name("edges"))
            self.edges = np.asarray(matrix(np.zeros(system.size)))
        if system.pieces > 1:
            self._junction = cache.compiled(
                jax.vmap(self._junction_rows, (0, None)), name("junction")
            )
            self._junction_jacobian = cache.compiled(
                jax.jacfwd(self._junction_rows), name("junction jacobian")
            )
        self.near = None  # (the pieces' boxes, their points and matrices): `at`

    def _edge_rows(self, theta):
        rows = edge_rows(self.system, self.system.unravel(theta))
        return jnp.concatenate([jnp.ravel(e) for e in rows])

    def _junction_rows(self, theta, lo):
        return junction(self.system, self.system.unravel(theta), lo)

    # -- per system: points and the matrices of the local series there -----------------------
    def _states_at(self, lo, hi, points):
        return self.system.states_at(points, lo, hi)

    def _local_matrices(self, lo, hi, x) -> dict:
        """For each expansion, (points, K, coefficients): the local series at the points x as a
        linear map of its coefficients, on the piece [lo, hi]."""
        s = self.system
        tree = s.unravel(jnp.zeros(s.size))
        fields = s.piece_fields({u: c[0] for u, c in tree["coef"].items()}, tree["scalar"], lo, hi)
        args = self.model.args
        out = {}
        for u, f in fields.items():
            if self.expansion[u] not in out:
                out[self.expansion[u]] = local_matrix(plain(f), f.coef, x[:, args[u]])
        return out

    def _points(self, lo, hi, points, face=None) -> np.ndarray:
        """Reference points of [−1, 1]^d in the states of the piece [lo, hi] (on a boundary's
        face, its coordinate set)."""
        x = np.array(self._states(lo, hi, points))
        if face is not None:
            b = next(b for b in self.system.problem.boundaries if b.name == face)
            x[:, self.system.compiled.states.index(b.state)] = b.at
        return x

    def _blocks(self, lo, hi, x):
        """`_local_matrices` at any number of points, a block of the reference's size at a time
        (the last padded with the first point)."""
        n, m = self.n, x.shape[0]
        size = -(-m // n) * n
        padded = np.concatenate([x, np.repeat(x[:1], size - m, axis=0)])
        for i in range(0, size, n):
            block = self._matrices(lo, hi, padded[i : i + n])
            yield {k: np.asarray(v)[: m - i] for k, v in block.items()}

    def at(self, theta, lo) -> list[dict]:
        """Per piece, the reference points and each owned boundary's, with the matrices there
        ({None: interior, face: ...} of (points, matrices)); kept for the latest boxes."""
        s = self.system
        los, his = s.boxes(s.unravel(np.asarray(theta)), np.asarray(lo))
        key = (los.tobytes(), his.tobytes())
        if self.near is None or self.near[0] != key:
            concat = lambda *p: np.concatenate(p)  # noqa: E731
            found = []
            for p, (a, b) in enumerate(zip(los, his)):
                points = {None: self._points(a, b, s.reference)}
                points |= {
                    k: self._points(a, b, v, k) for k, v in s.faces.items() if self.owner[k][p]
                }
                found.append(
                    {
                        k: (x, jax.tree.map(concat, *self._blocks(a, b, x)))
                        for k, x in points.items()
                    }
                )
            self.near = key, found
        return self.near[1]

    def local(self, theta, matrices, piece: int = 0) -> dict:
        """Each unknown's local series at the points, (points, K), on a piece."""
        theta = np.asarray(theta)
        return {
            u: np.einsum("pkc,c->pk", matrices[self.expansion[u]], theta[w])
            for u, w in self.where[piece].items()
        }

    # -- rows ------------------------------------------------------------------------------
    def _rows(self, thetas, params, plan, linear: bool = False, step: Step | None = None):
        """The weighted interior and boundary rows at each θ of `thetas`, by piece: per piece
        {name: (θ, points)} (a boundary on a piece that does not own it: none), and with
        `linear` (one θ) {name: its Jacobian in θ, τ's column aside}; with `step`, the rows of
        an implicit step in pseudo-time from its θ_old."""
        mode = np.asarray(plan.mode)
        model = self.model if step is None else step.model
        nears = [self.at(t, plan.lo) for t in thetas]
        rows, jacobians = [], {}
        for p in range(self.system.pieces):
            found = {}
            for k in nears[0][p]:
                if k is None:
                    fn, extra = (model.linear if linear else model.rows), (mode[p], self.flags)
                else:
                    fn = model.face_linear[k] if linear else model.face[k]
                    extra = (self.flags,)
                local = [self.local(t, near[p][k][1], p) for t, near in zip(thetas, nears)]
                local = jax.tree.map(lambda *a: np.concatenate(a), *local)
                x = np.concatenate([near[p][k][0] for near in nears])
                if step is not None:
                    old = [self.local(step.old, near[p][k][1], p) for near in nears]
                    old = jax.tree.map(lambda *a: np.concatenate(a), *old)
                    lifted, x = step.series(local, old), np.pad(x, ((0, 0), (0, 1)))
                out = blocked(fn, local if step is None else lifted, x, params, *extra)
                value, partials = out if linear else (out, None)
                for name, r in value.items() if k is None else [(k, value)]:
                    found[name] = self.weights[name] * np.reshape(r, (len(thetas), -1))
                if linear:
                    matrices = nears[0][p][k][1]
                    for name, by_unknown in partials.items() if k is None else [(k, partials)]:
                        if step is not None:
                            by_unknown = step.partials(by_unknown, local, old)
                        jacobians[name, p] = self.weights[name] * self._jacobian(
                            by_unknown, matrices, p
                        )
            rows.append(found)
        return rows, jacobians

    def _jacobian(self, partials: dict, matrices: dict, piece: int) -> np.ndarray:
        """Rows' Jacobian: the partials in each unknown's local series times that series'
        matrix in its coefficients."""
        first = next(iter(partials.values()))
        J = np.zeros((first.shape[0], self.system.size))
        for u, p in partials.items():
            J[:, self.where[piece][u]] += np.einsum("pk,pkc->pc", p, matrices[self.expansion[u]])
        return J

    def _names(self, rows) -> tuple[list[str], list[str]]:
        faces = sorted(self.owner)
        return sorted(k for k in rows[0] if k not in self.owner), faces

    def _vectors(self, thetas, params, plan, rows=None, step: Step | None = None) -> np.ndarray:
        """The residual vectors at `thetas` (θ, rows) as `System.residual` orders them: interior
        rows by name and piece, boundary rows by name and piece (zero on a piece that does not
        own the boundary), edge rows, and between two pieces their junction and the pin of the
        cut."""
        thetas = np.asarray(thetas)
        rows = rows or self._rows(thetas, params, plan, step=step)[0]
        interior, faces = self._names(rows)
        nb = {k: self.system.faces[k].shape[0] for k in faces}
        zero = lambda k: np.zeros((len(thetas), nb[k]))  # noqa: E731
        parts = [np.concatenate([found[k] for found in rows], axis=1) for k in interior]
        parts += [np.concatenate([found.get(k, zero(k)) for found in rows], axis=1) for k in faces]
        parts.append(thetas @ self.edges.T)
        if self.tau is not None:
            pin = np.asarray(plan.pin)
            parts.append(np.asarray(self._junction(thetas, plan.lo)))
            parts.append(pin[0] * (thetas[:, self.tau : self.tau + 1] - pin[1]))
        return np.concatenate(parts, axis=1)

    # -- what the solver calls ---------------------------------------------------------------
    def residual(self, theta, params, plan, step: Step | None = None) -> np.ndarray:
        """The residual vector at θ (`System.residual`; with `step`, the implicit step's)."""
        return self._vectors(np.asarray(theta)[None], params, plan, step=step)[0]

    def linearise(self, theta, params, plan, step: Step | None = None):
        """The residual vector, its Jacobian and its squared Frobenius norm at θ."""
        theta = np.asarray(theta)
        rows, jacobians = self._rows(theta[None], params, plan, linear=True, step=step)
        interior, faces = self._names(rows)
        size, pieces = self.system.size, self.system.pieces
        blocks = [jacobians[k, p] for k in interior for p in range(pieces)]
        for k in faces:
            nb = self.system.faces[k].shape[0]
            blocks += [jacobians.get((k, p), np.zeros((nb, size))) for p in range(pieces)]
        blocks.append(self.edges)
        if self.tau is not None:
            blocks.append(np.asarray(self._junction_jacobian(theta, plan.lo)))
            blocks.append(np.zeros((1, size)))
        J = np.concatenate(blocks)
        r = self._vectors(theta[None], params, plan, rows, step)[0]
        if self.tau is not None:  # the cut moves the points: a central difference, as `System`
            h = 1e-5
            moved = theta[None].repeat(2, axis=0)
            moved[:, self.tau] += [h, -h]
            ahead, behind = self._vectors(moved, params, plan, step=step)
            J[:, self.tau] = (ahead - behind) / (2 * h)
        return r, J, float(np.sum(J * J))

    def costs(self, theta, steps, params, plan, step: Step | None = None):
        """½‖r(θ + step)‖² for each step: the model's rows at every trial's points in blocks."""
        r = self._vectors(np.asarray(theta)[None] + np.asarray(steps), params, plan, step=step)
        return 0.5 * np.sum(r * r, axis=-1)

    def evaluate(self, theta, params, plan):
        """`System._evaluate`'s results: raw interior rows, the unknowns and the boundary rows
        on the fine grid of each piece (zero on a piece that does not own a boundary), and the
        pieces' corners. The series' matrices there are formed a block at a time and not
        kept."""
        s, theta = self.system, np.asarray(theta)
        los, his = s.boxes(s.unravel(theta), np.asarray(plan.lo))
        raw, values, boundary = [], [], []
        for p, (a, b) in enumerate(zip(los, his)):

            def local(x, a=a, b=b, p=p):
                parts = [self.local(theta, m, p) for m in self._blocks(a, b, x)]
                return jax.tree.map(lambda *q: np.concatenate(q), *parts)

            x = self._points(a, b, s.fine)
            at = local(x)
            raw.append(blocked(self.model.raw, at, x, params, self.flags))
            positive = s.positive
            values.append({u: np.exp(v[:, 0]) if u in positive else v[:, 0] for u, v in at.items()})
            found = {}
            for k, fn in self.model.face.items():
                xb = self._points(a, b, s.fine_faces[k], k)
                found[k] = (
                    blocked(fn, local(xb), xb, params, self.flags)
                    if self.owner[k][p]
                    else np.zeros(len(xb))
                )
            boundary.append(found)
        stack = lambda trees: jax.tree.map(lambda *q: np.stack(q), *trees)  # noqa: E731
        return stack(raw), stack(values), stack(boundary), los, his
