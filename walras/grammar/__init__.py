"""The `.econ` language: grammar, syntax tree and diagnostics. The parser (lark and its tables)
loads on first use: a warm run reads its parsed models back (`walras.api.parse_kept`)."""

from .diagnostics import Diagnostic, EconError, Source, Span

__all__ = ["Diagnostic", "EconError", "Source", "Span", "parse", "parse_file"]


def __getattr__(name: str):
    if name in ("parse", "parse_file"):
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
