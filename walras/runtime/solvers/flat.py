"""A pytree of float64 arrays as one flat vector and back, as `jax.flatten_util.ravel_pytree`
does, but NumPy in, NumPy out: outside a trace nothing is compiled (each eager `jnp` operation
of a process is lowered once and looked up in the compilation cache, hundredths of a second
apiece on a warm start); inside one the same slices and reshapes are traced."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class Flat:
    """The layout of `template`'s leaves in one vector of `size` entries."""

    def __init__(self, template):
        leaves, self.tree = jax.tree.flatten(template)
        self.shapes = [np.shape(v) for v in leaves]
        self.ends = np.cumsum([int(np.prod(s)) for s in self.shapes], dtype=int)
        self.size = int(self.ends[-1]) if leaves else 0

    def unravel(self, flat):
        """The pytree of `flat`: traced leaves in a trace, else NumPy leaves."""
        traced = isinstance(flat, jax.core.Tracer)
        xp = jnp if traced else np
        parts = xp.split(flat if traced else np.asarray(flat), self.ends[:-1])
        return jax.tree.unflatten(
            self.tree, [p.reshape(s) for p, s in zip(parts, self.shapes, strict=True)]
        )

    def ravel(self, tree):
        """The flat vector of `tree`: traced in a trace, else NumPy (leaves copied to the host)."""
        leaves = jax.tree.leaves(tree)
        xp = jnp if any(isinstance(v, jax.core.Tracer) for v in leaves) else np
        return xp.concatenate([xp.ravel(xp.asarray(v, np.float64)) for v in leaves])
