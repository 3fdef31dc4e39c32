"""Training points: the open interior of the state box (Sobol or uniform), some states uniform in
their logarithm, discrete states at their values (equally often), the states of each simplex
drawn on it (uniformly and near its faces), and the box's faces."""

from __future__ import annotations

from importlib.metadata import version

import jax
import jax.numpy as jnp
import numpy as np

from ... import store

# On a simplex, half the points are uniform (Dirichlet(1)) and half Dirichlet(FACE_ALPHA): each
# share's density then grows like share^(FACE_ALPHA - 1) towards 0, near the faces and corners
# where agents vanish and the equations are singular (a log-uniform share would be α → 0).
FACE_ALPHA = 0.2


class Sampler:
    """Draws interior points with a margin off the edges, and points on each boundary face.

    Sobol sampling uses one scrambled Sobol set, shifted by a fresh random vector each step
    (a Cranley-Patterson rotation), so every batch is low-discrepancy and the step stays jitted.
    States flagged in `log` (lo > 0) are drawn half uniformly in their logarithm (dense near
    the lower edge), half uniformly in the state. The states of a simplex (`simplices`, tuples
    of indices) are drawn on it, every share (the implicit last one, 1 − Σ others, included)
    kept at least `floor` off 0: half uniform, half Dirichlet(FACE_ALPHA).
    """

    def __init__(
        self,
        lo,
        hi,
        n: int,
        method: str,
        margin: float,
        seed: int,
        log: tuple[bool, ...] = (),
        values: tuple = (),
        simplices: tuple[tuple[int, ...], ...] = (),
    ):
        # host constants (NumPy): in a trace they are constants, outside one nothing is compiled
        self.log = np.array(tuple(log) + (False,) * (len(lo) - len(log)), bool)
        self.any_log = bool(self.log.any())
        self.lo = np.asarray(lo, np.float64)
        self.hi = np.asarray(hi, np.float64)
        self.log_lo, self.log_hi = (np.log(np.where(self.log, v, 1.0)) for v in (self.lo, self.hi))
        self.dim = len(lo)
        values = tuple(values) + (None,) * (len(lo) - len(values))
        self.discrete = np.asarray([v is not None for v in values])
        self.any_discrete = any(v is not None for v in values)
        self.counts = np.asarray([len(v) if v is not None else 1 for v in values])
        widest = max([len(v) for v in values if v is not None] + [1])
        self.table = np.asarray(
            [list(v or (0.0,)) + [0.0] * (widest - len(v or (0.0,))) for v in values] or [[0.0]],
            np.float64,
        )
        self.n = n
        self.method = method
        self.margin = margin
        self.simplices = tuple(tuple(g) for g in simplices)
        # a share's floor: the cut, raised by the margin in its logarithm as on a box's log axis,
        # or the margin (of a share's range, 1) where the simplex is not cut
        self.floors = tuple(
            float(max(lo[i] for i in g)) ** (1 - margin) if max(lo[i] for i in g) > 0 else margin
            for g in self.simplices
        )
        self.base = np.asarray(sobol(self.dim, n, seed), np.float64)

    def unit(self, key, n: int | None = None) -> jax.Array:
        if self.method == "sobol" and n is None:
            return jnp.mod(self.base + jax.random.uniform(key, (1, self.dim)), 1.0)
        return jax.random.uniform(key, (n or self.n, self.dim), dtype=jnp.float64)

    def scale(self, u):
        """Unit points u onto the box (NumPy on the host, traced in a trace)."""
        xp, m = u.__array_namespace__(), self.margin

        def linear(u, lo, hi):
            return lo + (hi - lo) * (m + (1 - 2 * m) * u)

        if not self.any_log:
            return linear(u, self.lo, self.hi)
        low = u < 0.5
        mixed = xp.where(
            low,
            xp.exp(linear(2 * u, self.log_lo, self.log_hi)),
            linear(2 * u - 1, self.lo, self.hi),
        )
        return xp.where(self.log, mixed, linear(u, self.lo, self.hi))

    def snap(self, u, x):
        """x with each discrete coordinate set to a value drawn by u (each value equally)."""
        if not self.any_discrete:
            return x
        xp = u.__array_namespace__()
        k = xp.clip(xp.floor(u * self.counts).astype(int), 0, self.counts - 1)
        chosen = xp.asarray(self.table)[xp.arange(self.dim), k]
        return xp.where(self.discrete, chosen, x)

    def interior(self, key, n: int | None = None) -> jax.Array:
        if self.simplices:
            key, sub = jax.random.split(key)
        u = self.unit(key, n)
        x = self.snap(u, self.scale(u))
        return self.on_simplices(x, sub) if self.simplices else x

    def on_simplices(self, x: jax.Array, key) -> jax.Array:
        """x with each simplex's states drawn on it: half uniformly, half near its faces."""
        for group, floor, k in zip(
            self.simplices, self.floors, jax.random.split(key, len(self.simplices))
        ):
            half = x.shape[0] // 2
            k1, k2 = jax.random.split(k)
            d = jnp.concatenate(
                [
                    jax.random.dirichlet(k1, jnp.ones(len(group) + 1), (x.shape[0] - half,)),
                    jax.random.dirichlet(k2, jnp.full(len(group) + 1, FACE_ALPHA), (half,)),
                ]
            )
            x = x.at[:, list(group)].set(_lifted(d, floor))
        return x

    def faces(self, x: np.ndarray) -> np.ndarray:
        """The host points x moved onto each face of the box: every continuous state outside a
        simplex set to its lower and to its upper edge in turn (the cut, where there is one),
        the other coordinates kept."""
        on_simplex = {i for g in self.simplices for i in g}
        edges = []
        for i in range(self.dim):
            if i in on_simplex or self.discrete[i]:
                continue
            for edge in (self.lo[i], self.hi[i]):
                edges.append(x.copy())
                edges[-1][:, i] = edge
        return np.concatenate(edges) if edges else x[:0]

    def fixed(self, n: int, seed: int) -> np.ndarray:
        """A fixed set of n interior points (for the polish and validation), on the host:
        scrambled Sobol on the box, the same mixture as `interior` on each simplex."""
        u = np.asarray(sobol(self.dim, n, seed), np.float64)
        x = self.snap(u, self.scale(u))
        rng = np.random.default_rng(seed)
        for group, floor in zip(self.simplices, self.floors):
            half = n // 2
            d = np.concatenate(
                [
                    rng.dirichlet(np.ones(len(group) + 1), n - half),
                    rng.dirichlet(np.full(len(group) + 1, FACE_ALPHA), half),
                ]
            )
            x[:, list(group)] = _lifted(d, floor)
        return x


def sobol(dim: int, n: int, seed: int) -> np.ndarray:
    """The first n of 2^m ≥ n scrambled Sobol points in [0, 1)^dim (scipy's), kept in the cache
    folder, so that a warm run does without importing scipy.stats (0.7 s)."""
    m = max(1, int(np.ceil(np.log2(max(n, 2)))))

    def build():
        from scipy.stats import qmc

        return qmc.Sobol(max(dim, 1), scramble=True, seed=seed).random_base2(m)[:n, :dim]

    return store.kept("sobol", f"{dim} {n} {seed} scipy {version('scipy')}", build)


def _lifted(d, floor: float):
    """Points d of the simplex (all shares, summing to 1) moved to {every share ≥ floor}; the
    states are all shares but the last."""
    return (floor + (1 - d.shape[-1] * floor) * d)[:, :-1]
