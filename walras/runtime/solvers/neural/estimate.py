"""The neural solver's error estimate, Newton-Kantorovich style: the size of one Gauss-Newton
correction δθ = −J⁺r of the network weights on fresh points (twice as many rows as weights:
`ROWS_PER_WEIGHT`), mapped to the change of each unknown there and at many more points. J⁺r by
LSQR: on the Jacobian where it fits in `DENSE_BYTES`, else
on forward and reverse passes (J never formed), with one BLAS thread (brusan_log's estimate,
some 2,000 products with a 528 × 984 matrix: 0.3 s alone, 8 to 12 s with OpenBLAS's two
threads spinning beside another process)."""

from __future__ import annotations

import math
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from scipy.sparse.linalg import LinearOperator, lsqr
from threadpoolctl import threadpool_limits

from ... import cache, interrupt
from ...derived import changes, described
from .networks import SOFTNESS, exponential
from .polish import Polish
from .rows import Rows

CONDITION = 1e14  # LSQR stops where J's condition number would exceed this: its directions
# with singular values below 1e-14 of the largest are rounding (J by AD carries ~1e-16 of each
# product, more through the networks' layers)
POINTS_SEED = 31  # fresh points: neither the polish's (1, 2) nor the validation's
MEASURED = 2**14  # points where the correction's change of each unknown is measured: its
# largest can sit between the points it is fitted at (brusan_log: ψ's, next to the kink at η*,
# 1.4e-4 at those 256 points, 1.75e-4 at these, the error 1.6e-4)
ROWS_PER_WEIGHT = 2  # the correction is fitted at fresh points whose rows outnumber the weights
# twice over (at most MOST_POINTS): where the weights outnumber the rows, J⁺r is the correction of
# least norm, which meets the rows by a change of the unknowns far smaller than their error, in
# directions the equations barely see (three log agents, the polish accelerated: ω_a's estimate
# 9.1e-9 at the 256 points of the polish, 1.0e-7 at 1,024, its error 1.2e-7)
MOST_POINTS = 2048
DENSE_BYTES = 2**27  # the estimate's Jacobian is formed (by a reverse pass per point) up to 128
# MiB, four times the polish's limit: LSQR on the matrix takes a fraction of the time of LSQR
# on Jacobian-vector products, each a pass over every point
ON_FACES = 256  # of them also set on each face of the box: the points are drawn off the edges,
# where the largest change can sit (consumption_saving: V's 5.2e-4 next to the borrowing limit
# against 1.3e-4 inside; its error 6.1e-4)
HELD_SLOPE = 1e-3  # a bounded unknown within SOFTNESS · HELD_SLOPE of a bound is held there: the
# slope of its bound transform is below this, so a change of the weights barely moves it and its
# estimate understates (Bolton-Chen-Wang's payout boundary 6e-9 from its declared bound 1, the
# solution's 0.204: estimate 1.4e-3, error 3.9; with 4,000 steps 1e-6)
HELD_SHARE = 0.01  # ... at more than this share of the points where the changes are measured


def _jvp(residual, theta, params, v):
    return jax.jvp(lambda t: residual(t, params), (theta,), (v,))[1]


def _vjp(residual, theta, params, w):
    return jax.vjp(lambda t: residual(t, params), theta)[1](w)[0]


jvp_jit, vjp_jit = (jax.jit(f, static_argnums=(0,)) for f in (_jvp, _vjp))


def gauss_newton_step(residual, theta, params, jacobian=None, key: str | None = None) -> np.ndarray:
    """δθ minimising ‖r(θ) + J δθ‖ (of least norm), by LSQR run to its own tolerances (or
    scipy's 2 × weights iterations) on Jacobian-vector products, or on the matrix itself when
    `jacobian` gives it (each product a host matrix product, not a call into JAX). The norm of
    LSQR's iterate only grows, so a truncated run would understate the correction (three log
    agents: 400 iterations gave half the converged estimate, below the true error). The products
    are compiled once for each `residual` (θ and the parameters are arguments). No limit on J's
    condition short of rounding's (`CONDITION`): scipy's default, 1e8, stopped LSQR after 35 of
    the 205 iterations it needs on a disasters_economy solve whose Jacobian's singular values
    span 12 decades (the polish accelerated as tried in docs/neural.md), with a correction a
    tenth of the true error (3.0e-11 against 3.4e-10; run on, 3.5e-10). With `key` (naming
    `residual` and `jacobian` for good: `Rows.key`) the residual and the matrix are exported."""
    r = cache.compiled(residual, key and f"{key} residual")(theta, params)
    shape = (r.shape[0], theta.shape[0])
    if jacobian is not None:
        matrix = np.asarray(cache.compiled(jacobian, key and f"{key} jacobian")(theta, params))
        matvec, rmatvec = matrix.__matmul__, matrix.T.__matmul__
    else:  # the products exported too: a warm run neither traces nor lowers them
        jvp, vjp = (
            (
                cache.exported(partial(_jvp, residual), f"{key} jvp"),
                cache.exported(partial(_vjp, residual), f"{key} vjp"),
            )
            if key
            else (partial(jvp_jit, residual), partial(vjp_jit, residual))
        )
        theta = np.asarray(theta)

        def matvec(v):
            return np.asarray(jvp(theta, params, np.asarray(v, np.float64)))

        def rmatvec(w):
            return np.asarray(vjp(theta, params, np.asarray(w, np.float64)))

    op = LinearOperator(
        shape,
        matvec=_stoppable(matvec),
        rmatvec=_stoppable(rmatvec),
        dtype=np.float64,
    )
    with threadpool_limits(1, user_api="blas"):  # see `least_squares`: spinning BLAS threads
        return lsqr(op, -np.asarray(r), atol=1e-12, btol=1e-12, conlim=CONDITION)[0]


def _stoppable(product):
    """A product that first checks for Ctrl-C or SIGTERM (`interrupt.check`): LSQR's hundreds
    of products at fresh points took minutes on a three-state model, and a signal waited for
    them."""

    def checked(v):
        interrupt.check()
        return product(v)

    return checked


class Changes:
    """Each unknown's and each control's change under a change of the weights, max |δu| /
    max |u| over the points x (by default the points of `polish`; to first order: one forward
    pass), compiled once. A control (`control c`, the optimum of an HJB) is read from the
    unknowns' derivatives, so its change can be far larger than theirs: consumption_saving by
    the neural solver, c 5.4e-2 from the reference next to the borrowing limit while V is within
    6.1e-4."""

    def __init__(self, polish: Polish, rows: Rows, x: jax.Array | None = None):
        self.x, axes = polish.x if x is None else x, rows.args
        self.compiled = rows.compiled
        self.states = [s.name for s in rows.problem.states]
        self.box = rows.sampler.lo, rows.sampler.hi
        self.bounds = {  # the unknowns whose output transform is the bounds' soft clamp
            u.name: (u.lo, u.hi)
            for u in rows.problem.unknowns
            if (u.lo, u.hi) != (None, None)
            and not exponential([a in rows.cut for a in u.args], u.lo, u.hi)
        }
        controls = tuple(c.name for c in rows.compiled.model.controls)

        def jvp(t, v, params, x):
            def values(t):
                fields = polish.as_fields(t)
                out = {u: jax.vmap(fields[u])(x[:, axes[u]]) for u in fields}
                if controls:
                    defined = rows.compiled.outputs(fields, params, x, residuals=False)
                    out.update({c: defined[c] for c in controls})
                return out

            return jax.jvp(values, (t,), (v,))

        self.jvp = cache.compiled(jvp, polish.key and f"{polish.key} changes")

    def __call__(self, theta, step, params, jumps=None) -> dict[str, float]:
        """The changes; where `jumps` gives one for an unknown or control (absolute: `FaceJumps`),
        the larger of the two; infinite for an unknown its bounds hold (`held`)."""
        u, du = self.jvp(theta, step, params, self.x)
        jumps, held = jumps or {}, self._held(u, params)
        return {
            k: math.inf
            if k in held
            else _relative(np.asarray(u[k]), np.append(np.asarray(du[k]), jumps.get(k, 0.0)))
            for k in u
        }

    def not_finite(self, theta, step, params) -> dict[str, str]:
        """Where each unknown's or control's value or change is not finite (`where_not_finite`)."""
        u, du = self.jvp(theta, step, params, self.x)
        x, out = np.asarray(self.x), {}
        for k in u:
            finite = np.isfinite(np.asarray(u[k])) & np.isfinite(np.asarray(du[k]))
            bad = ~finite.reshape(len(x), -1).all(axis=1)
            if bad.any():
                out[k] = where_not_finite(k, bad, x, self.states, *self.box)
        return out

    def held(self, theta, params) -> dict[str, str]:
        """The unknowns their bounds hold, and where (`_held`)."""
        return self._held(self.jvp(theta, np.zeros_like(theta), params, self.x)[0], params)

    def _held(self, u, params) -> dict[str, str]:
        """Each bounded unknown that sits at a bound, within SOFTNESS · HELD_SLOPE of it, at more
        than HELD_SHARE of the points: there the equations would take it past the bound, and no
        change of the weights moves it, so a correction cannot measure its error. Not the
        variable of a complementarity, which its clamp holds where the bound binds."""
        clamps = self.compiled.clamps({k: float(np.asarray(v)) for k, v in params.items()})
        out = {}
        for name, (lo, hi) in self.bounds.items():
            if name in clamps:
                continue
            values = np.asarray(u[name])
            for bound, sign, which in ((lo, 1, "lower"), (hi, -1, "upper")):
                if bound is None:
                    continue
                share = np.mean(sign * (values - bound) <= SOFTNESS * HELD_SLOPE)
                if share > HELD_SHARE:
                    out[name] = f"its {which} bound {bound:g} at {share:.0%} of the points"
        return out


class FaceJumps:
    """Each control's jump at the faces whose condition clips it (a state constraint's): c as
    the face computes it − c by the interior's steps there, at points set on those faces. The
    solution's control is continuous up to the face, so the jumps are rows the solution meets:
    the correction is fitted to them too (`rows`), and the largest is an error of the solve
    there that one Gauss-Newton correction spread over every weight can miss (`__call__`;
    `Changes` takes it relative to c's largest size). consumption_saving by the neural solver,
    γ = 3: c 4.4e-2 from the reference at the borrowing limit, where c grows like √(a − a_min),
    and a correction of 4.1e-3 without them; c's jump there is the error. V's change under the
    correction fitted without the jumps was 1.6e-4 against an error of 1.5e-3; with them, 3.5e-3."""

    def __init__(self, polish: Polish, rows: Rows, faces: np.ndarray):
        self.faces = faces

        def gaps(t, params, faces):
            fields = polish.as_fields(t)
            return {
                c: face - inside
                for c, (face, inside) in rows.compiled.face_controls(fields, params, faces).items()
            }

        def jumps(t, params, faces):
            return {c: jnp.max(jnp.abs(g)) for c, g in gaps(t, params, faces).items()}

        self.gaps = gaps
        self.jumps = cache.compiled(jumps, polish.key and f"{polish.key} face jumps")

    def rows(self, t, params) -> jax.Array:
        """Every jump, one vector (rows of the correction's least-squares problem)."""
        return jnp.concatenate([g.ravel() for g in self.gaps(t, params, self.faces).values()])

    def __call__(self, theta, params) -> dict[str, np.ndarray]:
        return {c: np.asarray(j) for c, j in self.jumps(theta, params, self.faces).items()}


def where_not_finite(name: str, bad: np.ndarray, x: np.ndarray, states, lo, hi) -> str:
    """Where an estimate is not finite, as "theta's estimate is not finite at 12 of 4,096
    points, all at a = 0 (the lower edge)": the edges all the points `x[bad]` lie on, or else
    each state's range over them."""
    points, edges = x[bad], []
    for i, state in enumerate(states):
        for edge, which in ((lo[i], "lower"), (hi[i], "upper")):
            if np.all(points[:, i] == edge):
                edges.append(f"{state} = {edge:g} (the {which} edge)")
    ranges = (
        f"{s} in [{points[:, i].min():.3g}, {points[:, i].max():.3g}]" for i, s in enumerate(states)
    )
    where = f"all at {' and '.join(edges)}" if edges else f"where {', '.join(ranges)}"
    return f"{name}'s estimate is not finite at {bad.sum():,} of {bad.size:,} points, {where}"


def _relative(u: np.ndarray, du: np.ndarray) -> float:
    """max |δu| / max |u|; infinite where δu is not finite (a correction that could not be
    computed, from a Jacobian that is not, is no evidence: XLA's max of NaN gave −inf, which
    passed for a small estimate)."""
    if not np.all(np.isfinite(du)):
        return math.inf
    return float(np.max(np.abs(du)) / max(float(np.max(np.abs(u))), 1e-300))


class Estimator:
    """The estimate for one solve: the correction fitted at fresh points, its change of each
    unknown measured at `MEASURED` more (and those); its residual and products compiled once,
    its last answer kept (the polish's stopping rule asks it; the finish asks again)."""

    def __init__(self, rows: Rows, trainable, settings):
        weights = sum(
            leaf.size for leaf in jax.tree_util.tree_leaves(eqx.filter(trainable, eqx.is_array))
        )
        points = math.ceil(ROWS_PER_WEIGHT * weights / len(rows.problem.equations))
        points = max(settings.polish_points, min(points, MOST_POINTS))
        self.polish = Polish(rows, trainable, settings, points_seed=POINTS_SEED, points=points)
        more = rows.sampler.fixed(MEASURED, settings.seed + POINTS_SEED + 2)
        faces = rows.sampler.faces(more[:ON_FACES])
        self.changes = Changes(self.polish, rows, np.concatenate([self.polish.x, more, faces]))
        self.inside = np.concatenate([self.polish.x, more])
        self.described = described(rows.compiled)

        def outputs(t, v, params, x):  # the outputs and their change along v, to first order
            def at(t):
                return rows.compiled.outputs(self.polish.as_fields(t), params, x, residuals=False)

            return jax.jvp(at, (t,), (v,))

        key = self.polish.key and f"{self.polish.key} output changes"
        self.outputs = cache.compiled(outputs, key)
        clipping = rows.compiled.clipping
        self.jumps = FaceJumps(self.polish, rows, more[:ON_FACES]) if clipping else None
        self.last = None

    def __call__(self, theta, params) -> dict[str, float]:
        key = (np.asarray(theta).tobytes(), sorted((k, float(v)) for k, v in params.items()))
        if self.last is None or self.last[0] != key:
            p, jumps = self.polish, self.jumps
            residual, jacobian, name = p.residual, None, p.key
            if p.dense(theta.shape[0], DENSE_BYTES):
                jacobian = p.jacobian
            if jumps is not None:  # the faces' jumps are rows too: the solution has none

                def residual(t, params):
                    return jnp.concatenate([p.residual(t, params), jumps.rows(t, params)])

                if jacobian is not None:

                    def jacobian(t, params):
                        face = jax.jacrev(jumps.rows)(t, params)
                        return jnp.concatenate([p.jacobian(t, params), face])

                name = p.key and f"{p.key} with face jumps"
            step = gauss_newton_step(residual, theta, params, jacobian, name)
            found = jumps(theta, params) if jumps else None
            self.last = key, self.changes(theta, step, params, found), step, found
        return self.last[1]

    def of(self, trainable, params) -> dict[str, float]:
        return self(self._theta(trainable), params)

    def not_finite(self, trainable, params) -> dict[str, str]:
        """Where the estimate of each unknown or control that is not finite arises: the points
        of its value or change (`Changes.not_finite`), or its jump at the clipped faces."""
        theta = self._theta(trainable)
        self(theta, params)
        _, _, step, found = self.last
        out = {
            c: f"{c}'s jump at the faces its state constraint clips is not finite"
            for c, jump in (found or {}).items()
            if not np.isfinite(jump)
        }
        return out | self.changes.not_finite(theta, step, params)

    def derived(self, trainable, params) -> dict[str, float]:
        """Each described definition's change under the correction, to first order as the
        unknowns' (`derived.changes`), at the fresh points off the faces."""
        if not self.described:
            return {}
        theta = self._theta(trainable)
        self(theta, params)
        return changes(self.described, *self.outputs(theta, self.last[2], params, self.inside))

    def held(self, trainable, params) -> dict[str, str]:
        """The unknowns their bounds hold at fresh points (`Changes.held`)."""
        return self.changes.held(self._theta(trainable), params)

    def _theta(self, trainable):
        return self.polish.flat.ravel(eqx.partition(trainable, self.polish.spec)[0])


def error_estimates(rows: Rows, trainable, settings, params) -> dict[str, float]:
    """For each unknown, max |δu| / max |u| over fresh points, δu the change of the unknown
    under one Gauss-Newton correction of every weight fitted at some of them."""
    return Estimator(rows, trainable, settings).of(trainable, params)


class Stop:
    """The polish's stopping rule: the sum of squared rows is below `tol`, the step just taken
    moved no unknown by more than `tol_error` at the polish's points, and then the estimate at
    fresh points is within `tol_error`. After a refusal by the estimate it is asked again only
    once the step has halved."""

    def __init__(self, estimator: Estimator, changes: Changes, params, settings):
        self.estimator, self.changes, self.params = estimator, changes, params
        self.tol, self.tol_error, self.gate = settings.tol, settings.tol_error, settings.tol_error

    def __call__(self, theta, step, cost: float) -> bool:
        if 2 * cost > self.tol:
            return False
        moved = max(self.changes(theta, step, self.params).values())
        if moved > self.gate:
            return False
        self.gate = moved / 2
        try:
            return max(self.estimator(theta, self.params).values()) <= self.tol_error
        except interrupt.Interrupted:  # the polish stops at its next check of the flag
            return False
