"""The on-disk cache of compiled XLA programs, shared by both solvers."""

from __future__ import annotations

import os
from pathlib import Path

import jax


def persistent_cache() -> None:
    """Keep compiled XLA programs on disk between processes (unless a cache is already set):
    tracing stays, compiling goes. $WALRAS_CACHE, else ~/.cache/walras/jax."""
    if jax.config.jax_compilation_cache_dir:
        return
    path = Path(os.environ.get("WALRAS_CACHE", Path.home() / ".cache" / "walras" / "jax"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
