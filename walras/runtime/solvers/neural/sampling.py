"""Training points: the open interior of the state box (Sobol or uniform), some states uniform in
their logarithm, discrete states at their values (equally often), and its faces."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import qmc


class Sampler:
    """Draws interior points with a margin off the edges, and points on each boundary face.

    Sobol sampling uses one scrambled Sobol set, shifted by a fresh random vector each step
    (a Cranley-Patterson rotation), so every batch is low-discrepancy and the step stays jitted.
    States flagged in `log` (lo > 0) are drawn half uniformly in their logarithm (dense near
    the lower edge), half uniformly in the state.
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
    ):
        flags = np.array(tuple(log) + (False,) * (len(lo) - len(log)), bool)
        self.log, self.any_log = jnp.asarray(flags), bool(flags.any())
        self.lo = jnp.asarray(lo, jnp.float64)
        self.hi = jnp.asarray(hi, jnp.float64)
        self.log_lo, self.log_hi = (
            jnp.log(jnp.where(self.log, v, 1.0)) for v in (self.lo, self.hi)
        )
        self.dim = len(lo)
        values = tuple(values) + (None,) * (len(lo) - len(values))
        self.discrete = jnp.asarray([v is not None for v in values])
        self.any_discrete = any(v is not None for v in values)
        self.counts = jnp.asarray([len(v) if v is not None else 1 for v in values])
        widest = max([len(v) for v in values if v is not None] + [1])
        self.table = jnp.asarray(
            [list(v or (0.0,)) + [0.0] * (widest - len(v or (0.0,))) for v in values] or [[0.0]],
            jnp.float64,
        )
        self.n = n
        self.method = method
        self.margin = margin
        m = max(1, int(np.ceil(np.log2(max(n, 2)))))
        base = qmc.Sobol(max(self.dim, 1), scramble=True, seed=seed).random_base2(m)[:n]
        self.base = jnp.asarray(base[:, : self.dim], jnp.float64)

    def unit(self, key, n: int | None = None) -> jax.Array:
        if self.method == "sobol" and n is None:
            return jnp.mod(self.base + jax.random.uniform(key, (1, self.dim)), 1.0)
        return jax.random.uniform(key, (n or self.n, self.dim), dtype=jnp.float64)

    def scale(self, u: jax.Array) -> jax.Array:
        m = self.margin

        def linear(u, lo, hi):
            return lo + (hi - lo) * (m + (1 - 2 * m) * u)

        if not self.any_log:
            return linear(u, self.lo, self.hi)
        low = u < 0.5
        mixed = jnp.where(
            low,
            jnp.exp(linear(2 * u, self.log_lo, self.log_hi)),
            linear(2 * u - 1, self.lo, self.hi),
        )
        return jnp.where(self.log, mixed, linear(u, self.lo, self.hi))

    def snap(self, u: jax.Array, x: jax.Array) -> jax.Array:
        """x with each discrete coordinate set to a value drawn by u (each value equally)."""
        if not self.any_discrete:
            return x
        k = jnp.clip(jnp.floor(u * self.counts).astype(int), 0, self.counts - 1)
        chosen = self.table[jnp.arange(self.dim), k]
        return jnp.where(self.discrete, chosen, x)

    def interior(self, key, n: int | None = None) -> jax.Array:
        u = self.unit(key, n)
        return self.snap(u, self.scale(u))

    def fixed(self, n: int, seed: int) -> jax.Array:
        """A fixed scrambled Sobol set of n interior points (for the polish and validation)."""
        m = max(1, int(np.ceil(np.log2(max(n, 2)))))
        u = qmc.Sobol(max(self.dim, 1), scramble=True, seed=seed).random_base2(m)[:n, : self.dim]
        u = jnp.asarray(u, jnp.float64)
        return self.snap(u, self.scale(u))
