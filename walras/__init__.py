"""walras: a compiler for continuous-time economic models and asset-pricing specifications.

The public names are imported on first use (PEP 562), so `import walras` and `import
walras.grammar` stay light: JAX is loaded only when a model is compiled or solved.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .api import Model, load, solve
    from .compiler.codegen import Compiled
    from .grammar import EconError
    from .runtime.factors import estimate
    from .runtime.results import Solution
    from .settings import Settings

_PUBLIC = {
    "Compiled": ".compiler.codegen",
    "EconError": ".grammar",
    "Model": ".api",
    "Settings": ".settings",
    "Solution": ".runtime.results",
    "estimate": ".runtime.factors",
    "load": ".api",
    "solve": ".api",
}
_SUBMODULES = ("api", "cli", "compiler", "grammar", "models", "precision", "runtime", "settings")

__all__ = [
    "Compiled",
    "EconError",
    "Model",
    "Settings",
    "Solution",
    "__version__",
    "estimate",
    "load",
    "solve",
]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name], __name__), name)
    elif name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
