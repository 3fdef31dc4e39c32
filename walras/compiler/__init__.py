"""From a parsed module to pure JAX functions: checks, economy layer, symbolic stage, codegen.

The names below load on first use (PEP 562): a warm solve reads a checked model back from the
cache (`runtime.store`) without importing the checks or sympy."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks import check
    from .model import Model
    from .symbolic import build
    from .system import System

_PUBLIC = {"check": ".checks", "Model": ".model", "build": ".symbolic", "System": ".system"}
__all__ = ["Model", "System", "build", "check"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value
