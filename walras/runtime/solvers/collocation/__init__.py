"""The collocation solver: Chebyshev expansions of the unknowns, residuals at Gauss-Chebyshev
nodes, Levenberg-Marquardt on the residual vector (`driver`); its settings group is declared
here."""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import register


@dataclass(frozen=True)
class CollocationSettings:
    degree: int = 32  # per state (capped at 4096 coefficients per unknown)
    iterations: int = 50  # Newton (Levenberg-Marquardt) iterations per stage
    residual_tol: float = 1e-8  # residual sup-norm off the nodes that counts as solved


def _load():
    from .driver import CollocationSolver

    return CollocationSolver()


register("collocation", CollocationSettings, _load)
