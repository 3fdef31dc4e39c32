"""From a parsed module to pure JAX functions: checks, economy layer, symbolic stage, codegen."""

from .checks import check
from .model import Model
from .symbolic import System, build

__all__ = ["Model", "System", "build", "check"]
