"""Training points: the open interior of the state box (Sobol or uniform), some states uniform in
their logarithm, and its faces."""

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
        self, lo, hi, n: int, method: str, margin: float, seed: int, log: tuple[bool, ...] = ()
    ):
        flags = np.array(tuple(log) + (False,) * (len(lo) - len(log)), bool)
        self.log, self.any_log = jnp.asarray(flags), bool(flags.any())
        self.lo = jnp.asarray(lo, jnp.float64)
        self.hi = jnp.asarray(hi, jnp.float64)
        self.log_lo, self.log_hi = (
            jnp.log(jnp.where(self.log, v, 1.0)) for v in (self.lo, self.hi)
        )
        self.dim = len(lo)
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

    def interior(self, key, n: int | None = None) -> jax.Array:
        return self.scale(self.unit(key, n))

    def fixed(self, n: int, seed: int) -> jax.Array:
        """A fixed scrambled Sobol set of n interior points (for the polish and validation)."""
        m = max(1, int(np.ceil(np.log2(max(n, 2)))))
        u = qmc.Sobol(max(self.dim, 1), scramble=True, seed=seed).random_base2(m)[:n, : self.dim]
        return self.scale(jnp.asarray(u, jnp.float64))
