"""The jump part of the generator: an expression after an arrival of a Poisson shock.

An arrival of N moves each state x with a `jump[N]` term by J_x (evaluated before the jump).
The expression g after it, g⁺, has each such state x replaced by x + J_x and each atom ∂^α u of
an unknown of a moving state by the atom `Jumped(u, α, N)`, ∂^α u at the jumped point (the code
generator evaluates the unknown there, held at the edge of a continuous state's domain). Then

    jump(g, N) = g⁺ − g,      drift(g) = Itô's drift of g + Σ_N rate_N · (g⁺ − g).

Outside another operator, that sum is one step (`JumpSum`): g with its moved atoms as vectors over
the shocks, evaluated once for all of them rather than written out once per shock.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from . import ito
from .system import JumpSum


def after(atoms: ito.Atoms, g: sp.Expr, shock: str, sizes: Mapping[str, sp.Expr]) -> sp.Expr:
    """g after an arrival of `shock`; `sizes` maps each state the shock moves to its jump."""
    return g.xreplace(moved(atoms, g, shock, sizes))


def moved(
    atoms: ito.Atoms, g: sp.Expr, shock: str, sizes: Mapping[str, sp.Expr]
) -> dict[sp.Symbol, sp.Expr]:
    """The atoms of g that an arrival of `shock` moves -> their value after it."""
    moved = {}
    for a in atoms.of(g):
        if a in atoms.state_of:
            x = atoms.state_of[a]
            if x in sizes:
                moved[a] = a + sizes[x]
            continue
        m = atoms.meaning[a]
        if not isinstance(m, ito.Partial):
            raise ito.ItoError(
                "a jump is applied to an expression that contains a drift or a jump; walras "
                "expands jumps of expressions of states, unknowns and their derivatives"
            )
        if any(x in sizes for x in atoms.unknown_args[m.unknown]):
            moved[a] = atoms.jumped(m.unknown, m.alpha, shock)
    return moved


def generator(
    atoms: ito.Atoms,
    g: sp.Expr,
    rates: Mapping[str, sp.Expr],
    sizes: Mapping[str, Mapping[str, sp.Expr]],
) -> sp.Expr:
    """Σ_N rate_N · (g after N − g): the jump part of drift(g)."""
    terms = []
    for shock, rate in rates.items():
        if sizes.get(shock):
            change = after(atoms, g, shock, sizes[shock]) - g
            if change != 0:
                terms.append(rate * change)
    return sp.Add(*terms)


def jump_sum(
    symbol: sp.Symbol,
    atoms: ito.Atoms,
    g: sp.Expr,
    rates: Mapping[str, sp.Expr],
    sizes: Mapping[str, Mapping[str, sp.Expr]],
) -> JumpSum | None:
    """The jump part of drift(g) as one step (None when no shock moves g): g once, and each
    moved atom's value after each shock, so that g is evaluated for all shocks together."""
    shocks = {k: moved(atoms, g, k, sizes[k]) for k in rates if sizes.get(k)}
    shocks = {k: m for k, m in shocks.items() if m}
    if not shocks:
        return None
    changed = sorted(set().union(*shocks.values()), key=str)
    return JumpSum(
        symbol,
        g,
        tuple(rates[k] for k in shocks),
        tuple((a, tuple(m.get(a, a) for m in shocks.values())) for a in changed),
    )
