"""The rows a collocation system adds to the model's equations: at a cut edge a power law, at a
constrained edge a finite slope (`root`), and between two pieces their junction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from . import chebyshev as cheb
from . import root, smolyak

if TYPE_CHECKING:
    from .problem import System


def edge_terms(system: System) -> list[tuple]:
    """(unknown, axis of its expansion, state, end of the axis): power-law behaviour at a cut
    edge."""
    return [
        (u, len(system.regimes[u]) + k, i, end)
        for u, a in system.args.items()
        if u in system.second_order
        for k, i in enumerate(i for i in a if system.values[i] is None)
        if system.log[i]
        for end in ((-1.0, 1.0) if system.upper[i] else (-1.0,))
    ]


def root_terms(system: System, held: dict) -> list[tuple]:
    """(unknown, axis of its expansion, side): a finite slope at a constrained edge (`held`:
    `root.constrained`)."""
    slopes = system.compiled.outline.differentiated
    return [
        (u, len(system.regimes[u]) + k, held[i])
        for u, a in system.args.items()
        if u in slopes
        for k, i in enumerate(i for i in a if system.values[i] is None)
        if i in held
    ]


def edge_rows(system: System, tree) -> list[jax.Array]:
    """At a cut edge, each unknown that enters to second order is a power law of the state:
    the second derivative of its expansion in the log coordinate vanishes there (of log u for
    a positive unknown). The equation's regularity at the true edge, 0, selects the solution;
    the cut stands in for it. At a constrained edge (`root`), each unknown whose derivatives
    enter has a finite slope in the state: its expansion's slope in z vanishes there."""
    rows = []
    for u, k, i, end in system.edge_terms:
        touching = [0] if system.pieces > 1 and i == 0 else range(system.pieces)
        sparse = system.sparse(u)
        for p in touching:
            c = tree["coef"][u][p]
            if sparse is None:
                rows.append(cheb.end_derivative(c, k, 2, end))
            else:  # one row per regime and node of the face
                axis = k - len(system.regimes[u])
                per_regime = c.reshape(-1, sparse.size)
                rows += [smolyak.edge_curvature(r, sparse, axis, end) for r in per_regime]
    rows += [root.end_slope(tree["coef"][u][0], k, side) for u, k, side in system.root_terms]
    return rows


def junction(system: System, tree, lo) -> jax.Array:
    """Continuity of each unknown at the cut, and of its slope if it enters to second order."""
    left, right = system.pieces_of(tree, lo)
    s = system.boxes(tree, lo)[1][0, 0]
    rows = []
    for u in tree["coef"]:
        x = jnp.zeros(len(system.args[u])).at[0].set(s)
        rows.append(left[u](x) - right[u](x))
        if u in system.second_order:
            e = jnp.zeros_like(x).at[0].set(1.0)
            rows.append(jax.jvp(left[u], (x,), (e,))[1] - jax.jvp(right[u], (x,), (e,))[1])
    return jnp.stack(rows)
