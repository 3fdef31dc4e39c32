"""The size of the expansions: which basis the setting `basis` asks for, and the degree each
unknown gets under a cap on its number of coefficients."""

from __future__ import annotations

from ..base import Problem
from . import MAX_DEGREE, smolyak

MAX_COEFFICIENTS = 4096  # per unknown and piece: caps the degree of 2- and 3-state expansions
SPARSE_FROM = 3  # continuous states from which the "auto" basis is a Smolyak grid


def degree_for(
    problem: Problem,
    degree: int,
    basis: str = "tensor",
    rounding: str = "",
    budget: int = MAX_COEFFICIENTS,
) -> int:
    """The requested degree, capped so no unknown has more than `budget` coefficients (and at
    MAX_DEGREE, the most a setting may ask: one state's cap alone is 4095); with the smolyak
    basis, the degree of a level under the same cap (`smolyak.degree_within`, `rounding`
    "", "up" or "down")."""
    continuous = [[i for i in a if not problem.states[i].discrete] for a in problem.axes.values()]
    d = max([len(a) for a in continuous] + [1])
    if basis != "smolyak":
        return max(1, min(degree, int(round(budget ** (1 / d))) - 1, MAX_DEGREE))
    return smolyak.degree_within(degree, d, budget, rounding)


def basis_for(problem: Problem, choice: str) -> str:
    """The basis the setting `basis` asks for: "auto" is smolyak from SPARSE_FROM continuous
    states up, tensor below."""
    if choice != "auto":
        return choice
    continuous = sum(not s.discrete for s in problem.states)
    return "smolyak" if continuous >= SPARSE_FROM else "tensor"
