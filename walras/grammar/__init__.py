"""The `.econ` language: grammar, syntax tree and diagnostics."""

from .diagnostics import Diagnostic, EconError, Source, Span
from .parser import parse, parse_file

__all__ = ["Diagnostic", "EconError", "Source", "Span", "parse", "parse_file"]
