"""Code generation: a `System` becomes pure JAX functions of (fields, params, points).

`fields` maps each unknown to a callable of the vector of its own states (an equinox module from
the neural solver, a Chebyshev expansion from the collocation solver). Parameters are inputs, so a
new parameter value needs no symbolic work, and `jax.vmap` over them works. Everything is written
for one point (`pointwise.Point`) and vmapped over points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from .. import precision  # noqa: F401  (float64 before any array is built)
from .outline import Outline

if TYPE_CHECKING:
    from .model import Model
    from .pointwise import Fields, Params
    from .system import System

__all__ = ["Compiled", "Deferred", "boundary_weight"]


def boundary_weight(weights: Mapping[str, float], name: str) -> float:
    """The loss weight of boundary condition `name`: its own, else the `boundary` weight, else 1."""
    return weights.get(name, weights.get("boundary", 1.0))


@dataclass(frozen=True)
class Compiled:
    """Pure JAX residual, loss and output functions of a model.

    Every function takes `fields` (unknown name -> callable of its states), `params` (name ->
    scalar) and points `x` of shape (n, len(states)).
    """

    system: System
    # names the model in the on-disk cache of exported functions (`runtime.cache`): a digest of
    # its canonical text and parameter values; None: nothing is exported
    key: str | None = field(default=None, compare=False)
    # what solvers derive from the model alone (their traced residual systems), by key, so that
    # repeated solves of one compiled model reuse it; it lives and dies with this object
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def model(self) -> Model:
        return self.system.model

    @property
    def outline(self) -> Outline:
        """What the solvers read of the derivation besides its expressions."""
        if "outline" not in self.memo:
            self.memo["outline"] = Outline.of(self.system)
        return self.memo["outline"]

    @property
    def states(self) -> tuple[str, ...]:
        return self.model.state_names

    @property
    def unknowns(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.model.unknowns)

    @property
    def equations(self) -> tuple[str, ...]:
        return self.outline.equations

    @property
    def boundaries(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.outline.boundaries)

    @property
    def params(self) -> dict[str, float]:
        return self.model.params

    def clamps(self, params: Mapping[str, float]) -> dict[str, tuple[float | None, float | None]]:
        """Unknown -> (floor, cap): the unknowns that complementarities clamp (`Outline.clamps`:
        nothing is derived in a warm run)."""
        return self.outline.clamps(params)

    def _map(
        self, fields: Fields, params: Params, x: jax.Array, per_point: Callable, steps=None
    ) -> dict:
        from .pointwise import Point, point_groups

        steps, groups = {**self.system.step_of(), **(steps or {})}, point_groups(self.system)

        def one(xi):
            return per_point(Point(self.system, steps, groups, fields, params, xi))

        return jax.vmap(one)(jnp.atleast_2d(x))

    def complementarity_parts(self, fields: Fields, params: Params, x: jax.Array) -> dict:
        """For each complementarity equation, its (a, b) with a ≥ 0, b ≥ 0, a·b = 0."""
        comps = [r for r in self.system.residuals if r.is_complementarity]
        return self._map(
            fields, params, x, lambda p: {r.name: (p.eval(r.a), p.eval(r.b)) for r in comps}
        )

    def residuals(
        self,
        fields: Fields,
        params: Params,
        x: jax.Array,
        complementarity: Callable | None = None,
    ) -> dict[str, jax.Array]:
        """Interior residuals by equation; complementarity through `complementarity(a, b)`
        (by default `pointwise.fischer_burmeister`)."""
        from .pointwise import fischer_burmeister

        complementarity = complementarity or fischer_burmeister

        def per_point(p):
            return {
                r.name: complementarity(p.eval(r.a), p.eval(r.b))
                if r.is_complementarity
                else p.eval(r.expr)
                for r in self.system.residuals
            }

        return self._map(fields, params, x, per_point)

    def boundary_residuals(
        self,
        fields: Fields,
        params: Params,
        points: Mapping[str, jax.Array],
        only: str | None = None,
    ) -> dict[str, jax.Array]:
        """Boundary residuals, each at its own points (the face coordinate is set here)."""
        out = {}
        for b in self.system.boundaries:
            if only is not None and b.name != only:
                continue
            i = self.states.index(b.state)
            xb = jnp.atleast_2d(points[b.name]).at[:, i].set(b.at)
            out[b.name] = self._map(fields, params, xb, lambda p, e=b.expr: p.eval(e), b.steps)
        return out

    @property
    def clipping(self) -> list:
        """The boundaries whose steps clip the controls (state constraints), where the model has
        controls: the faces where a control can jump."""
        return [b for b in self.system.boundaries if b.steps] if self.model.controls else []

    def face_controls(
        self, fields: Fields, params: Params, x: jax.Array
    ) -> dict[str, tuple[jax.Array, jax.Array]]:
        """Each control on every face whose condition clips it (a state constraint), at the
        points `x` set on that face: (its value as the face computes it, as the interior does).
        In the solution they agree: the control is continuous up to the face."""
        controls = {c.name: self.system.outputs[c.name] for c in self.model.controls}

        def per_point(p):
            return {c: p.symbol(s) for c, s in controls.items()}

        pairs = []
        for b in self.clipping:
            xb = jnp.atleast_2d(x).at[:, self.states.index(b.state)].set(b.at)
            pairs.append(
                (
                    self._map(fields, params, xb, per_point, b.steps),
                    self._map(fields, params, xb, per_point),
                )
            )
        return {
            c: tuple(jnp.concatenate([pair[k][c] for pair in pairs]) for k in (0, 1))
            for c in controls
            if pairs
        }

    def loss(
        self,
        fields: Fields,
        params: Params,
        x: jax.Array,
        boundary_points: Mapping[str, jax.Array],
        weights: Mapping[str, float] | None = None,
    ) -> jax.Array:
        """Weighted mean squared residuals: interior equations plus boundary conditions."""
        weights = weights or {}
        total = 0.0
        for name, r in self.residuals(fields, params, x).items():
            total = total + weights.get(name, 1.0) * jnp.mean(r**2)
        for name, r in self.boundary_residuals(fields, params, boundary_points).items():
            total = total + boundary_weight(weights, name) * jnp.mean(r**2)
        return total

    def outputs(
        self, fields: Fields, params: Params, x: jax.Array, residuals: bool = True
    ) -> dict[str, jax.Array]:
        """Every unknown, definition and process term, and (with `residuals`) every residual,
        at the points."""
        from .pointwise import fischer_burmeister

        def per_point(p):
            out = {
                u.name: p.symbol(self.system.atoms.partial(u.name)) for u in self.system.unknowns
            }
            out.update({name: p.symbol(sym) for name, sym in self.system.outputs.items()})
            for r in self.system.residuals if residuals else ():
                out[f"residual_{r.name}"] = (
                    fischer_burmeister(p.eval(r.a), p.eval(r.b))
                    if r.is_complementarity
                    else p.eval(r.expr)
                )
            return out

        return self._map(fields, params, x, per_point)

    def dynamics(
        self, fields: Fields, params: Params, x: jax.Array, steps=None
    ) -> tuple[jax.Array, jax.Array]:
        """The law of motion at the points: the drift of each state, shape (n, states), and its
        volatility per shock, shape (n, states, shocks); zero where a process omits a term.
        `steps` replace the system's (a state constraint's face: `BoundaryResidual.steps`)."""

        def per_point(p):
            vols = [p.direction(k) for k in self.model.shocks]
            return p.direction(None), jnp.stack(vols, axis=-1) if vols else jnp.zeros(
                (len(self.states), 0)
            )

        return self._map(fields, params, x, per_point, steps)

    def arrivals(self, fields: Fields, params: Params, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The Poisson shocks at the points: their rates, shape (n, poisson shocks), and the jump
        of each state at an arrival, shape (n, states, poisson shocks); zero where a process
        has no jump term."""
        from .system import rate_symbol

        shocks = tuple(self.model.rates)
        if not shocks:
            return jnp.zeros((len(x), 0)), jnp.zeros((len(x), len(self.states), 0))

        def per_point(p):
            zero = jnp.zeros((), p.x.dtype)
            rates = jnp.stack([p.symbol(rate_symbol(k)) for k in shocks])
            sizes = self.system.jumps
            moves = [
                jnp.stack([p.symbol(sizes[k][s]) if s in sizes[k] else zero for s in self.states])
                for k in shocks
            ]
            return rates, jnp.stack(moves, axis=-1)

        return self._map(fields, params, x, per_point)


class Deferred(Compiled):
    """A `Compiled` read back from the cache folder: its checked model and `Outline` are at hand,
    its `System` is derived (sympy) only when first asked for, that is when a function that is
    not exported has to be traced (`runtime.cache`). `derive` gives the same `System` a cold run
    derived: the cache keys both by the model's text, its parameter values and the versions."""

    def __init__(self, model: Model, outline: Outline, derive: Callable[[], System], key: str):
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "memo", {"outline": outline})
        object.__setattr__(self, "_checked", model)
        object.__setattr__(self, "_derive", derive)

    @cached_property
    def system(self) -> System:
        return self._derive()

    @property
    def model(self) -> Model:
        return self._checked
