"""Itô's lemma on sympy expressions of states and unknown-function atoms.

An expression `g` is a function of atoms: states x_i and partial derivatives ∂^α u of unknowns.
Along a direction w (the drift vector μ, or the volatility vector v_k of shock k) each atom moves
at a known first-order velocity: a state at w_i, an unknown u at ∇u·w, itself an atom (the code
generator takes it from u's gradient), a partial ∂^α u at Σ_x ∂_x ∂^α u w_x. The second-order
part of `drift(g)` needs, for each unknown, only the curvature v_k' ∇²(∂^α u) v_k along each
shock: an atom the code generator computes with one nested forward-mode JVP per shock, so no
Hessian is ever formed, symbolically or numerically. Both parts are derivatives of g along one
path in t, so their size is that of g, not of its pairs of atoms:

    vol(g, k) = d/dt g(a + t ẇ_a(v_k))
    drift(g)  = d/dt g(a + t ẇ_a(μ)) + ½ Σ_k d²/dt² g(a + t ẇ_a(v_k) + ½ t² c_a(k))   at t = 0
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp


@dataclass(frozen=True)
class Partial:
    """The atom ∂^α u: `alpha` is a sorted tuple of state names (empty for the value)."""

    unknown: str
    alpha: tuple[str, ...]


@dataclass(frozen=True)
class Curvature:
    """The atom v_k' ∇²(∂^α u) v_k: the second derivative of ∂^α u along shock k's vol vector."""

    unknown: str
    alpha: tuple[str, ...]
    shock: str


@dataclass(frozen=True)
class Velocity:
    """The atom ∇u·w: the derivative of the unknown u along the drift vector (`shock` None) or the
    volatility vector of a shock."""

    unknown: str
    shock: str | None
    alpha: ClassVar[tuple[str, ...]] = ()


def second_order(m) -> bool:
    """Whether the atom `m` holds a second derivative of its unknown."""
    return isinstance(m, Curvature) or (isinstance(m, Partial) and len(m.alpha) >= 2)


@dataclass(frozen=True)
class Jumped:
    """The atom ∂^α u at the point an arrival of the Poisson shock `shock` leads to."""

    unknown: str
    alpha: tuple[str, ...]
    shock: str


class ItoError(ValueError):
    """An operator applied where this module cannot expand it."""


@dataclass
class Atoms:
    """The symbol table of atoms: states, and derivative atoms of unknowns created on demand."""

    states: tuple[str, ...]
    unknown_args: Mapping[str, tuple[str, ...]]

    def __post_init__(self):
        self.symbols: dict[object, sp.Symbol] = {}
        self.meaning: dict[sp.Symbol, object] = {}
        self.state_symbols = {s: sp.Symbol(s) for s in self.states}
        self.state_of = {v: k for k, v in self.state_symbols.items()}

    def _make(self, key, name: str) -> sp.Symbol:
        if key not in self.symbols:
            sym = sp.Symbol(name)
            self.symbols[key] = sym
            self.meaning[sym] = key
        return self.symbols[key]

    def partial(self, unknown: str, alpha=()) -> sp.Expr:
        args = self.unknown_args[unknown]
        if any(a not in args for a in alpha):
            return sp.S.Zero
        alpha = tuple(sorted(alpha, key=self.states.index))
        return self._make(Partial(unknown, alpha), "__".join((unknown,) + alpha))

    def curvature(self, unknown: str, alpha: tuple[str, ...], shock: str) -> sp.Symbol:
        return self._make(
            Curvature(unknown, alpha, shock), "__".join((unknown,) + alpha + ("curv", shock))
        )

    def jumped(self, unknown: str, alpha: tuple[str, ...], shock: str) -> sp.Symbol:
        return self._make(
            Jumped(unknown, alpha, shock), "__".join((unknown,) + alpha + ("after", shock))
        )

    def velocity(self, unknown: str, shock: str | None) -> sp.Symbol:
        return self._make(Velocity(unknown, shock), f"{unknown}__along__{shock or 'drift'}")

    def of(self, expr: sp.Expr) -> list[sp.Symbol]:
        """The atoms `expr` depends on, in a stable order."""
        found = [s for s in expr.free_symbols if s in self.state_of or s in self.meaning]
        return sorted(found, key=str)


Direction = Mapping[str, sp.Expr]  # state name -> component (omitted states: zero)


def _velocity(atoms: Atoms, a: sp.Symbol, w: Direction, shock: str | None) -> sp.Expr:
    """The velocity of atom a along w, the direction of `shock` (None: the drift)."""
    if a in atoms.state_of:
        return w.get(atoms.state_of[a], sp.S.Zero)
    m = atoms.meaning[a]
    if not isinstance(m, Partial):
        raise ItoError(
            "an operator is applied to an expression that contains a drift or a jump; "
            "walras expands drift and vol of expressions with at most one drift inside"
        )
    if not any(x in w for x in atoms.unknown_args[m.unknown]):
        return sp.S.Zero
    return atoms.velocity(m.unknown, shock) if not m.alpha else _spread(atoms, m, w)


def _spread(atoms: Atoms, m: Partial | Velocity, w: Direction) -> sp.Expr:
    """Σ_x ∂_x ∂^α u · w_x."""
    return sp.Add(
        *[
            atoms.partial(m.unknown, m.alpha + (x,)) * w.get(x, 0)
            for x in atoms.unknown_args[m.unknown]
        ]
    )


def velocities(atoms: Atoms, expr: sp.Expr, shocks: Collection[str | None]) -> set[sp.Symbol]:
    """The velocity atoms in `expr` along the directions of `shocks` (None: the drift)."""
    return {
        s
        for s in expr.free_symbols
        if isinstance(m := atoms.meaning.get(s), Velocity) and m.shock in shocks
    }


def expand(atoms: Atoms, expr: sp.Expr, directions: Mapping[str | None, Direction]) -> sp.Expr:
    """`expr` with each velocity atom along one of `directions` (shock, or None for the drift)
    written out in partial derivatives: the form an operator can differentiate again, and in
    which a cycle through the direction is linear in its members."""
    return expr.xreplace(
        {
            s: _spread(atoms, atoms.meaning[s], directions[atoms.meaning[s].shock])
            for s in velocities(atoms, expr, directions)
        }
    )


def _on_path(g: sp.Expr, paths: Mapping[sp.Symbol, tuple[sp.Expr, ...]], order: int) -> sp.Expr:
    """d^order/dt^order g(a(t)) at t = 0 (order 1 or 2), where atom a moves as
    a + t w_a + ½ t² c_a (paths[a] = (w_a,) or (w_a, c_a)). Taylor coefficients are carried once
    through each node of g, so the result grows like g (no sum over pairs of atoms)."""
    zero = (sp.S.Zero,) * order
    memo: dict[sp.Basic, tuple[sp.Expr, ...]] = {}

    def coef(e: sp.Basic) -> tuple[sp.Expr, ...]:
        """(e_1, ..., e_order) with e(t) = e + Σ_k e_k t^k + O(t^(order+1))."""
        if e in memo:
            return memo[e]
        if e in paths:
            out = (paths[e] + (sp.S.Zero,))[:order]
            out = out[:1] + tuple(c / 2 for c in out[1:])
        elif not e.args:
            out = zero
        else:
            args = [coef(a) for a in e.args]
            moving = [i for i, c in enumerate(args) if c != zero]
            if not moving:
                out = zero
            elif isinstance(e, sp.Add):
                out = tuple(sp.Add(*c) for c in zip(*(args[i] for i in moving)))
            elif isinstance(e, sp.Mul):
                out = _product(e, args, moving)
            else:
                out = _chain(e, args, moving)
        memo[e] = out
        return out

    return sp.factorial(order) * coef(g)[order - 1]


def _product(e: sp.Mul, args, moving) -> tuple[sp.Expr, ...]:
    """Taylor coefficients of a product, folding in its moving factors one at a time."""
    fixed = sp.Mul(*[a for i, a in enumerate(e.args) if i not in moving])
    p0, p = e.args[moving[0]], list(args[moving[0]])
    for i in moving[1:]:
        f0, f = e.args[i], args[i]
        p = [p[0] * f0 + p0 * f[0]] + ([p[1] * f0 + p[0] * f[0] + p0 * f[1]] if len(p) > 1 else [])
        p0 = p0 * f0
    return tuple(fixed * c for c in p)


def _chain(e: sp.Basic, args, moving) -> tuple[sp.Expr, ...]:
    """Taylor coefficients of f(a_1, ..., a_n) by the chain rule, up to second order."""
    slots = {i: sp.Dummy() for i in moving}
    f = e.func(*[slots.get(i, a) for i, a in enumerate(e.args)])
    back = {d: e.args[i] for i, d in slots.items()}
    grad = {i: sp.diff(f, d) for i, d in slots.items()}
    first = sp.Add(*[grad[i].xreplace(back) * args[i][0] for i in moving])
    if len(args[moving[0]]) == 1:
        return (first,)
    second = sp.Add(*[grad[i].xreplace(back) * args[i][1] for i in moving]) + sp.Add(
        *[
            sp.diff(grad[i], slots[j]).xreplace(back) * args[i][0] * args[j][0] / 2
            for i in moving
            for j in moving
        ]
    )
    return first, second


def along(atoms: Atoms, g: sp.Expr, shock: str | None, direction: Direction) -> sp.Expr:
    """Σ_a ∂g/∂a · velocity of a along `direction`: vol(g, k) along v_k, the direction of shock k;
    the first-order part of the drift along μ (shock None)."""
    paths = {a: (w,) for a in atoms.of(g) if (w := _velocity(atoms, a, direction, shock)) != 0}
    return _on_path(g, paths, 1) if paths else sp.S.Zero


def drift(
    atoms: Atoms,
    g: sp.Expr,
    mu: Direction,
    vols: Mapping[str, Direction],
    curvature_needed: Callable[[str, str], bool],
) -> sp.Expr:
    """Itô drift of g; `curvature_needed(unknown, shock)` says whether the unknown moves with it.
    The second-order part along shock k is the second derivative of g(a + t ẇ_a + ½t² c_a) at
    t = 0, which is Σ_ab g_ab ẇ_a ẇ_b + Σ_a g_a c_a."""
    second = []
    for shock, v in vols.items():
        paths = {}
        for a in atoms.of(g):
            w = _velocity(atoms, a, v, shock)
            m = atoms.meaning.get(a)
            if isinstance(m, Partial) and curvature_needed(m.unknown, shock):
                paths[a] = (w, atoms.curvature(m.unknown, m.alpha, shock))
            elif w != 0:
                paths[a] = (w,)
        if paths:
            second.append(_on_path(g, paths, 2))
    return along(atoms, g, None, mu) + sp.Rational(1, 2) * sp.Add(*second)


def partial(atoms: Atoms, g: sp.Expr, state: str) -> sp.Expr:
    """∂g/∂x, by the chain rule through the unknowns' derivative atoms."""
    out = []
    for a in atoms.of(g):
        if a in atoms.state_of:
            da = sp.S.One if atoms.state_of[a] == state else sp.S.Zero
        else:
            m = atoms.meaning[a]
            if not isinstance(m, Partial):
                raise ItoError("'d' is applied to an expression that contains a drift or a jump")
            da = atoms.partial(m.unknown, m.alpha + (state,))
        out.append(sp.diff(g, a) * da)
    return sp.Add(*out)
