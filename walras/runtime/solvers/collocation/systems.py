"""The collocation systems of a compiled model (`Systems`, by shape and cut edge, shared through
the model's memo) and one solve at fixed parameters (`Attempt`)."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from ..base import Problem
from . import report, root
from .evidence import Evidence
from .problem import System
from .sizing import MAX_COEFFICIENTS, basis_for, degree_for


class Systems:
    """The collocation systems of a compiled model, by shape and cut edge, kept in the model's
    `memo`: homotopy steps, cut moves and later solves at other parameters (which are arguments
    of the systems' functions) reuse their traced and compiled functions."""

    def __init__(self, problem: Problem, basis: str = "auto", logs: bool = False):
        self.problem, self.basis = problem, basis_for(problem, basis)
        self.logs = logs  # every positive unknown expanded as its logarithm (`positive = log`)
        self.anchors: tuple = ()  # (state index, Anchor): axes crowded towards an edge

    def logged(self) -> Systems:
        """The same systems with every positive unknown expanded as its logarithm."""
        other = Systems(self.problem, self.basis, logs=True)
        other.anchors = self.anchors
        return other

    def degree(self, degree: int, rounding: str = "", budget: int = MAX_COEFFICIENTS) -> int:
        """`degree_for` in this basis."""
        return degree_for(self.problem, degree, self.basis, rounding, budget)

    def get(self, degree: int, pieces: int, edge: float) -> System:
        """The system at a cut edge (0: none); those at other cuts share its functions."""
        memo = self.problem.compiled.memo
        key = ("collocation", degree, pieces, edge, self.basis, self.anchors, self.logs)
        if key not in memo:
            shape = ("collocation", degree, pieces, bool(edge), self.basis, self.anchors, self.logs)
            shared = memo.get(shape)
            memo[key] = System(
                self.problem, degree, pieces, edge, self.basis, self.anchors, shared, self.logs
            )
            memo.setdefault(shape, memo[key])
        return memo[key]


@dataclass
class Attempt:
    """One solve at fixed parameters."""

    system: System
    theta: jax.Array
    ev: Evidence
    history: list[float]
    iterations: int
    notes: list[str]
    cut: float | None
    walked: bool = False  # it started where a walk in pseudo-time from the start ended
    reached: bool = False  # its last Levenberg-Marquardt solve converged (at the nodes)
    exhausted: bool = False  # higher degrees did not help, or the cap left none to try
    coarse: bool = False  # the coarse start carried it up to its degree, where it reached the
    # collocation solution: what is left off the nodes is the degree's truncation, which the
    # error estimate measures; the remedies that start over (cut, crowding, homotopy, a walk at
    # a higher degree) are not tried on it

    def converged(self, settings) -> bool:
        return self.ev.ok and self.ev.total <= settings.residual_tol

    def solved(self, settings) -> bool:
        """The residual half of the rule of convergence, defined here only: the residuals off
        the nodes within `residual_tol`, or the degree's truncation at a collocation solution
        reached at the nodes (`coarse`, or `truncated`); the other half, the estimated error
        within `tol_error`, is `report.outcome`'s. A solved attempt goes to the error estimate,
        not to the remedies."""
        return self.converged(settings) or (
            self.ev.ok and (self.coarse or self.truncated(settings))
        )

    def held(self, settings) -> bool:
        """The equations hold at the nodes within `residual_tol`."""
        at_nodes = np.sqrt(self.history[-1]) if self.history else np.inf
        return at_nodes <= settings.residual_tol

    def truncated(self, settings) -> bool:
        """The equations hold at the nodes and the coefficients have decayed
        (`report.DECAYED`): what is left off the nodes is the degree's truncation, however
        large the equations' own scale makes it (an Euler equation in marginal utility
        c^-5 ~ 1e5), except at a constrained edge, where the decay understates it
        (`root.amplified`)."""
        return self.held(settings) and self.decayed

    def short(self, settings) -> bool:
        """The equations hold at the nodes but not off them, and the coefficients have not
        decayed: the degree falls short (a higher degree is the remedy, not another start)."""
        return (
            self.ev.ok and self.held(settings) and not self.converged(settings) and not self.decayed
        )

    @property
    def decayed(self) -> bool:
        """Every unknown's last coefficients below `report.DECAYED` of its largest, away from a
        constrained edge (`root.amplified`: there the decay understates the truncation)."""
        tails = report.tails(self.system, self.theta).values()
        return max(tails, default=0.0) <= report.DECAYED and not root.amplified(self.system)

    @property
    def fields(self) -> dict:
        return self.system.fields(self.theta)
