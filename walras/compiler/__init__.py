"""From a parsed module to pure JAX functions: checks, economy layer, symbolic stage, codegen."""

from .checks import check
from .model import Model
from .symbolic import build
from .system import System

__all__ = ["Model", "System", "build", "check"]
