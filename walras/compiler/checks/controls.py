"""Checks of controls: their bounds, and that each is maximised over by exactly one HJB."""

from __future__ import annotations

import math

from ...grammar import ast
from ..model import Control


class Controls:
    """The checks of `control` declarations and of `max(...)` in equations, a part of the
    checker (`self.out`, `self.kind`, `self.constant`, `self.undeclared` and `self.of` are the
    checker's)."""

    def controls(self, params) -> list[Control]:
        result = []
        for c in self.of(ast.ControlDecl):
            lo, hi = (
                None if b is None else self.constant(b, params, "a control's bound")
                for b in (c.lo, c.hi)
            )
            # a bound that is not constant is NaN here, and E120 says why
            if lo is not None and hi is not None and not lo < hi and not math.isnan(lo + hi):
                self.out.error(
                    "E164",
                    f"the bounds of the control '{c.name}' leave it no room: [{lo:g}, {hi:g}]",
                    c.span,
                    "write the lower bound first, below the upper one",
                )
            result.append(Control(c.name, lo, hi, c.binding, c.doc, c.span, (c.lo, c.hi)))
        return result

    def maximised(self, controls: list[Control]):
        """Every name in `max(...)` is a control, and every control is maximised once."""
        where: dict[str, int] = {}
        for e in self.of(ast.EquationDecl):
            for x in e.over:
                if not isinstance(x, ast.Name):
                    self.out.error(
                        "E161", "'max' takes the names of controls", x.span, "write 'max(c): ...'"
                    )
                elif self.kind(x.id) is None:
                    self.undeclared(x, [c.name for c in controls])
                elif self.kind(x.id) != "control":
                    self.out.error(
                        "E161",
                        f"'max' is over '{x.id}', which is a {self.kind(x.id)}, not a control",
                        x.span,
                        f"declare the variable to choose with 'control {x.id}'"
                        if self.kind(x.id) == "unknown"
                        else "a maximum is taken over controls, declared with 'control NAME'",
                    )
                elif x.id in where:
                    self.out.error(
                        "E161",
                        f"the control '{x.id}' is maximised over a second time",
                        x.span,
                        notes=(f"first in the equation at line {where[x.id]}",),
                    )
                else:
                    where[x.id] = e.span.line
        for c in controls:
            if c.name not in where:
                self.out.error(
                    "E160",
                    f"the control '{c.name}' is never maximised over",
                    c.span,
                    f"choose it in an HJB: 'equation hjb: rho*V = max({c.name}): ...'",
                )
