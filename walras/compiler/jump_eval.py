"""Evaluating jumps at one point (`pointwise.Point`): the values of the unknowns after every
Poisson arrival in one call per structure of fields, vmapped over the jumped points (`Jumps`),
and the jump part of drift(g), Σ_N rate_N (g after N − g), with g evaluated once, its moved
atoms vectors over the shocks (`system.JumpSum`)."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import sympy as sp

from . import ito
from .fieldcalls import each
from .system import JumpSum, System


@dataclass(frozen=True)
class Jumps:
    """The values of unknowns at the points Poisson arrivals lead to, evaluated together: every
    one of `unknowns` at the point after each of `shocks`, one call per unknown vmapped over the
    points. `members` are (atom, index in `shocks`, index in `unknowns`)."""

    unknowns: tuple[str, ...]
    shocks: tuple[str, ...]
    members: tuple[tuple[sp.Symbol, int, int], ...]


def jump_group(system: System) -> dict[sp.Symbol, Jumps]:
    """Each jumped value (a `Jumped` atom without derivatives) -> the one group of them all."""
    atoms = [
        (sym, m)
        for sym, m in system.atoms.meaning.items()
        if isinstance(m, ito.Jumped) and not m.alpha
    ]
    order = [u.name for u in system.unknowns]
    unknowns = tuple(u for u in order if any(m.unknown == u for _, m in atoms))
    shocks = tuple(dict.fromkeys(m.shock for _, m in atoms))
    members = tuple((sym, shocks.index(m.shock), unknowns.index(m.unknown)) for sym, m in atoms)
    group = Jumps(unknowns, shocks, members)
    return {sym: group for sym, _ in atoms}


def values_after(point, g: Jumps) -> None:
    """Every value of `g` into the point's memo: each unknown at each jumped point."""
    points = jnp.stack([point.after(k) for k in g.shocks])
    values = each([point.unknown(u) for u in g.unknowns], lambda f: jax.vmap(f)(points))
    for sym, i, j in g.members:
        point.memo[sym] = values[j, i]


def jump_sum(point, step: JumpSum) -> jax.Array:
    """Σ_N rate_N (g after N − g): g evaluated once with each moved atom a vector of its
    values after the shocks (elementwise operations broadcast over them)."""
    g = point.eval(step.expr)
    after = {a: jnp.stack([point.eval(v) for v in values]) for a, values in step.moved}
    before = point.memo  # atoms and steps kept; subexpressions of g recomputed
    point.memo = {k: v for k, v in before.items() if not isinstance(k, sp.Basic) or k.is_Symbol}
    point.memo.update(after)
    moved = point.eval(step.expr)
    point.memo = before
    rates = jnp.stack([point.eval(r) for r in step.rates])
    return jnp.sum(rates * (moved - g))
