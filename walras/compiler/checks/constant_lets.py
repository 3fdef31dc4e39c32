"""Definitions of parameters alone (`let b_v = (beta + kappa - sqrt(...))/sigma_l^2`) evaluated at
the parameter values: one without a real, finite value (the square root of a negative number at
these values) makes every equation that uses it NaN, so it is an error at its place, not a
solver's failure."""

from __future__ import annotations

from types import SimpleNamespace

from ...grammar import ast
from .declarations import _constant_function


class ConstantLets:
    """A part of the checker (`self.of`, `self.constant` are the checker's)."""

    def constant_lets(self, params: dict) -> None:
        """Evaluate, in order, every definition of numbers, parameters and such definitions."""
        known = dict(params)
        for d in self.of(ast.LetDecl):
            if all(_of_constants(e, known) for e in ast.walk(d.expr)):
                what = f"'{d.name}' at these parameter values"
                known[d.name] = SimpleNamespace(value=self.constant(d.expr, known, what))


def _of_constants(e, known: dict) -> bool:
    """Whether node `e` may be part of a constant: a number, a known name, arithmetic or a
    function of one argument with a float form."""
    if isinstance(e, ast.Name):
        return e.id in known
    return isinstance(e, ast.Num | ast.Neg | ast.BinOp) or _constant_function(e)
