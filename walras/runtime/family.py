"""Parametric collocation of a one-state model with a free boundary: one-state solves at
Chebyshev-Lobatto nodes of the parameters, interpolated in coordinates that move with the kink.

A complementarity puts a kink in the solution at a point x*(θ) that moves with the parameters θ.
A tensor Chebyshev basis in (x, θ) cannot follow it (the degree needed grows beyond memory), but
the one-state solver splits its domain at the kink and resolves it. So the family is solved as
a tensor of one-state solves, each at a Chebyshev-Lobatto node θ_j of the parameter box
(continuation: each starts from the previous node's solution), and read between the nodes by
Lagrange interpolation in θ — not at fixed x, where u(x; θ) is not smooth in θ across x*(θ), but
at fixed straightened coordinate t: t = (x − lo)/(x* − lo) left of the kink, 1 + (x − x*)/(hi − x*)
right of it, with x*(θ) itself interpolated. Each side of the kink is smooth in (t, θ), so the
interpolation converges spectrally in θ, as Chebyshev collocation does in x; nothing here is
particular to one model.

The error estimate compares the interpolant on n + 1 nodes with that on the nodes of even index
(the Chebyshev-Lobatto nodes of degree n/2); n starts at `DEGREES[0]` and is doubled while that
estimate exceeds `tol_error` (the solves already made are reused). Memory stays that of a
one-state solve and of the (n + 1)^parameters expansions kept.
"""

from __future__ import annotations

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .schema import Role, tag

DEGREES = (8, 16)  # nodes per parameter: degree + 1; the error estimate halves the degree
CHECKS = 64  # points per state and parameter where the error estimate is measured


def applies(base) -> bool:
    """Does `base` (the compiled model before its parameters became states) need this: one
    continuous state and a complementarity, whose kink moves with the parameters?"""
    model = base.model
    continuous = [s for s in model.states if not s.discrete]
    return (
        len(model.states) == 1
        and len(continuous) == 1
        and any(r.is_complementarity for r in base.system.residuals)
    )


def lobatto(lo: float, hi: float, degree: int) -> np.ndarray:
    """The degree + 1 Chebyshev-Lobatto nodes of [lo, hi], ascending."""
    return lo + (hi - lo) * (1 - np.cos(np.pi * np.arange(degree + 1) / degree)) / 2


class Family(eqx.Module):
    """An unknown of the family at (x, θ): members (one-state fields at the nodes, in C order
    over the parameters' nodes) interpolated in θ at fixed straightened coordinate."""

    members: tuple
    nodes: tuple  # per parameter, its nodes
    kinks: jax.Array | None  # the kink of each member, or None: no straightening
    lo: float
    hi: float

    def __call__(self, x: jax.Array) -> jax.Array:
        w = weights(self.nodes, x[1:])
        if self.kinks is None:
            at = [x[:1]] * len(self.members)
        else:
            kink = w @ self.kinks
            t = jnp.where(
                x[0] < kink,
                (x[0] - self.lo) / (kink - self.lo),
                1 + (x[0] - kink) / (self.hi - kink),
            )
            y = jnp.where(
                t < 1,
                self.lo + t * (self.kinks - self.lo),
                self.kinks + (t - 1) * (self.hi - self.kinks),
            )
            at = [y[j : j + 1] for j in range(len(self.members))]
        return w @ jnp.stack([m(a) for m, a in zip(self.members, at)])


def weights(nodes: tuple, theta: jax.Array) -> jax.Array:
    """The tensor Lagrange weights of the nodes at θ, flattened in C order."""
    w = jnp.ones(())
    for i, s in enumerate(nodes):
        s = jnp.asarray(s)
        diff = theta[i] - s
        basis = jnp.stack(
            [jnp.prod(jnp.delete(diff, j) / jnp.delete(s[j] - s, j)) for j in range(len(s))]
        )
        w = (w[..., None] * basis).reshape(-1)
    return w


def solve(base, compiled, settings, solve_one):
    """The family over the box of `compiled.model.parametric`: `base` is the model compiled
    before they became states, `solve_one(params, guess)` a one-state collocation solve."""
    from .results import Solution
    from .solvers.base import Outcome, worst_error

    model = compiled.model
    names = model.parametric
    box = {s.name: (s.lo, s.hi) for s in model.states if s.name in names}
    state = base.model.states[0]
    fixed = dict(compiled.params)
    solved: dict[tuple, object] = {}
    guess = None
    for degree in DEGREES:
        grids = [lobatto(*box[p], degree) for p in names]
        for point in _snake(grids):
            key = tuple(round(v, 14) for v in point)
            if key not in solved:
                sol = solve_one({**fixed, **dict(zip(names, point))}, guess)
                if not sol.converged and guess is not None:
                    sol = solve_one({**fixed, **dict(zip(names, point))}, None)
                solved[key] = sol
            guess = solved[key].fields
        fields, kinks = _fields(solved, grids, base, state)
        coarse, _ = _fields(solved, [g[::2] for g in grids], base, state)
        errors = _errors(fields, coarse, state, box, names)
        members = [solved[k] for k in _keys(grids)]
        if all(m.converged for m in members) and worst_error(errors)[1] <= settings.tol_error:
            break
    failed = [k for k in _keys(grids) if not solved[k].converged]
    ok = not failed and worst_error(errors)[1] <= settings.tol_error
    where = ", ".join(f"{p} = {v:g}" for p, v in zip(names, failed[0])) if failed else ""
    message = (
        f"{len(members)} one-state solves at Chebyshev-Lobatto nodes of "
        f"{', '.join(names)} (degree {degree}), interpolated "
        + ("at fixed distance to the kink; " if kinks is not None else "at fixed state; ")
        + f"estimated error {max(errors.values()):.2g}"
        + (f"; the solve at {where} did not converge" if failed else "")
    )
    outcome = Outcome.CONVERGED if ok else Outcome.NOT_CONVERGED
    validation = _validation(compiled, fields, fixed, state, box, names)
    extra = {}
    if kinks is not None:
        axes = {p: lobatto(*box[p], 2 * degree) for p in names}
        theta = np.stack(np.meshgrid(*axes.values(), indexing="ij"), -1).reshape(-1, len(names))
        at = jax.vmap(lambda t: weights(fields[base.model.unknowns[0].name].nodes, t))(theta)
        extra[f"free_boundary_{state.name}"] = tag(
            xr.DataArray(
                np.asarray(at @ kinks).reshape([len(a) for a in axes.values()]),
                dims=[f"{p}_values" for p in names],
                coords={f"{p}_values": a for p, a in axes.items()},
            ),
            Role.EVIDENCE,
            state=state.name,
            long_name="where the complementarity switches, along the parameters",
        )
    return Solution(
        compiled,
        fields,
        fixed,
        settings,
        np.array([float(m.history[-1]) for m in members if len(m.history)]),
        outcome,
        validation,
        f"{outcome.message}: {message}",
        extra,
        errors,
    )


def _snake(grids):
    """The nodes of the tensor grid, each next to the one before (a boustrophedon), for
    continuation."""
    if len(grids) == 1:
        return [(v,) for v in grids[0]]
    rest = _snake(grids[1:])
    return [(v, *r) for i, v in enumerate(grids[0]) for r in (rest if i % 2 == 0 else rest[::-1])]


def _keys(grids):
    return [tuple(round(v, 14) for v in p) for p in itertools.product(*grids)]


def _fields(solved, grids, base, state):
    """Each unknown as a `Family` over the nodes of `grids`, and the members' kinks."""
    members = [solved[k] for k in _keys(grids)]
    found = [m.extra.get(f"free_boundary_{state.name}") for m in members]
    kinks = None if any(f is None for f in found) else jnp.asarray([float(f) for f in found])
    nodes = tuple(tuple(float(v) for v in g) for g in grids)
    fields = {
        u.name: Family(tuple(m.fields[u.name] for m in members), nodes, kinks, state.lo, state.hi)
        for u in base.model.unknowns
    }
    return fields, kinks


def _check_points(state, box, names, n=CHECKS):
    """A grid of interior points (state, parameters...)."""
    axes = [state.lo + (state.hi - state.lo) * (np.arange(n) + 0.5) / n]
    axes += [box[p][0] + (box[p][1] - box[p][0]) * (np.arange(n) + 0.5) / n for p in names]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(axes))


def _errors(fine, coarse, state, box, names) -> dict[str, float]:
    x = jnp.asarray(_check_points(state, box, names))
    errors = {}
    for u in fine:
        a, b = (np.asarray(_on_points(f, x)) for f in (fine[u], coarse[u]))
        errors[u] = float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-300))
    return errors


@eqx.filter_jit
def _on_points(f, x):
    return jax.vmap(f)(x)


def _validation(compiled, fields, params, state, box, names) -> dict[str, float]:
    """The mean square of each residual of the parametric model between the nodes."""
    x = jnp.asarray(_check_points(state, box, names, n=CHECKS // 2 + 1))
    residuals = eqx.filter_jit(compiled.residuals)(fields, params, x)
    return {k: float(jnp.mean(v**2)) for k, v in residuals.items()}
