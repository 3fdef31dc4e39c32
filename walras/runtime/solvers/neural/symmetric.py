"""One network for the same unknown of every member of an agent array (DeepSets style): member
k's value is ρ(own share, own features, mean over members j of φ(share_j, features_j), the other
inputs), so permuting the members (their shares and features together) permutes the values, and
what ten interchangeable agents have in common is learnt once."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ....compiler.model import Exchangeable
from .networks import (
    Anchor,
    anchor,
    exponential,
    initial_mlp,
    inside,
    output,
    quiet_start,
    scaled_inputs,
    scaling,
    split,
    zero_start,
)


class Shared(eqx.Module):
    """The networks ρ and φ of one unknown kind of an array, and a constant `offset`. Inputs
    are scaled as a `Field` scales them (`scaled_inputs`); `positions` are the members' shares
    among them, `features` each member's features scaled to [-1, 1]."""

    rho: eqx.nn.MLP
    phi: eqx.nn.MLP
    offset: jax.Array
    members: tuple[str, ...] = eqx.field(static=True)  # the unknowns, member by member
    positions: tuple[int, ...] = eqx.field(static=True)
    features: tuple[tuple[float, ...], ...] = eqx.field(static=True)
    center: tuple[float, ...] = eqx.field(static=True)
    half_width: tuple[float, ...] = eqx.field(static=True)
    log_axes: tuple[bool, ...] = eqx.field(static=True)
    simplices: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    lo: float | None = eqx.field(static=True)
    hi: float | None = eqx.field(static=True)
    positive: bool = eqx.field(static=True)
    anchors: tuple[Anchor, ...] = eqx.field(static=True, default=())  # of a guess, by member

    def latent(self, x: jax.Array, k) -> jax.Array:
        """Member k's value before the output transform (k a number or a traced index)."""
        y = scaled_inputs(self, x)
        f = jnp.asarray(self.features, jnp.float64).reshape(len(self.members), -1)
        own = y[jnp.asarray(self.positions)]
        pooled = jnp.mean(jax.vmap(self.phi)(jnp.column_stack([own, f])), 0)
        rest = [i for i in range(y.shape[0]) if i not in self.positions]
        z = jnp.concatenate([own[k][None], f[k], pooled, y[jnp.asarray(rest, int)]])
        z = self.offset + self.rho(z)[0]
        if self.anchors:
            scales = jnp.asarray([a.scale for a in self.anchors])
            z = scales[k] * z + jnp.stack([a(x) for a in self.anchors])[k]
        return z


class Member(eqx.Module):
    """Member k's unknown as the residuals see it: a function of the unknown's states. The
    members of one `Shared` are a `family` (`compiler.fieldcalls`): one call, vmapped over k,
    serves them all."""

    shared: Shared
    k: int | jax.Array  # a number, or a traced index inside a family's call
    clamped = False

    @property
    def family(self):
        return self.shared.members, self.k, lambda k: Member(self.shared, k)

    def latent(self, x: jax.Array) -> jax.Array:
        return self.shared.latent(x, self.k)

    def __call__(self, x: jax.Array) -> jax.Array:
        return output(self.shared, self.latent(x))


def members(trainable) -> dict[str, eqx.Module]:
    """The trainable networks with every `Shared` one replaced by its members' views."""
    out = {}
    for name, f in trainable.items():
        if isinstance(f, Shared):
            out.update({u: Member(f, k) for k, u in enumerate(f.members)})
        else:
            out[name] = f
    return out


def groups(problem, kinds: set[str], simplices) -> list[tuple[Exchangeable, int, tuple]]:
    """(array, kind, shares) for each kind of unknown of an array whose members' unknowns (all
    in `kinds`, those a plain network may serve) share their states and hold every member's
    share: `shares` their positions among the inputs (the implicit last share of the one
    simplex of the states, `simplices(unknown)`, after the states)."""
    args = {u.name: u.args for u in problem.unknowns}
    out = []
    for group in problem.compiled.model.exchangeable:
        for j in range(len(group.unknowns[0])):
            names = [m[j] for m in group.unknowns]
            a = args[names[0]]
            if not all(n in kinds and args[n] == a for n in names):
                continue
            if not all(s is None or s in a for s in group.shares):
                continue
            if None in group.shares and len(simplices(names[0])) != 1:
                continue
            shares = tuple(len(a) if s is None else a.index(s) for s in group.shares)
            if len(set(shares)) == len(shares):
                out.append((group, j, shares))
    return out


def make_shared(
    key,
    group: Exchangeable,
    j: int,
    shares,
    lo_x,
    hi_x,
    bound,
    log_axes,
    simplices,
    settings,
    starts: Mapping[str, Callable] | None = None,
):
    """The shared network of kind j of `group` (its members' shares at `shares` among the
    inputs), for an unknown of the states with bounds lo_x, hi_x; with `starts` (a guess of
    some members, functions of a point), the network is a correction to them, zero at first."""
    flags, center, half = scaling(lo_x, hi_x, log_axes, simplices)
    names = tuple(m[j] for m in group.unknowns)
    f = np.asarray(group.features, float).reshape(len(names), -1)
    mid, spread = (f.max(0) + f.min(0)) / 2, np.maximum((f.max(0) - f.min(0)) / 2, 1e-300)
    features = tuple(tuple(float(v) for v in row) for row in (f - mid) / spread)
    width, act = settings.width, settings.activation
    k1, k2 = split(key)
    n_in = 1 + f.shape[1] + width + len(center) - len(names)
    lo, hi = bound
    positive = exponential(flags, lo, hi)
    starts = {n: starts[n] for n in names if n in (starts or {})}
    anchors = ()
    if starts:
        last, offset = zero_start()
        anchors = tuple(
            anchor(starts.get(n), lo_x, hi_x, positive, lo, hi, inside(lo, hi)) for n in names
        )
    else:
        last, offset = quiet_start(positive, inside(lo, hi))
    phi = initial_mlp(k1, 1 + f.shape[1], width, width, 1, act, 1.0)
    rho = initial_mlp(k2, n_in, 1, width, settings.depth, act, last)
    return Shared(
        rho,
        phi,
        offset,
        names,
        tuple(shares),
        features,
        center,
        half,
        flags,
        tuple(tuple(g) for g in simplices),
        lo,
        hi,
        positive,
        anchors,
    )
