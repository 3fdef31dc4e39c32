"""What every solver shares: the `Problem` it solves, the `Solver` protocol, the `Outcome` of a
solve, the run `Options`, and the one rule for cutting zero edges of the state space."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from ...compiler.codegen import Compiled, boundary_weight
from ...grammar import ast
from ..domain import Domain

if TYPE_CHECKING:
    from ...compiler.model import State, Unknown
    from ...compiler.outline import Face
    from ...settings import Settings
    from ..devices import Devices
    from ..results import Solution

EDGE = 1e-4  # where a zero lower edge is cut unless the setting `edge` says otherwise: a share
# of the state's range, so a state on [0, 1.2e-3] is cut at 1.2e-7, one on [0, 1] at 1e-4


def worst_error(errors: Mapping[str, float]) -> tuple[str | None, float]:
    """The unknown with the largest estimated error and that error, a NaN counted as infinite
    (an estimate that failed is no evidence of convergence); (None, 0) without unknowns."""
    if not errors:
        return None, 0.0
    sizes = {u: e if e == e else math.inf for u, e in errors.items()}
    worst = max(sizes, key=sizes.__getitem__)
    return worst, sizes[worst]


def error_above(errors: Mapping[str, float], tol_error: float) -> str | None:
    """Why a solve is not converged by its estimated errors, or None when all are within."""
    worst, largest = worst_error(errors)
    if largest <= tol_error:
        return None
    return (
        f"estimated error of {worst} {largest:.2g} (relative to its largest size)"
        f" > tol_error {tol_error:g}"
    )


class Outcome(Enum):
    """How a solve ended; its value is the head of the solution's message, the solver appends
    the details."""

    CONVERGED = "converged"
    NOT_CONVERGED = "not converged"  # the tolerance was not reached
    NONFINITE = "not finite"  # the loss or the residuals are NaN or infinite
    INTERRUPTED = "interrupted"  # Ctrl-C

    @property
    def message(self) -> str:
        return self.value

    @property
    def converged(self) -> bool:
        return self is Outcome.CONVERGED


@dataclass(frozen=True)
class Problem:
    """A compiled model as every solver sees it: the states and their domains, the unknowns (each
    a function of `axes`, indices into the states) and their bounds, the interior residual rows
    (`equations`, the complementarities among them), the boundary rows, the loss weights, the
    parameters to solve at, and what the edge-cut rule needs."""

    compiled: Compiled
    params: Mapping[str, float]
    states: tuple[State, ...]
    unknowns: tuple[Unknown, ...]
    axes: Mapping[str, tuple[int, ...]]
    equations: tuple[str, ...]
    complementarities: tuple[str, ...]
    boundaries: tuple[Face, ...]
    weights: Mapping[str, float]
    cuttable: frozenset[str]  # zero lower edges with no boundary condition there
    diverging: frozenset[str]  # states of which an unknown > 0 without upper bound depends
    second_order: frozenset[str]  # unknowns whose second derivatives enter the system
    domain: Domain  # the states' bounds and simplices, in the compiled order of states

    @classmethod
    def build(cls, compiled: Compiled, params: Mapping[str, float] | None = None) -> Problem:
        m, outline = compiled.model, compiled.outline
        held = {b.state for b in outline.boundaries if b.at == 0}
        return cls(
            compiled,
            dict(compiled.params if params is None else params),
            tuple(m.states),
            tuple(m.unknowns),
            {u.name: tuple(compiled.states.index(a) for a in u.args) for u in m.unknowns},
            outline.equations,
            outline.complementarities,
            outline.boundaries,
            dict(m.weights),
            frozenset(
                s.name
                for s in m.states
                if s.lo == 0 and s.name not in held and not s.discrete and not _clock(m, s.name)
            ),
            frozenset(a for u in m.unknowns if u.lo == 0 and u.hi is None for a in u.args),
            outline.second_order,
            Domain.of(m, compiled.states),
        )

    def weight(self, equation: str) -> float:
        return self.weights.get(equation, 1.0)

    def boundary_weight(self, boundary: str) -> float:
        return boundary_weight(self.weights, boundary)

    def cut_edges(self, edge: float, policy: EdgePolicy) -> dict[str, float]:
        """The states whose zero lower edge is cut, each at its cut: `edge` (or, edge 0, EDGE
        when the policy always cuts) times the state's range, so the cut removes the same share
        of every state's range whatever its units; only states of which a diverging unknown
        depends when the policy says so; never at or above a state's upper edge."""
        edge = edge or (EDGE if policy.always else 0.0)
        return {
            s.name: edge * s.hi
            for s in self.states
            if s.name in self.cuttable
            and 0 < edge < 1
            and (s.name in self.diverging or not policy.diverging_only)
        }


def _clock(model, state: str) -> bool:
    """Whether `state` moves like a clock: no volatility, no jump, a drift of parameters alone
    (calendar time, `process t: drift = 1`). A zero edge of such a state is an end of a transport
    equation, never singular, so it is not cut."""
    p = model.processes.get(state)
    return (
        p is not None
        and not p.vols
        and not p.jumps
        and p.drift is not None
        and {n.id for n in ast.names_in(p.drift)} <= set(model.params)
    )


@dataclass(frozen=True)
class EdgePolicy:
    """How a solver applies the edge-cut rule (`Problem.cut_edges`): cut from the start, or only
    when asked (the collocation solver cuts when the whole domain fails); cut every cuttable state,
    or only those where an unknown may diverge like a power of the state."""

    always: bool
    diverging_only: bool


@dataclass(frozen=True)
class Options:
    """How a solve runs, beside its settings; a solver uses those that apply to it."""

    quiet: bool = False
    log: Callable[[str], None] = print  # warnings during the solve
    checkpoint: str | Path | None = None  # where a training state is kept (neural)
    resume: bool = False  # continue from `checkpoint` (neural)
    guess: Mapping[str, Callable] | Callable | None = None  # start values (`start`)
    devices: int | Devices | None = None  # how many to shard points over, or which (neural;
    # `runtime.devices`)


class Solver(ABC):
    """One way of solving a `Problem`; registered by name (`registry`)."""

    @abstractmethod
    def solve(self, problem: Problem, settings: Settings, options: Options) -> Solution:
        """Solve `problem` at `problem.params` with `settings`."""
