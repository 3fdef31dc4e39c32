"""Calling the fields of unknowns: an unknown of some of the states as a function of all of them,
directional derivatives by nested JVPs, and unknowns of one structure (networks of one shape)
evaluated in one call vmapped over their stacked parameters, or the members of one family (the
same unknown of each member of an agent array, served by one network) in one call vmapped over
their index, so that the traced program does not grow with the number of members and what the
members share (a network's pooled inputs) is computed once."""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def directional(f: Callable, x: jax.Array, directions: tuple[jax.Array, ...]) -> jax.Array:
    """∂/∂d_1 … ∂/∂d_n f at x, by nested JVPs (no Jacobian or Hessian is formed)."""
    for v in reversed(directions):
        f = (lambda g, v: lambda y: jax.jvp(g, (y,), (v,))[1])(f, v)
    return f(x)


class OnArgs(eqx.Module):
    """An unknown of some of the states, as a function of all of them."""

    field: Callable
    idx: tuple[int, ...] = eqx.field(static=True)

    def __call__(self, y):
        return self.field(y[np.asarray(self.idx, dtype=int)])

    @property
    def family(self):
        inner = getattr(self.field, "family", None)
        if inner is None:
            return None
        key, index, member = inner
        return (key, self.idx), index, lambda k: OnArgs(member(k), self.idx)


def family(f) -> tuple | None:
    """(key, index, member) when `f` is the member `index` of a family of fields that one call
    can serve (`member(k)` is the field of a traced index k; `key` names the family), else None."""
    return getattr(f, "family", None)


def each(fields: list, fn: Callable) -> jax.Array:
    """jnp.stack([fn(f) for f in fields]); the members of one `family` go through one call of
    fn vmapped over their index, and fields of one structure (networks of one shape) through
    one call vmapped over their stacked parameters."""
    blocks: list[tuple[list[int], tuple]] = []
    for i, f in enumerate(fields):
        if (kin := family(f)) is not None:
            key = ("family", kin[0])
        else:
            arrays, rest = eqx.partition(f, eqx.is_array)
            key = (
                jax.tree.structure(arrays),
                [(a.shape, a.dtype) for a in jax.tree.leaves(arrays)],
                rest,
            )
        same = [b for b in blocks if key[1] and b[1] == key]
        (same[0][0].append(i) if same else blocks.append(([i], key)))
    parts = []
    for members, key in blocks:
        if key[0] == "family":
            member = family(fields[members[0]])[2]
            index = jnp.asarray([family(fields[i])[1] for i in members])
            parts.append(jax.vmap(lambda k, member=member: fn(member(k)))(index))
        elif len(members) == 1:
            parts.append(fn(fields[members[0]])[None])
        else:
            rest = eqx.partition(fields[members[0]], eqx.is_array)[1]
            arrays = jax.tree.map(
                lambda *a: jnp.stack(a), *[eqx.filter(fields[i], eqx.is_array) for i in members]
            )
            parts.append(jax.vmap(lambda p, rest=rest: fn(eqx.combine(p, rest)))(arrays))
    order = np.argsort([i for members, _ in blocks for i in members])
    return jnp.concatenate(parts)[order]
