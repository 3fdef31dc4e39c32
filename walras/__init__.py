"""walras: a compiler for continuous-time economic models and asset-pricing specifications."""

import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from .api import Model, load, solve  # noqa: E402
from .compiler.codegen import Compiled  # noqa: E402
from .grammar import EconError  # noqa: E402


def estimate(*args, **kwargs):
    """Estimate factor models; see `walras.runtime.factors.estimate` (imported on first use)."""
    from .runtime.factors import estimate as run
    return run(*args, **kwargs)


__all__ = ["Compiled", "EconError", "Model", "__version__", "estimate", "load", "solve"]
