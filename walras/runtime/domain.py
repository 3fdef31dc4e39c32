"""The state space: a box of states, some of whose states may lie together on a simplex
{x_i ≥ 0, Σ x_i ≤ 1} (the wealth shares of more than two agents). What lies inside it, uniform
draws from it, and the stick-breaking map that carries the unit cube onto a simplex (the
coordinates of the collocation solver there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class Domain:
    """States with bounds `lo`, `hi` (arrays in the model's order of states) and `simplices`,
    tuples of indices of states that lie on a simplex together."""

    lo: np.ndarray
    hi: np.ndarray
    simplices: tuple[tuple[int, ...], ...] = ()
    discrete: tuple[tuple[int, tuple[float, ...]], ...] = ()  # (index, values) of discrete states

    @classmethod
    def of(cls, model, order: Sequence[str] | None = None) -> Domain:
        """The domain of a checked model, its states in `order` (the model's by default)."""
        by_name = {s.name: s for s in model.states}
        order = list(order or by_name)
        return cls(
            np.array([by_name[n].lo for n in order], float),
            np.array([by_name[n].hi for n in order], float),
            tuple(tuple(order.index(n) for n in group) for group in model.simplices),
            tuple((i, by_name[n].values) for i, n in enumerate(order) if by_name[n].discrete),
        )

    def inside(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Which rows of `x` (n, d) lie in the domain, edges included."""
        x = np.asarray(x, float)
        ok = ((x >= self.lo - tol) & (x <= self.hi + tol)).all(axis=1)
        for group in self.simplices:
            ok &= x[:, list(group)].sum(axis=1) <= 1 + tol
        return ok

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n points drawn uniformly from the domain (uniform on each simplex: Dirichlet(1); a
        discrete state's values equally likely)."""
        rng = np.random.default_rng(seed)
        x = self.lo + (self.hi - self.lo) * rng.random((n, len(self.lo)))
        for group in self.simplices:
            x[:, list(group)] = rng.dirichlet(np.ones(len(group) + 1), n)[:, :-1]
        for i, values in self.discrete:
            x[:, i] = rng.choice(np.asarray(values, float), n)
        return x

    def centre(self) -> np.ndarray:
        """The middle of each state's range; on a simplex, every share equal."""
        x = (self.lo + self.hi) / 2
        for group in self.simplices:
            x[list(group)] = 1 / (len(group) + 1)
        return x

    def slices(self, n: int) -> np.ndarray:
        """(states, n, states): for each state, n points of the line through the centre along
        it (cell centres of its range); a share of a simplex runs from 0 to 1 with the other
        shares, the implicit last one included, equal."""
        d, centre = len(self.lo), self.centre()
        t = (np.arange(n) + 0.5) / n
        out = np.repeat(centre[None, None, :], d, 0).repeat(n, 1)
        for i in range(d):
            out[i, :, i] = self.lo[i] + (self.hi[i] - self.lo[i]) * t
            for group in self.simplices:
                if i in group:
                    others = [j for j in group if j != i]
                    out[i][:, others] = ((1 - t) / len(group))[:, None]
                    out[i, :, i] = t
        return out


def from_cube(u, group: Sequence[int]):
    """Stick-breaking: points u of the unit cube onto the simplex of the states `group`,
    x_k = u_k (1 − x_1 − … − x_{k−1}); the other coordinates unchanged. Smooth, one to one on
    the open cube, and its inverse (`to_cube`) is smooth inside the simplex."""
    x, rest = (u if isinstance(u, jax.Array) else np.array(u, float)), 1.0
    for k in group:
        if isinstance(x, jax.Array):
            x = x.at[..., k].set(u[..., k] * rest)
        else:  # (host points stay on the host)
            x[..., k] = u[..., k] * rest
        rest = rest - x[..., k]
    return x


def to_cube(x, group: Sequence[int]):
    """The inverse of `from_cube`: u_k = x_k / (1 − x_1 − … − x_{k−1})."""
    u, rest = x, 1.0
    for k in group:
        u = u.at[..., k].set(x[..., k] / rest)
        rest = rest - x[..., k]
    return u


def cube_to_simplices(u, simplices) -> jnp.ndarray:
    """`from_cube` on every simplex of a domain (host points stay on the host, compiling
    nothing)."""
    if not simplices:
        return u
    for group in simplices:
        u = from_cube(u, group)
    return u
