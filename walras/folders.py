"""The cache folder, shared by every on-disk cache (`runtime.cache`, the grammar's parse tables):
$WALRAS_CACHE, else ~/.cache/walras (`docs/cache.md`). Light: no JAX."""

from __future__ import annotations

import os
from pathlib import Path


def root() -> Path:
    """The cache folder: $WALRAS_CACHE, else ~/.cache/walras."""
    return Path(os.environ.get("WALRAS_CACHE") or Path.home() / ".cache" / "walras")


def writable(path: Path) -> bool:
    """Whether `path` is (or can be made) a folder this process may write in."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)
