"""Code generation: a `System` becomes pure JAX functions of (fields, params, points).

`fields` maps each unknown to a callable of the vector of its own states (an equinox module from
the neural solver, a Chebyshev expansion from the collocation solver). Parameters are inputs, so a
new parameter value needs no symbolic work, and `jax.vmap` over them works. Everything is written
for one point and vmapped over points. Derivatives of the unknowns come from nested forward-mode
JVPs: unit vectors for partials, the volatility vector of a shock for curvatures. A memoised walk of
each sympy tree evaluates every shared subexpression once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import sympy as sp

from . import ito
from .symbolic import LinearSolve, System

Fields = Mapping[str, Callable]
Params = Mapping[str, jax.Array]

FB_EPS = 1e-30


def fischer_burmeister(a, b):
    """a + b − sqrt(a² + b²): zero exactly when a ≥ 0, b ≥ 0 and a·b = 0."""
    return a + b - jnp.sqrt(a * a + b * b + FB_EPS)


def _directional(f: Callable, x: jax.Array, directions: tuple[jax.Array, ...]) -> jax.Array:
    """∂/∂d_1 … ∂/∂d_n f at x, by nested JVPs (no Jacobian or Hessian is formed)."""
    for v in reversed(directions):
        f = (lambda g, v: lambda y: jax.jvp(g, (y,), (v,))[1])(f, v)
    return f(x)


_UNARY = {sp.exp: jnp.exp, sp.log: jnp.log, sp.Abs: jnp.abs, sp.sin: jnp.sin, sp.cos: jnp.cos,
          sp.tanh: jnp.tanh}


class _Point:
    """Lazy, memoised evaluation of a system's symbols at one point (traced under jit/vmap)."""

    def __init__(self, system: System, steps, fields: Fields, params: Params, x: jax.Array):
        self.system, self.steps, self.fields, self.params, self.x = system, steps, fields, params, x
        self.memo: dict[sp.Basic, jax.Array] = {}
        self.index = {s: i for i, s in enumerate(system.states)}
        self.args = {u.name: jnp.array([self.index[a] for a in u.args], dtype=int)
                     for u in system.unknowns}

    def unknown(self, name: str) -> Callable:
        f, idx = self.fields[name], self.args[name]
        return lambda y: f(y[idx])

    def unit(self, state: str) -> jax.Array:
        return jnp.zeros_like(self.x).at[self.index[state]].set(1.0)

    def direction(self, shock: str) -> jax.Array:
        v = jnp.zeros_like(self.x)
        for state, sym in self.system.vols[shock].items():
            v = v.at[self.index[state]].set(self.symbol(sym))
        return v

    def symbol(self, s: sp.Symbol) -> jax.Array:
        if s in self.memo:
            return self.memo[s]
        atoms = self.system.atoms
        name = s.name
        if name in self.index:
            value = self.x[self.index[name]]
        elif name in self.params:
            value = jnp.asarray(self.params[name], dtype=self.x.dtype)
        elif s in atoms.meaning:
            m = atoms.meaning[s]
            dirs = tuple(self.unit(a) for a in m.alpha)
            if isinstance(m, ito.Curvature):
                v = self.direction(m.shock)
                dirs = dirs + (v, v)
            value = _directional(self.unknown(m.unknown), self.x, dirs)
        else:
            step = self.steps[s]
            if isinstance(step, LinearSolve):
                A = jnp.stack([jnp.stack([self.eval(a) for a in row])
                               for row in step.A.tolist()])
                b = jnp.stack([self.eval(v) for v in step.b])
                for sym, v in zip(step.symbols, jnp.linalg.solve(A, b)):
                    self.memo[sym] = v
                return self.memo[s]
            value = self.eval(step.expr)
        self.memo[s] = value
        return value

    def eval(self, e: sp.Basic) -> jax.Array:
        if e in self.memo:
            return self.memo[e]
        if e.is_Symbol:
            return self.symbol(e)
        if e.is_Number:
            return jnp.asarray(float(e), dtype=self.x.dtype)
        if isinstance(e, sp.Add):
            value = sum((self.eval(a) for a in e.args[1:]), self.eval(e.args[0]))
        elif isinstance(e, sp.Mul):
            num = [a for a in e.args if not (a.is_Pow and a.exp.is_Number and a.exp < 0)]
            den = [a.base ** -a.exp for a in e.args if a not in num]
            value = self._product(num)
            if den:
                value = value / self._product(den)
        elif isinstance(e, sp.Pow):
            value = self._power(e)
        elif isinstance(e, (sp.Min, sp.Max)):
            op = jnp.minimum if isinstance(e, sp.Min) else jnp.maximum
            vals = [self.eval(a) for a in e.args]
            value = vals[0]
            for v in vals[1:]:
                value = op(value, v)
        elif e.func in _UNARY:
            value = _UNARY[e.func](self.eval(e.args[0]))
        else:
            raise NotImplementedError(f"no JAX translation for {e.func}")
        self.memo[e] = value
        return value

    def _product(self, factors):
        value = self.eval(factors[0]) if factors else jnp.asarray(1.0, dtype=self.x.dtype)
        for f in factors[1:]:
            value = value * self.eval(f)
        return value

    def _power(self, e: sp.Pow):
        base, exp = e.base, e.exp
        if exp == sp.Rational(1, 2):
            return jnp.sqrt(self.eval(base))
        if exp.is_Integer and abs(int(exp)) <= 8:
            b = self.eval(base)
            value = jax.lax.integer_pow(b, abs(int(exp)))
            return 1.0 / value if exp < 0 else value
        if base == sp.E:
            return jnp.exp(self.eval(exp))
        return jnp.power(self.eval(base), self.eval(exp))


@dataclass(frozen=True)
class Compiled:
    """Pure JAX residual, loss and output functions of a model.

    Every function takes `fields` (unknown name -> callable of its states), `params` (name ->
    scalar) and points `x` of shape (n, len(states)).
    """

    system: System

    @property
    def model(self):
        return self.system.model

    @property
    def states(self) -> tuple[str, ...]:
        return self.system.states

    @property
    def unknowns(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.system.unknowns)

    @property
    def equations(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.system.residuals)

    @property
    def boundaries(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.system.boundaries)

    @property
    def params(self) -> dict[str, float]:
        return self.system.model.params

    def _steps(self):
        return self.system.step_of()

    def _map(self, fields: Fields, params: Params, x: jax.Array, per_point: Callable) -> dict:
        steps = self._steps()

        def one(xi):
            return per_point(_Point(self.system, steps, fields, params, xi))

        return jax.vmap(one)(jnp.atleast_2d(x))

    def complementarity_parts(self, fields: Fields, params: Params, x: jax.Array) -> dict:
        """For each complementarity equation, its (a, b) with a ≥ 0, b ≥ 0, a·b = 0."""
        comps = [r for r in self.system.residuals if r.is_complementarity]
        return self._map(fields, params, x,
                         lambda p: {r.name: (p.eval(r.a), p.eval(r.b)) for r in comps})

    def residuals(self, fields: Fields, params: Params, x: jax.Array,
                  complementarity: Callable = fischer_burmeister) -> dict[str, jax.Array]:
        """Interior residuals by equation; complementarity through `complementarity(a, b)`."""
        def per_point(p):
            return {r.name: complementarity(p.eval(r.a), p.eval(r.b)) if r.is_complementarity
                    else p.eval(r.expr) for r in self.system.residuals}
        return self._map(fields, params, x, per_point)

    def boundary_residuals(self, fields: Fields, params: Params, points: Mapping[str, jax.Array],
                           only: str | None = None) -> dict[str, jax.Array]:
        """Boundary residuals, each at its own points (the face coordinate is set here)."""
        out = {}
        for b in self.system.boundaries:
            if only is not None and b.name != only:
                continue
            i = self.states.index(b.state)
            xb = jnp.atleast_2d(points[b.name]).at[:, i].set(b.at)
            out[b.name] = self._map(fields, params, xb, lambda p, e=b.expr: p.eval(e))
        return out

    def loss(self, fields: Fields, params: Params, x: jax.Array,
             boundary_points: Mapping[str, jax.Array],
             weights: Mapping[str, float] | None = None) -> jax.Array:
        """Weighted mean squared residuals: interior equations plus boundary conditions."""
        weights = weights or {}
        total = 0.0
        for name, r in self.residuals(fields, params, x).items():
            total = total + weights.get(name, 1.0) * jnp.mean(r ** 2)
        for name, r in self.boundary_residuals(fields, params, boundary_points).items():
            total = total + weights.get(name, weights.get("boundary", 1.0)) * jnp.mean(r ** 2)
        return total

    def outputs(self, fields: Fields, params: Params, x: jax.Array) -> dict[str, jax.Array]:
        """Every unknown, definition and process term, and every residual, at the points."""
        def per_point(p):
            out = {u.name: p.symbol(self.system.atoms.partial(u.name)) for u in self.system.unknowns}
            out.update({name: p.symbol(sym) for name, sym in self.system.outputs.items()})
            for r in self.system.residuals:
                out[f"residual_{r.name}"] = (fischer_burmeister(p.eval(r.a), p.eval(r.b))
                                             if r.is_complementarity else p.eval(r.expr))
            return out
        return self._map(fields, params, x, per_point)


