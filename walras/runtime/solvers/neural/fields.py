"""The networks of a neural solve: one `Field` per unknown on its states (those with a cut edge
in their logarithm), or one `Shared` network for the same unknown of every member of an agent
array, and their composition with clamped unknowns (`Coupled`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import equinox as eqx
import jax

from ..base import Problem
from . import symmetric
from .networks import Coupled, Field, make_field, split


def _couplings(problem: Problem, clamps) -> dict[str, tuple[str, ...]]:
    """For each unclamped unknown, the clamped unknowns of a subset of its states."""
    unknowns = problem.unknowns
    return {
        u.name: tuple(
            c.name for c in unknowns if c.name in clamps and c.args and set(c.args) <= set(u.args)
        )
        for u in unknowns
        if u.name not in clamps
    }


def init_fields(
    problem: Problem,
    settings,
    params: Mapping[str, float],
    cut: Mapping[str, float],
    key,
    starts: Mapping[str, Callable] | None = None,
) -> dict[str, eqx.Module]:
    """The trainable networks, one per unknown; `cut` maps states to their cut edge. An unknown
    that `starts` gives (a function of a point of its states: the guess) is that function and a
    network's correction to it, zero at first."""
    starts = starts or {}
    states = {s.name: s for s in problem.states}
    obstacles = problem.compiled.outline.obstacles  # smooth where they bind: not clamped
    clamps = {u: b for u, b in problem.compiled.clamps(params).items() if u not in obstacles}
    couplings = _couplings(problem, clamps)
    by_name = {u.name: u for u in problem.unknowns}
    fields, shared = {}, set()
    if settings.arrays == "shared":
        plain = {n for n in by_name if n not in clamps and not couplings.get(n)}
        for g, j, shares in symmetric.groups(
            problem, plain, lambda n: _simplices(problem, by_name[n])
        ):
            u = by_name[g.unknowns[0][j]]
            net = symmetric.make_shared(
                jax.random.fold_in(key, len(fields) + 1),
                g,
                j,
                shares,
                [cut.get(a, states[a].lo) for a in u.args],
                [states[a].hi for a in u.args],
                (u.lo, u.hi),
                tuple(a in cut for a in u.args),
                _simplices(problem, u),
                settings,
                starts,
            )
            fields[f"{g.name}:{j}"] = net
            shared.update(net.members)
    for u, k in zip(problem.unknowns, split(key, max(1, len(problem.unknowns)))):
        if u.name in shared:
            continue
        lo = [cut.get(a, states[a].lo) for a in u.args]
        hi = [states[a].hi for a in u.args]
        for c in couplings.get(u.name, ()):
            floor, cap = clamps[c]
            lo.append(floor if floor is not None else (by_name[c].lo or 0.0))
            hi.append(cap if cap is not None else (by_name[c].hi or 1.0))
        fields[u.name] = make_field(
            k,
            lo,
            hi,
            (u.lo, u.hi),
            settings.width,
            settings.depth,
            settings.activation,
            clamp=clamps.get(u.name, (None, None)),
            log_axes=tuple(a in cut for a in u.args),
            simplices=_simplices(problem, u),
            start=starts.get(u.name),
            own=len(u.args),
        )
    return fields


def _simplices(problem: Problem, unknown) -> tuple[tuple[int, ...], ...]:
    """The simplices all of whose states are arguments of `unknown`, as positions among them."""
    axes = problem.axes[unknown.name]
    return tuple(
        tuple(axes.index(i) for i in g) for g in problem.domain.simplices if set(g) <= set(axes)
    )


def compose(problem: Problem, trainable: Mapping) -> dict[str, eqx.Module]:
    """The functions the residuals see: trainable fields, coupled to clamped ones."""
    trainable = symmetric.members(trainable)
    couplings = _couplings(
        problem, {k for k, f in trainable.items() if isinstance(f, Field) and f.clamped}
    )
    args = {u.name: u.args for u in problem.unknowns}
    out = dict(trainable)
    for name, inputs in couplings.items():
        if inputs:
            picks = tuple(tuple(args[name].index(a) for a in args[c]) for c in inputs)
            out[name] = Coupled(trainable[name], tuple(trainable[c] for c in inputs), picks)
    return out
