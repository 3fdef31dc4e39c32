"""The collocation solver: Chebyshev expansions of the unknowns, residuals at Gauss-Chebyshev
nodes, Levenberg-Marquardt on the residual vector (`driver`); its settings group is declared
here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import register

MAX_DEGREE = 1024  # per state, asked for or raised to


@dataclass(frozen=True)
class CollocationSettings:
    """A field's `metadata` gives its valid range ("min"/"above", "max"/"below"); a degree above
    1024 needs more memory than a solve should take (and is capped further, to 4096 coefficients
    per unknown, with several states)."""

    degree: int = field(default=32, metadata={"min": 1, "max": MAX_DEGREE})  # per state
    iterations: int = field(default=50, metadata={"min": 1, "max": 10**5})  # per stage
    residual_tol: float = field(default=1e-8, metadata={"above": 0})  # sup-norm off the nodes
    basis: str = field(default="auto", metadata={"choices": ("auto", "smolyak", "tensor")})
    # smolyak: sparse grids (`smolyak`); auto: smolyak from three continuous states up
    start: str = field(default="auto", metadata={"choices": ("auto", "direct", "pseudo_time")})
    # how a solve leaves its start: `pseudo_time` walks the time-dependent equations from it
    # first (`pseudo_time`), `direct` solves the stationary ones at once, `auto` walks where
    # the direct solve from the start fails
    positive: str = field(default="value", metadata={"choices": ("value", "log")})
    # how an unknown declared > 0 is expanded: its value, or (`log`) its logarithm everywhere,
    # not only along a cut edge (ratios and powers of such unknowns are then smoother in the
    # coefficients: `di_tella`, docs/models/di_tella.md)


def _load():
    from .driver import CollocationSolver

    return CollocationSolver()


register("collocation", CollocationSettings, _load)
