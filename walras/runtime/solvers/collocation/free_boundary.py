"""Where a one-state complementarity switches: the cut between the two pieces, found by variable
projection. At each fixed cut the expansions solve the equations (Levenberg-Marquardt with the cut
pinned); the cut minimises what is left. A joint solve in the cut and the coefficients alone
crawls: an expansion that bends between its nodes absorbs most of a wrong cut, so the residual at
the nodes changes little with the cut (Leland's default boundary stalled 3% off, its residual
between the nodes 0.24, at 1e-10 squared at the nodes) while what is left still has its minimum at
the switch. The joint solve then starts from the cut found."""

from __future__ import annotations

import numpy as np

from ..least_squares import levenberg_marquardt
from ..start import fields_guess
from .problem import System
from .start_values import interpolated

PIN = 1e3  # weight of the row that holds the cut in place
SPAN = 0.05  # the search reaches this share of the domain on each side of the first stage's switch
SCAN = 11  # cuts tried across the span before the bracketed search
INNER = 50  # iterations of each solve at a fixed cut, started from the first stage's solution


def _cost(system: System, theta, params, plan) -> float:
    """½‖r(θ)‖² (by the split system where there is one)."""
    if system.split:
        return float(system.split.costs(theta, np.zeros((1, system.size)), params, plan)[0])
    r = np.asarray(system.residual(theta, params, plan))
    return 0.5 * float(np.sum(r * r))


def locate(system: System, theta, params, modes: tuple, switch: float):
    """(θ, cut): the solution at the cut whose residual is least near `switch`, where the first
    stage's active set changes. `modes`: each piece's binding parts (`System.plan`)."""
    lo, hi = float(system.lo[0]), float(system.hi[0])
    width = hi - lo
    free = system.plan(*modes)
    start = fields_guess(system.fields(theta))

    def solved(cut: float, guess) -> tuple[float, object]:
        pinned = system.plan(*modes, pin=PIN, tau=system.tau(cut))
        result = levenberg_marquardt(
            system.residual,
            interpolated(system, guess, cut),
            jacobian=system.jacobian,
            args=(params, pinned),
            iterations=INNER,
            ftol=1e-14,
            export=system.key,
            parts=system.parts,
        )
        return 2 * _cost(system, result.theta, params, free), result.theta

    cuts = np.linspace(
        max(switch - SPAN * width, lo + 0.01 * width),
        min(switch + SPAN * width, hi - 0.01 * width),
        SCAN,
    )
    tried = [solved(c, start) for c in cuts]
    k = int(np.argmin([cost for cost, _ in tried]))
    near = fields_guess(system.fields(tried[k][1]))
    from scipy.optimize import minimize_scalar  # here: a model without a free boundary skips it

    found = minimize_scalar(
        lambda c: solved(c, near)[0],
        bounds=(cuts[max(k - 1, 0)], cuts[min(k + 1, SCAN - 1)]),
        method="bounded",
        options={"xatol": 1e-12 * width},
    )
    return solved(float(found.x), near)[1], float(found.x)
