"""What the solvers, the results and `walras check` read of a derived `System` besides its
expressions: names, which unknowns enter to second order, the solved cycles. Plain data (no
sympy), so a warm run keeps it in the cache folder (`runtime.store`) and derives nothing until
a function that is not exported has to be traced (`codegen.Deferred`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .system import System


@dataclass(frozen=True)
class Face:
    """A boundary condition: its name, and the state held at `at`."""

    name: str
    state: str
    at: float


@dataclass(frozen=True)
class Outline:
    """`equations` (interior residual rows, the `complementarities` among them), `boundaries`,
    `outputs` (definitions and process terms), the unknowns whose second derivatives enter
    (`second_order`) and those whose derivatives enter at all (`differentiated`), the states
    along which an unknown is differentiated (`along`: `checks.edges.differentiated`), the
    solved `cycles`, and the unknowns that complementarities clamp (`bounds`: `System.clamps`,
    the bounds as Python source), so that the solvers read them without sympy (`clamps`), those
    of them whose own complementarity holds their second derivatives (`obstacles`), and
    whether every row depends on the unknowns only at its own point, to second order (`local`:
    no jump, no other atom; collocation's `jacobian.applies`)."""

    equations: tuple[str, ...]
    complementarities: tuple[str, ...]
    boundaries: tuple[Face, ...]
    outputs: tuple[str, ...]
    second_order: frozenset[str]
    differentiated: frozenset[str]
    along: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    bounds: tuple[tuple[str, bool, str, tuple[str, ...]], ...]
    obstacles: frozenset[str]
    local: bool

    @classmethod
    def of(cls, system: System) -> Outline:
        from . import ito
        from .checks.edges import differentiated

        meanings = system.atoms.meaning.values()
        order = {ito.Partial: 0, ito.Velocity: 1, ito.Curvature: 2}
        return cls(
            tuple(r.name for r in system.residuals),
            tuple(r.name for r in system.residuals if r.is_complementarity),
            tuple(Face(b.name, b.state, b.at) for b in system.boundaries),
            tuple(system.outputs),
            frozenset(m.unknown for m in meanings if ito.second_order(m)),
            frozenset(
                m.unknown
                for m in meanings
                if isinstance(m, (ito.Velocity, ito.Curvature)) or getattr(m, "alpha", ())
            ),
            tuple(s.name for s in differentiated(system.model)),
            tuple(tuple(c) for c in system.cycles),
            system.clamps(),
            system.obstacles(),
            all(type(m) in order and order[type(m)] + len(m.alpha) <= 2 for m in meanings),
        )

    def clamps(self, params: Mapping[str, float]) -> dict[str, tuple[float | None, float | None]]:
        """Unknown -> (floor, cap) at the parameter values `params`."""
        out: dict[str, tuple[float | None, float | None]] = {}
        for unknown, upper, code, names in self.bounds:
            at = {f"_{i}": params[n] for i, n in enumerate(names)}
            value = float(eval(code, {"math": math}, at))  # source written by `sp.pycode`
            floor, cap = out.get(unknown, (None, None))
            out[unknown] = (floor, value) if upper else (value, cap)
        return out
