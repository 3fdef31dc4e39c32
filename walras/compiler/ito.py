"""Itô's lemma on sympy expressions of states and unknown-function atoms.

An expression `g` is a function of atoms: states x_i and partial derivatives ∂^α u of unknowns.
Along a direction w (a drift vector, or the volatility vector v_k of shock k) each atom moves at a
known first-order velocity. The second-order part of `drift(g)` needs, for each unknown, only the
curvature v_k' ∇²(∂^α u) v_k along each shock: an atom the code generator computes with one nested
forward-mode JVP per shock, so no Hessian is ever formed, symbolically or numerically.

    vol(g, k) = Σ_a g_a ẇ_a(v_k)
    drift(g)  = Σ_a g_a ẇ_a(μ) + ½ Σ_k [ Σ_ab g_ab ẇ_a(v_k) ẇ_b(v_k) + Σ_a g_a c_a(k) ]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

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
        return self._make(Curvature(unknown, alpha, shock),
                          "__".join((unknown,) + alpha + ("curv", shock)))

    def of(self, expr: sp.Expr) -> list[sp.Symbol]:
        """The atoms `expr` depends on, in a stable order."""
        found = [s for s in expr.free_symbols if s in self.state_of or s in self.meaning]
        return sorted(found, key=str)


Direction = Mapping[str, sp.Expr]  # state name -> component (omitted states: zero)


def _velocity(atoms: Atoms, a: sp.Symbol, w: Direction) -> sp.Expr:
    if a in atoms.state_of:
        return w.get(atoms.state_of[a], sp.S.Zero)
    m = atoms.meaning[a]
    if isinstance(m, Curvature):
        raise ItoError("an operator is applied to an expression that contains a drift; "
                       "walras expands drift and vol of expressions with at most one drift inside")
    return sp.Add(*[atoms.partial(m.unknown, m.alpha + (x,)) * w.get(x, 0)
                    for x in atoms.unknown_args[m.unknown]])


def vol(atoms: Atoms, g: sp.Expr, direction: Direction) -> sp.Expr:
    """Σ_a ∂g/∂a · velocity of a along `direction`: vol(g, k) with direction v_k."""
    return sp.Add(*[sp.diff(g, a) * _velocity(atoms, a, direction) for a in atoms.of(g)])


def drift(atoms: Atoms, g: sp.Expr, mu: Direction, vols: Mapping[str, Direction],
          curvature_needed: Callable[[str, str], bool]) -> sp.Expr:
    """Itô drift of g; `curvature_needed(unknown, shock)` says whether the unknown moves with it."""
    a_list = atoms.of(g)
    grad = {a: sp.diff(g, a) for a in a_list}
    first = sp.Add(*[grad[a] * _velocity(atoms, a, mu) for a in a_list])
    second = []
    for shock, v in vols.items():
        w = {a: _velocity(atoms, a, v) for a in a_list}
        for a in a_list:
            if w[a] == 0:
                continue
            for b in a_list:
                if w[b] != 0:
                    second.append(sp.diff(grad[a], b) * w[a] * w[b])
            m = atoms.meaning.get(a)
            if isinstance(m, Partial) and curvature_needed(m.unknown, shock):
                second.append(grad[a] * atoms.curvature(m.unknown, m.alpha, shock))
    return first + sp.Rational(1, 2) * sp.Add(*second)


def partial(atoms: Atoms, g: sp.Expr, state: str) -> sp.Expr:
    """∂g/∂x, by the chain rule through the unknowns' derivative atoms."""
    out = []
    for a in atoms.of(g):
        if a in atoms.state_of:
            da = sp.S.One if atoms.state_of[a] == state else sp.S.Zero
        else:
            m = atoms.meaning[a]
            if isinstance(m, Curvature):
                raise ItoError("'d' is applied to an expression that contains a drift")
            da = atoms.partial(m.unknown, m.alpha + (state,))
        out.append(sp.diff(g, a) * da)
    return sp.Add(*out)
