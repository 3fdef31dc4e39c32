"""The place terms of pooled members (rule 26 of docs/economy.md) as one step each.

The economy layer writes member i's place terms as a definition, Σ_e rate_e Σ_k [π_e(i) = k]
(g_k(x⁺_e) − g_i(x⁺_e)), one term per switch and place: O(N²) in the N members for all of
them. Its value is Σ_e rate_e (g_i evaluated at the unknown c_π_e(i)(x⁺_e) − at c_i(x⁺_e)), and
the values of every member's unknown after every switch are one matrix (`jump_eval.Jumps`), so
the code generator evaluates it as one `PlaceSum`: a gather from that matrix at the places
π_e(i), computed from n, and g_i once with vectors over the switches (`jump_eval.place_sum`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from . import ito
from .system import Assign, Places, PlaceSum, Step


def vectorised(
    steps: list[Step],
    places: tuple[Places, ...],
    atoms: ito.Atoms,
    rates: Mapping[str, sp.Expr],
    atomic: Callable[[sp.Symbol], sp.Expr],
) -> list[Step]:
    """`steps` with each `Places` definition's assignment a `PlaceSum` (kept written out where
    the members' g_k are not one function of their own unknowns)."""
    made = {}
    for p in places:
        step = _place_sum(p, steps, atoms, rates, atomic)
        if step is not None:
            made[step.symbol] = step
    return [made.get(getattr(s, "symbol", None), s) for s in steps]


def _place_sum(p: Places, steps, atoms: ito.Atoms, rates, atomic) -> PlaceSum | None:
    symbol = sp.Symbol(p.name)
    written = next((s for s in steps if isinstance(s, Assign) and s.symbol == symbol), None)
    if written is None:
        return None
    own = [atoms.partial(u) for u in p.unknowns]
    g = atomic(sp.Symbol(p.marginal[p.member - 1]))
    me = own[p.member - 1]
    for k, name in enumerate(p.marginal):
        if atomic(sp.Symbol(name)) != g.xreplace({me: own[k]}):
            return None
    if not g.free_symbols & {me} or g.free_symbols & (set(own) - {me}):
        return None
    shocks = [s for s, _, _ in p.events]
    return PlaceSum(
        symbol,
        g,
        me,
        p.member,
        atoms.state_symbols[p.count],
        tuple(place for _, place, _ in p.events),
        tuple(offset for _, _, offset in p.events),
        tuple(rates[s] for s in shocks),
        tuple(tuple(atoms.jumped(u, (), s) for s in shocks) for u in p.unknowns),
        written.expr,
    )
