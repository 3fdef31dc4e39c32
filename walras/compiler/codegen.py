"""Code generation: a `System` becomes pure JAX functions of (fields, params, points).

`fields` maps each unknown to a callable of the vector of its own states (an equinox module from
the neural solver, a Chebyshev expansion from the collocation solver). Parameters are inputs, so a
new parameter value needs no symbolic work, and `jax.vmap` over them works. Everything is written
for one point and vmapped over points. First derivatives of the unknowns (partials, velocities
along a direction) come from each unknown's gradient, one reverse pass, not one pass per state;
curvatures along the volatility vector of a shock and higher partials from nested forward-mode
JVPs, never a Hessian. Atoms of one kind are computed together, and unknowns whose fields share a
structure (networks of one shape) in one call vmapped over their stacked parameters, so the traced
program does not grow with the number of atoms. A per-point linear cycle takes its matrix from one
JVP of its equations, vmapped over unit vectors. A memoised walk of each sympy tree evaluates every
shared subexpression once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from .. import precision  # noqa: F401  (float64, configured in one place)
from . import ito
from .builtins import sympy_heads
from .symbolic import LinearSolve, System, rate_symbol

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


@dataclass(frozen=True)
class _Group:
    """Derivative atoms evaluated together: partials ∂^α u of one order (`order` 0; `alphas` all
    of one length), or velocities (1) or curvatures (2) along the direction of `shock` (None: the
    drift). `members` are (atom, index in `alphas`, index in `unknowns`)."""

    unknowns: tuple[str, ...]
    alphas: tuple[tuple[str, ...], ...]
    order: int
    shock: str | None
    members: tuple[tuple[sp.Symbol, int, int], ...]


_ORDER = {ito.Partial: 0, ito.Velocity: 1, ito.Curvature: 2}


def _groups(system: System) -> dict[sp.Symbol, _Group]:
    """Atom -> its group."""
    kinds = defaultdict(list)
    for sym, m in system.atoms.meaning.items():
        if isinstance(m, ito.Jumped):  # evaluated one by one, at the jumped point (`_Point.jumped`)
            continue
        kinds[len(m.alpha), _ORDER[type(m)], getattr(m, "shock", None)].append((sym, m))
    order = [u.name for u in system.unknowns]
    out = {}
    for (_, k, shock), atoms in kinds.items():
        unknowns = tuple(u for u in order if any(m.unknown == u for _, m in atoms))
        alphas = tuple(dict.fromkeys(m.alpha for _, m in atoms))
        group = _Group(
            unknowns,
            alphas,
            k,
            shock,
            tuple((sym, alphas.index(m.alpha), unknowns.index(m.unknown)) for sym, m in atoms),
        )
        out.update({sym: group for sym, _ in atoms})
    return out


class _OnArgs(eqx.Module):
    """An unknown of some of the states, as a function of all of them."""

    field: Callable
    idx: tuple[int, ...] = eqx.field(static=True)

    def __call__(self, y):
        return self.field(y[np.asarray(self.idx, dtype=int)])


def _each(fields: list, fn: Callable) -> jax.Array:
    """jnp.stack([fn(f) for f in fields]); fields of one structure (networks of one shape) go
    through one call of fn, vmapped over their stacked parameters."""
    blocks: list[tuple[list[int], tuple]] = []
    for i, f in enumerate(fields):
        arrays, rest = eqx.partition(f, eqx.is_array)
        key = (
            jax.tree.structure(arrays),
            [(a.shape, a.dtype) for a in jax.tree.leaves(arrays)],
            rest,
        )
        same = [b for b in blocks if key[1] and b[1] == key]
        (same[0][0].append(i) if same else blocks.append(([i], key)))
    parts = []
    for members, _ in blocks:
        if len(members) == 1:
            parts.append(fn(fields[members[0]])[None])
            continue
        rest = eqx.partition(fields[members[0]], eqx.is_array)[1]
        arrays = jax.tree.map(
            lambda *a: jnp.stack(a), *[eqx.filter(fields[i], eqx.is_array) for i in members]
        )
        parts.append(jax.vmap(lambda p, rest=rest: fn(eqx.combine(p, rest)))(arrays))
    order = np.argsort([i for members, _ in blocks for i in members])
    return jnp.concatenate(parts)[order]


class _Point:
    """Lazy, memoised evaluation of a system's symbols at one point (traced under jit/vmap)."""

    def __init__(self, system: System, steps, groups, fields: Fields, params: Params, x: jax.Array):
        self.system, self.steps, self.groups = system, steps, groups
        self.fields, self.params, self.x = fields, params, x
        self.memo: dict = {}
        self.index = {s: i for i, s in enumerate(system.states)}
        self.args = {
            u.name: None if u.args == system.states else tuple(self.index[a] for a in u.args)
            for u in system.unknowns
        }

    def unknown(self, name: str) -> Callable:
        f, idx = self.fields[name], self.args[name]
        return f if idx is None else _OnArgs(f, idx)

    def direction(self, shock: str | None) -> jax.Array:
        """The volatility vector of `shock`, or the drift vector (None)."""
        terms = self.system.drifts if shock is None else self.system.vols[shock]
        zero = jnp.zeros((), self.x.dtype)
        return jnp.stack(
            [self.symbol(terms[s]) if s in terms else zero for s in self.system.states]
        )

    def after(self, shock: str) -> jax.Array:
        """The point an arrival of the Poisson shock `shock` leads to, held inside the domain: an
        unknown is extended past an edge by its value there."""
        key = ("after", shock)
        if key not in self.memo:
            sizes = self.system.jumps[shock]
            zero = jnp.zeros((), self.x.dtype)
            move = jnp.stack([self.symbol(sizes[s]) if s in sizes else zero for s in self.index])
            states = self.system.model.states
            lo, hi = np.array([s.lo for s in states]), np.array([s.hi for s in states])
            self.memo[key] = jnp.clip(self.x + move, lo, hi)
        return self.memo[key]

    def jumped(self, m: ito.Jumped) -> jax.Array:
        """∂^α u at the point after an arrival of `m.shock` (nested JVPs for α)."""
        f, y = self.unknown(m.unknown), self.after(m.shock)
        units = tuple(jnp.eye(len(self.index), dtype=self.x.dtype)[self.index[a]] for a in m.alpha)
        return _directional(f, y, units)

    def gradients(self, unknowns: tuple[str, ...]) -> jax.Array:
        """The gradients of `unknowns`, shape (unknowns, states)."""
        key = ("gradients", unknowns)
        if key not in self.memo:
            self.memo[key] = _each(
                [self.unknown(u) for u in unknowns], lambda f: jax.grad(f)(self.x)
            )
        return self.memo[key]

    def group(self, g: _Group):
        """Every atom of `g`, as values[unknown, alpha]."""
        picks = np.array([[self.index[a] for a in alpha] for alpha in g.alphas], dtype=int)
        picks = picks.reshape(len(g.alphas), -1)
        if g.order == 1:
            values = (self.gradients(g.unknowns) @ self.direction(g.shock))[:, None]
        elif g.order == 0 and picks.shape[1] == 1:
            values = self.gradients(g.unknowns)[:, picks[:, 0]]
        else:
            tail = (self.direction(g.shock),) * 2 if g.order == 2 else ()
            units = jnp.eye(len(self.index), dtype=self.x.dtype)[picks]
            values = _each(
                [self.unknown(u) for u in g.unknowns],
                lambda f: jax.vmap(lambda u: _directional(f, self.x, tuple(u) + tail))(units),
            )
        for sym, i, j in g.members:
            self.memo[sym] = values[j, i]

    def solve(self, step: LinearSolve):
        """The members of a linear cycle x = f(x), from f(0) and the columns of f's Jacobian.
        What f needs comes first, but velocities along the members' directions: f recomputes
        those from the gradients."""
        members = set(step.symbols)
        moving = {
            k
            for k, terms in [(None, self.system.drifts), *self.system.vols.items()]
            if members & set(terms.values())
        }
        needs = set().union(*(e.free_symbols for e in step.exprs)) - members
        for s in sorted(needs, key=str):
            g = self.groups.get(s)
            if g is not None and g.order == 1 and g.shock in moving:
                self.gradients(g.unknowns)
            else:
                self.symbol(s)
        before = self.memo

        def f(values):
            self.memo = {**before, **dict(zip(step.symbols, values))}
            return jnp.stack([self.eval(e) for e in step.exprs])

        eye = jnp.eye(len(step.symbols), dtype=self.x.dtype)
        b, columns = jax.vmap(lambda t: jax.jvp(f, (jnp.zeros_like(t),), (t,)), out_axes=(None, 0))(
            eye
        )
        self.memo = before
        for sym, v in zip(step.symbols, jnp.linalg.solve(eye - columns.T, b)):
            self.memo[sym] = v

    def symbol(self, s: sp.Symbol) -> jax.Array:
        if s in self.memo:
            return self.memo[s]
        name = s.name
        if name in self.index:
            value = self.x[self.index[name]]
        elif name in self.params:
            value = jnp.asarray(self.params[name], dtype=self.x.dtype)
        elif s in self.groups:
            self.group(self.groups[s])
            return self.memo[s]
        elif isinstance(m := self.system.atoms.meaning.get(s), ito.Jumped):
            value = self.jumped(m)
        else:
            step = self.steps[s]
            if isinstance(step, LinearSolve):
                self.solve(step)
                return self.memo[s]
            value = self.eval(step.expr)
        self.memo[s] = value
        return value

    def eval(self, e: sp.Basic) -> jax.Array:
        if e in self.memo:
            return self.memo[e]
        if e.is_Symbol:
            return self.symbol(e)
        if e.is_Number or e.is_NumberSymbol:
            return jnp.asarray(float(e), dtype=self.x.dtype)
        if isinstance(e, sp.Add):
            value = sum((self.eval(a) for a in e.args[1:]), self.eval(e.args[0]))
        elif isinstance(e, sp.Mul):
            num = [a for a in e.args if not (a.is_Pow and a.exp.is_Number and a.exp < 0)]
            den = [a.base**-a.exp for a in e.args if a not in num]
            value = self._product(num)
            if den:
                value = value / self._product(den)
        elif isinstance(e, sp.Pow):
            value = self._power(e)
        elif e.func in sympy_heads():
            value = sympy_heads()[e.func].jax(*[self.eval(a) for a in e.args])
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
            value = b if abs(exp) == 1 else jax.lax.integer_pow(b, abs(int(exp)))
            return 1.0 / value if exp < 0 else value
        if base == sp.E:
            return jnp.exp(self.eval(exp))
        return jnp.power(self.eval(base), self.eval(exp))


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

    def _map(self, fields: Fields, params: Params, x: jax.Array, per_point: Callable) -> dict:
        steps, groups = self.system.step_of(), _groups(self.system)

        def one(xi):
            return per_point(_Point(self.system, steps, groups, fields, params, xi))

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
        complementarity: Callable = fischer_burmeister,
    ) -> dict[str, jax.Array]:
        """Interior residuals by equation; complementarity through `complementarity(a, b)`."""

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
            out[b.name] = self._map(fields, params, xb, lambda p, e=b.expr: p.eval(e))
        return out

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

    def dynamics(self, fields: Fields, params: Params, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The law of motion at the points: the drift of each state, shape (n, states), and its
        volatility per shock, shape (n, states, shocks); zero where a process omits a term."""

        def per_point(p):
            vols = [p.direction(k) for k in self.model.shocks]
            return p.direction(None), jnp.stack(vols, axis=-1) if vols else jnp.zeros(
                (len(self.states), 0)
            )

        return self._map(fields, params, x, per_point)

    def arrivals(self, fields: Fields, params: Params, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The Poisson shocks at the points: their rates, shape (n, poisson shocks), and the jump
        of each state at an arrival, shape (n, states, poisson shocks); zero where a process
        has no jump term."""
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
