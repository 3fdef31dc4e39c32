"""Evaluation at one point: the sympy trees of a `System` walked with JAX, per point.

First derivatives of the unknowns (partials, velocities along a direction) come from each unknown's
gradient, one reverse pass, not one pass per state; curvatures along the volatility vector of a
shock and higher partials from nested forward-mode JVPs, never a Hessian. Atoms of one kind are
computed together, and unknowns whose fields share a structure (networks of one shape) in one call
vmapped over their stacked parameters, so the traced program does not grow with the number of
atoms. A per-point linear cycle takes its matrix from one JVP of its equations, vmapped over unit
vectors. A memoised walk of each sympy tree evaluates every shared subexpression once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from .. import precision  # noqa: F401  (float64, configured in one place)
from . import ito
from .builtins import sympy_heads
from .fieldcalls import OnArgs, directional, each
from .jump_eval import Jumps, jump_group, jump_sum, place_sum, values_after
from .newton import solve_controls
from .system import ControlSolve, JumpSum, LinearSolve, PlaceSum, System

Fields = Mapping[str, Callable]
Params = Mapping[str, jax.Array]

FB_EPS = 1e-30


def fischer_burmeister(a, b):
    """a + b − sqrt(a² + b²): zero exactly when a ≥ 0, b ≥ 0 and a·b = 0."""
    return a + b - jnp.sqrt(a * a + b * b + FB_EPS)


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


def point_groups(system: System) -> dict[sp.Symbol, _Group | Jumps]:
    """Atom -> its group."""
    kinds = defaultdict(list)
    for sym, m in system.atoms.meaning.items():
        if isinstance(m, ito.Jumped):  # values together (`Jumps`), derivatives one by one
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
    return {**out, **jump_group(system)}


class Point:
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
        return f if idx is None else OnArgs(f, idx)

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
        """∂^α u at the point after an arrival of `m.shock` (nested JVPs for α; the values,
        α empty, come in one `Jumps` group)."""
        f, y = self.unknown(m.unknown), self.after(m.shock)
        units = tuple(jnp.eye(len(self.index), dtype=self.x.dtype)[self.index[a]] for a in m.alpha)
        return directional(f, y, units)

    def gradients(self, unknowns: tuple[str, ...]) -> jax.Array:
        """The gradients of `unknowns`, shape (unknowns, states)."""
        key = ("gradients", unknowns)
        if key not in self.memo:
            self.memo[key] = each(
                [self.unknown(u) for u in unknowns], lambda f: jax.grad(f)(self.x)
            )
        return self.memo[key]

    def group(self, g: _Group | Jumps):
        """Every atom of `g`, as values[unknown, alpha] (or values[unknown, shock])."""
        if isinstance(g, Jumps):
            return values_after(self, g)
        picks = np.array([[self.index[a] for a in alpha] for alpha in g.alphas], dtype=int)
        picks = picks.reshape(len(g.alphas), -1)
        if g.order == 1:
            values = (self.gradients(g.unknowns) @ self.direction(g.shock))[:, None]
        elif g.order == 0 and picks.shape[1] == 1:
            values = self.gradients(g.unknowns)[:, picks[:, 0]]
        else:
            tail = (self.direction(g.shock),) * 2 if g.order == 2 else ()
            units = jnp.eye(len(self.index), dtype=self.x.dtype)[picks]
            values = each(
                [self.unknown(u) for u in g.unknowns],
                lambda f: jax.vmap(lambda u: directional(f, self.x, tuple(u) + tail))(units),
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
            if isinstance(g, _Group) and g.order == 1 and g.shock in moving:
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
            if isinstance(step, ControlSolve):
                solve_controls(self, step)
                return self.memo[s]
            if isinstance(step, JumpSum | PlaceSum):
                value = (jump_sum if isinstance(step, JumpSum) else place_sum)(self, step)
                self.memo[s] = value
                return value
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
