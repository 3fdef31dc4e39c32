"""Evaluating jumps at one point (`pointwise.Point`): the values of the unknowns after every
Poisson arrival in one call per structure of fields, vmapped over the jumped points (`Jumps`),
and the jump part of drift(g), Σ_N rate_N (g after N − g), with g evaluated once, its moved
atoms vectors over the shocks (`system.JumpSum`); and the place terms of pooled members, one
gather from the values after the switches (`system.PlaceSum`)."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from . import ito
from .fieldcalls import each
from .system import JumpSum, PlaceSum, System


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
    point.memo[g] = values
    for sym, i, j in g.members:
        point.memo[sym] = values[j, i]


def jump_sum(point, step: JumpSum) -> jax.Array:
    """Σ_N rate_N (g after N − g): g evaluated once with each moved atom a vector of its
    values after the shocks (elementwise operations broadcast over them)."""
    g = point.eval(step.expr)
    after = {a: jnp.stack([point.eval(v) for v in values]) for a, values in step.moved}
    moved = _evaluated(point, step.expr, after)
    rates = jnp.stack([point.eval(r) for r in step.rates])
    return jnp.sum(rates * (moved - g))


def place_sum(point, step: PlaceSum) -> jax.Array:
    """Σ_e rate_e (g(c_π_e(i)(x⁺_e)) − g(c_i(x⁺_e))): the members' unknowns after the switches
    gathered from the values after them (one matrix, shared by the members), π_e(i) the place
    the member takes at e, computed from n: the partner n + offset where the member switches,
    the switching member's place where the member is its partner, its own place elsewhere."""
    values = _after_switches(point, step)
    i = step.member
    places = np.asarray(step.places, dtype=float)
    partner = point.eval(step.count) + np.asarray(step.offsets, dtype=float)
    takes = jnp.where(places == i, partner, jnp.where(partner == i, places, float(i)))
    index = jnp.clip(takes.astype(int) - 1, 0, len(step.jumped) - 1)
    switches = np.arange(len(step.places))
    moved = _evaluated(point, step.expr, {step.atom: values[index, switches]})
    mine = _evaluated(point, step.expr, {step.atom: values[i - 1]})
    key = ("rates", step.rates)
    if key not in point.memo:
        point.memo[key] = jnp.stack([point.eval(r) for r in step.rates])
    return jnp.sum(point.memo[key] * (moved - mine))


def _after_switches(point, step: PlaceSum) -> jax.Array:
    """The members' unknowns after the switches, [member, switch], from their group's values."""
    key = ("after switches", step.jumped)
    if key not in point.memo:
        point.eval(step.jumped[0][0])  # evaluates the group
        group = point.groups[step.jumped[0][0]]
        switches = [_position(group, a)[0] for a in step.jumped[0]]
        members = [_position(group, row[0])[1] for row in step.jumped]
        point.memo[key] = point.memo[group][np.ix_(members, switches)]
    return point.memo[key]


def _position(group: Jumps, atom: sp.Symbol) -> tuple[int, int]:
    """(shock, unknown) indices of a jumped atom in its group's values."""
    return next((i, j) for sym, i, j in group.members if sym == atom)


def _evaluated(point, expr: sp.Expr, values: dict) -> jax.Array:
    """expr with some atoms replaced by `values` (subexpressions recomputed, steps kept)."""
    before = point.memo
    point.memo = {k: v for k, v in before.items() if not isinstance(k, sp.Basic) or k.is_Symbol}
    point.memo.update(values)
    out = point.eval(expr)
    point.memo = before
    return out
