"""The rows a neural solve minimises, as functions of the fields and the parameters (so a
homotopy reuses every compiled function): the loss on a random batch, the residual rows at given
points, the power-law rows at cut edges, and the validation on fresh points.

A state whose range starts at 0 with no boundary condition there, and of which a positive unknown
depends (it may diverge there like a power of the state), is sampled and fed to the networks in
its logarithm down to the cut `edge`; positive unknowns of it are exponentials of their networks,
and at the cut each unknown that enters to second order is a power law (as in the collocation
solver)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ....compiler.fieldcalls import each
from ....settings import traced
from ... import cache
from ...devices import Devices, choose
from ..base import EdgePolicy, Problem
from .edge_power import constant_fields, edge_powers
from .fields import compose
from .indicial import POWER_LAW, edge_rows
from .sampling import Sampler

# every cuttable state on which a positive unknown depends is cut, at 1e-4 of its range unless
# the setting `edge` says otherwise (with an unknown that is regular at the edge, as in
# two_trees, the log coordinate and the scaled rows only cost accuracy)
EDGES = EdgePolicy(always=True, diverging_only=True)


class Rows:
    """What the optimisers minimise, for a `Problem` and the settings: the states cut at their
    zero edge (`cut`), the sampler, and the rows as functions of the fields and parameters.
    Points are drawn whole (the same for any number of devices), then sharded over `devices`."""

    def __init__(self, problem: Problem, settings, devices: Devices | None = None):
        compiled, states = problem.compiled, problem.states
        self.problem, self.compiled, self.settings = problem, compiled, settings
        self.devices = devices or choose()
        self.cut = cut = problem.cut_edges(settings.edge, EDGES)
        self.sampler = Sampler(
            [cut.get(s.name, s.lo) for s in states],
            [s.hi for s in states],
            settings.points,
            settings.sampling,
            settings.margin,
            settings.seed,
            log=tuple(s.name in cut for s in states),
            values=tuple(s.values for s in states),
            simplices=problem.domain.simplices,
        )
        self.range = np.array([(s.hi - s.lo) or 1.0 for s in states])
        # for training only, each equation's rows scaled by Π (state/range)^q over the cut states,
        # q the power at which that equation is singular at the cut (`edge_powers`)
        self.powers, point = {}, self.sampler.fixed(1, 0)[0]
        if self.sampler.any_log:
            powers = edge_powers(problem, settings, cut, np.asarray(self.sampler.log), point)
            names = [r.name for r in compiled.system.residuals]
            self.powers = dict(zip(names, powers))
        self.args = {u: np.asarray(axes, int) for u, axes in problem.axes.items()}
        # (unknown, position among its states, state index): a power law at that state's cut
        self.edge_terms = [
            (u.name, k, compiled.states.index(a))
            for u in problem.unknowns
            if u.name in problem.second_order
            for k, a in enumerate(u.args)
            if a in cut
        ]
        # each term's row c1·D log u + c2·D² log u (D = d/d log state): the power law's, or
        # with the setting edge_row = "indicial" from the indicial equation at the cut
        self.edge_coefficients = dict.fromkeys(self.edge_terms, POWER_LAW)
        if self.edge_terms and settings.edge_row == "indicial":
            params = {k: jnp.asarray(v, jnp.float64) for k, v in problem.params.items()}
            self.edge_coefficients = edge_rows(
                problem,
                constant_fields(problem, settings, cut),
                params,
                cut,
                point,
                powers,
                self.edge_terms,
            )
        if self.edge_terms:
            face = self.sampler.fixed(
                max(1, settings.boundary_points) if len(states) > 1 else 1, settings.seed + 3
            )
            self.edge_points = {i: face.copy() for _, _, i in self.edge_terms}
            for i, points in self.edge_points.items():
                points[:, i] = cut[compiled.states[i]]

    def key(self, what: str, held=None) -> str | None:
        """Names a function of these rows, `what`, in the cache of exported functions (`cache`), so
        a warm run neither traces nor compiles it. What the function holds besides its arguments
        follows from the model, its parameters (the edge powers do), the settings (networks,
        optimiser, points, cut) and `held`, a pytree it holds fixed (its structure, the bytes of
        its arrays, the values or names of its other leaves). None (not exported) on several
        devices, without a model key, or where `held` holds a function its name does not
        identify (`cache.held`)."""
        held = cache.held(held)
        if not self.compiled.key or self.devices.count > 1 or held is None:
            return None
        params = sorted(self.problem.params.items())
        settings = sorted(traced(self.settings).items())
        return f"{self.compiled.key} neural {what} {params} {settings} {held}"

    def batch(self, key):
        k1, k2 = jax.random.split(key)
        x = self.sampler.interior(k1)
        nb = self.settings.boundary_points
        names = self.compiled.boundaries
        xb = {
            b: self.sampler.interior(k, nb)
            for b, k in zip(names, jax.random.split(k2, max(1, len(names))))
        }
        return x, xb

    def loss(self, trainable, params, key):
        """The sum of squared rows on a random batch, sharded over the devices."""
        x, xb = self.devices.split(self.batch(key))
        fields = compose(self.problem, trainable)
        rows = [self.interior_rows(fields, params, x, x.shape[0]).ravel(), self.edge_rows(fields)]
        rows += [self.boundary_rows(fields, params, b, v, v.shape[0]) for b, v in xb.items()]
        return sum(jnp.sum(r**2) for r in rows)

    def residuals(self, fields, params, x) -> dict[str, jax.Array]:
        """Residuals by equation at the points x; with cut edges, each equation's scaled per
        point by Π (state/range)^q over the states cut at their edge, q its power there (for
        training only: the validation and the outputs are unscaled)."""
        res = self.compiled.residuals(fields, params, x)
        if not self.powers:
            return res
        share = jnp.where(self.sampler.log, x / self.range, 1.0)
        return {k: jnp.prod(share ** self.powers[k], -1) * r for k, r in res.items()}

    def interior_rows(self, fields, params, x, n: int) -> jax.Array:
        """(points, equations) scaled residuals times √(w/n): the polish minimises their squares."""
        res = self.residuals(fields, params, x)
        return jnp.stack([jnp.sqrt(self.problem.weight(k) / n) * r for k, r in res.items()], -1)

    def boundary_rows(self, fields, params, name: str, x, n: int) -> jax.Array:
        r = self.compiled.boundary_residuals(fields, params, {name: x}, only=name)[name]
        return jnp.sqrt(self.problem.boundary_weight(name) / n) * r

    def edge_rows(self, fields) -> jax.Array:
        """At each cut edge, c1·D z + c2·D² z for each unknown that enters to second order, z
        its network output (log u for a positive unknown), D the derivative in the log
        coordinate, (c1, c2) from the indicial equation (D² z = 0, any power law, where it
        says nothing), scaled by √(1/points)."""
        by_unknown: dict[str, list] = {}
        for u, k, i in self.edge_terms:
            by_unknown.setdefault(u, []).append((k, i))
        # unknowns of the same states and terms go through one call (`each`): the members of an
        # array's shared network then in one call vmapped over the member
        alike: dict[tuple, list[str]] = {}
        for u, terms in by_unknown.items():
            alike.setdefault((tuple(self.args[u]), tuple(terms)), []).append(u)
        rows = {}
        for (args, terms), unknowns in alike.items():
            ks = jnp.asarray([k for k, _ in terms])
            x = jnp.stack([self.edge_points[i][:, np.asarray(args)] for _, i in terms])
            values = each([fields[u] for u in unknowns], lambda f: _log_slopes(f, ks, x))
            for u, v in zip(unknowns, values):
                for (k, i), (slope, curvature) in zip(terms, v):
                    c1, c2 = self.edge_coefficients[(u, k, i)]
                    rows[u, k, i] = (c1 * slope + c2 * curvature) / np.sqrt(x.shape[1])
        return jnp.concatenate([jnp.zeros(0)] + [rows[t] for t in self.edge_terms])

    def validation(self, fields, params, seed: int) -> dict[str, float]:
        """Mean squared residual of each of the model's equations and boundary conditions,
        unscaled, on fresh points of the domain."""
        x = self.sampler.fixed(4 * self.settings.points, seed + 7919)
        xb = {
            b: self.sampler.fixed(self.settings.boundary_points, seed + 104729)
            for b in self.compiled.boundaries
        }
        arrays, static = eqx.partition(fields, eqx.is_array)

        def mean_squares(arrays, params, x, xb):
            fields = eqx.combine(arrays, static)
            x, xb = self.devices.split((x, xb))
            res = self.compiled.residuals(fields, params, x)
            res.update(self.compiled.boundary_residuals(fields, params, xb))
            return {k: jnp.mean(v**2) for k, v in res.items()}

        f = cache.compiled(mean_squares, self.key("validation", static))
        return {k: float(v) for k, v in f(arrays, params, x, xb).items()}


def _log_slopes(f, ks: jax.Array, x: jax.Array) -> jax.Array:
    """(terms, 2, points): D z and D² z of f's network output z at the points x[t] (terms,
    points, states), D the derivative in the logarithm of state ks[t]."""

    def one(k, xu):
        def g(s):
            return f.latent(xu.at[k].set(jnp.exp(s)))

        def dg(s):
            return jax.jvp(g, (s,), (jnp.ones_like(s),))[1]

        s = jnp.log(xu[k])
        return jnp.stack(jax.jvp(dg, (s,), (jnp.ones_like(s),)))

    return jax.vmap(lambda k, xs: jax.vmap(lambda xu: one(k, xu), out_axes=1)(xs))(ks, x)
