"""Discrete states in collocation: an unknown of discrete states (each a finite set of values)
and continuous ones is one Chebyshev expansion of its continuous states per combination of
discrete values, chosen by the discrete coordinates, so an unknown evaluated after a jump of a
discrete state reads the other regime's expansion. The coefficients carry one leading axis per
discrete state (its values) before the Chebyshev axes; the nodes are the continuous nodes times
every combination of values."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np

from ...pytree import pytree, static
from . import chebyshev as cheb
from . import smolyak


@pytree
class Regimes:
    """u(x) = the expansion of the regime nearest x's discrete coordinates (`discrete`, positions
    in x; `values`, each one's values), at x's other coordinates."""

    coef: jnp.ndarray
    lo: jnp.ndarray
    hi: jnp.ndarray
    values: tuple = static()
    discrete: tuple = static()
    log: tuple = static(default=())
    positive: bool = static(default=False)
    simplices: tuple = static(default=())  # of the continuous coordinates
    sparse: smolyak.SparseGrid | None = static(default=None)  # None: tensor

    def __call__(self, x):
        regime = tuple(
            jnp.argmin(jnp.abs(x[i] - jnp.asarray(v))) for i, v in zip(self.discrete, self.values)
        )
        rest = np.array([i for i in range(x.shape[0]) if i not in self.discrete], int)
        # the coefficients are NumPy outside a trace, and a regime's index may be traced
        coef = jnp.asarray(self.coef)[regime] if regime else self.coef
        inner = (
            cheb.Chebyshev(coef, self.lo, self.hi, self.log, self.positive, self.simplices)
            if self.sparse is None
            else smolyak.Smolyak(
                coef,
                self.lo,
                self.hi,
                self.log,
                self.positive,
                self.simplices,
                self.sparse,
            )
        )
        return inner(x[rest])


def unit_axes(states, n: int, continuous) -> list[np.ndarray]:
    """Per state, its points in [−1, 1]: `continuous(n)` for a continuous state, the images of
    the values under the map of [min, max] onto [−1, 1] for a discrete one."""
    return [
        continuous(n)
        if not s.discrete
        else (2 * np.asarray(s.values) - (s.lo + s.hi)) / (s.hi - s.lo)
        for s in states
    ]


def product(axes: list[np.ndarray]) -> np.ndarray:
    """Every combination of the axes' points, (points, len(axes)) in ij order."""
    if not axes:
        return np.zeros((1, 0))
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], -1)


def with_discrete(states, nodes: np.ndarray) -> np.ndarray:
    """Points of the continuous states (`nodes`, (m, continuous)) times every combination of the
    discrete states' values (their images in [−1, 1]), in the order of `states`."""
    discrete = [i for i, s in enumerate(states) if s.discrete]
    combos = product([a for a, s in zip(unit_axes(states, 1, np.zeros), states) if s.discrete])
    out = np.zeros((len(combos), len(nodes), len(states)))
    out[..., [i for i in range(len(states)) if i not in discrete]] = nodes
    out[..., discrete] = combos[:, None, :]
    return out.reshape(-1, len(states))


def interpolate(
    guess,
    lo,
    hi,
    n: int,
    flags,
    positive: bool,
    values,
    discrete,
    d: int,
    simplices=(),
    sparse=None,
):
    """Coefficients (regimes, then Chebyshev axes, or one axis of a Smolyak grid `sparse`)
    interpolating guess(points) per regime; the points have the unknown's d coordinates, the
    discrete ones (`discrete`) set to the regime's."""
    rest = [i for i in range(d) if i not in discrete]
    blocks = []
    for combo in itertools.product(*values):

        def at(y, combo=combo):
            full = np.zeros((y.shape[0], d))
            full[:, rest] = y
            full[:, list(discrete)] = combo
            return guess(full)

        if sparse is not None:
            blocks.append(smolyak.interpolate(at, lo, hi, sparse, flags, positive, simplices))
        elif rest:
            blocks.append(cheb.interpolate(at, lo, hi, n, flags, positive, simplices))
        else:
            blocks.append(np.asarray(at(np.zeros((1, 0))), float).reshape(()))
    axes = (sparse.size,) if sparse is not None else (n,) * len(rest)
    shape = tuple(len(v) for v in values) + axes
    return np.stack(blocks).reshape(shape)
