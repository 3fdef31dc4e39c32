"""The economy layer: agents, assets and markets lowered into equation-level statements."""

from __future__ import annotations

from ..grammar import ast
from ..grammar.diagnostics import Collector

ECONOMY = (ast.EndowmentDecl, ast.AssetDecl, ast.AgentDecl, ast.ConstraintDecl)


def lower(module: ast.Module) -> ast.Module:
    """Return an equation-level module; equation-level input comes back unchanged."""
    found = [s for s in module.statements if isinstance(s, ECONOMY)]
    if not found:
        return module
    out = Collector()
    out.error("E200", "economy-level statements are not compiled yet", found[0].span,
              "write the model at the equation level")
    out.raise_if_errors()
    return module
