"""The Levenberg-Marquardt polish of a neural solve, on the residual vector at fixed points: a
dense Jacobian (built point by point, in chunks of points: `pointwise`) where it is small,
conjugate gradients on Jacobian-vector products where it is not."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ...progress import Progress
from ..flat import Flat
from ..least_squares import levenberg_marquardt
from . import matrix_free, pointwise
from .fields import compose
from .rows import Rows

DENSE_BYTES = 2**25  # a dense Jacobian beyond 32 MiB (rows × weights × 8): each step by CG on
# Jacobian-vector products (`matrix_free`) instead: the SVD of a step holds about three such
# matrices and costs rows × weights² (eleven log agents: 4,576 × 2,084, 76 MB, minutes a step)


class Polish:
    """Levenberg-Marquardt on the residual vector at fixed Sobol points, over every weight or
    only the offsets (the constant part of each network: a cheap start for Adam, whose steps are
    not accelerated: compiling the second derivative would cost more than its few iterations).
    Its residual and Jacobian take the parameters as an argument, so each homotopy step reuses
    them compiled."""

    def __init__(
        self,
        rows: Rows,
        fields,
        settings,
        only_offsets: bool = False,
        points_seed: int = 1,
        points: int | None = None,
    ):
        x = rows.sampler.fixed(points or settings.polish_points, settings.seed + points_seed)
        nb = max(1, settings.boundary_points)
        xb = {
            b: rows.sampler.fixed(nb, settings.seed + points_seed + 1)
            for b in rows.compiled.boundaries
        }
        self.x, self.accelerate = x, not only_offsets
        spec = jax.tree_util.tree_map(lambda leaf: eqx.is_array(leaf) and not only_offsets, fields)
        if only_offsets:
            spec = {k: eqx.tree_at(lambda f: f.offset, spec[k], True) for k in fields}
        self.spec = spec
        arrays, self.static = eqx.partition(fields, spec)
        self.flat = Flat(arrays)
        self.unravel = self.flat.unravel
        n = x.shape[0]

        def as_fields(theta):
            return compose(rows.problem, eqx.combine(self.unravel(theta), self.static))

        devices = rows.devices

        def residual(theta, params):
            """The rows, computed sharded over the devices by points, gathered whole."""
            f = as_fields(theta)
            xs, xbs = devices.split((x, xb))
            return devices.whole(
                jnp.concatenate(
                    [rows.interior_rows(f, params, xs, n).ravel()]
                    + [rows.boundary_rows(f, params, b, xbs[b], nb) for b in xbs]
                    + [rows.edge_rows(f)]
                )
            )

        def jacobian(theta, params):
            """A point's residuals depend on that point alone: one reverse pass per point
            (`pointwise`, in chunks of points) instead of one per row of the whole vector."""

            def interior(t, p, xi):
                return rows.interior_rows(as_fields(t), p, xi[None], n)[0]

            blocks = [pointwise.jacobian(interior, theta, params, x, devices.split)]
            for b in sorted(xb):  # the order of `residual`'s, a dict through `devices.split`

                def boundary(t, p, xi, b=b):
                    return rows.boundary_rows(as_fields(t), p, b, xi[None], nb)[0]

                blocks.append(pointwise.jacobian(boundary, theta, params, xb[b], devices.split))
            if rows.edge_terms:
                blocks.append(jax.jacrev(lambda t: rows.edge_rows(as_fields(t)))(theta))
            return devices.whole(jnp.concatenate(blocks))

        self.residual, self.jacobian, self.as_fields = residual, jacobian, as_fields
        self.key = rows.key(f"polish {points_seed} at {n} points", self.static)
        edge = sum(rows.edge_points[i].shape[0] for _, _, i in rows.edge_terms)
        self.size = n * len(rows.problem.equations) + nb * len(xb) + edge  # rows of the vector

    def dense(self, weights: int, limit: int | None = None) -> bool:
        """Whether the Jacobian over `weights` weights fits in `limit` bytes (`DENSE_BYTES`)."""
        return self.size * weights * 8 <= (DENSE_BYTES if limit is None else limit)

    def run(
        self,
        fields,
        params,
        iterations: int,
        progress: Progress | None = None,
        target: float | None = None,
        budget: int | None = None,
        done=None,
    ):
        """`iterations` steps from `fields` at `params` (fewer once the sum of squared rows is
        below `target`): the new fields, the history of that sum, whether Ctrl-C stopped it.
        Steps by CG (a Jacobian too large for `DENSE_BYTES`) stop also once `budget` CG
        iterations are spent, when the cost stalls, or when `done(θ, δ, cost)` holds
        (`matrix_free`)."""
        arrays, _ = eqx.partition(fields, self.spec)
        theta0 = self.flat.ravel(arrays)
        history = []

        def callback(it, cost):
            history.append(2 * cost)
            if progress is not None:
                progress.advance(1, 2 * cost)

        dense = self.dense(theta0.size)
        extra = (
            {"jacobian": self.jacobian, "gram": True, "accelerate": self.accelerate}
            if dense
            else {"budget": budget, "done": done, "accelerate": self.accelerate}
        )
        result = (levenberg_marquardt if dense else matrix_free.levenberg_marquardt)(
            self.residual,
            theta0,
            **extra,
            export=self.key,
            args=(params,),
            iterations=iterations,
            callback=callback,
            should_stop=lambda: target is not None and bool(history) and history[-1] <= target,
        )
        if progress is not None:
            progress.advance(iterations - len(history), history[-1] if history else float("nan"))
        return (
            eqx.combine(self.unravel(result.theta), eqx.partition(fields, self.spec)[1]),
            history,
            result.interrupted,
        )
