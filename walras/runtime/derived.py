"""The estimated error of each described definition (a `let` with a description: a riskless
rate, a price of risk, a return's volatility): how much it moves between a solution and the one
its solver's error estimate compares it with (collocation: the solve at another degree; neural:
the solution after one Gauss-Newton correction), relative to its largest size at the same
points. Reported beside the unknowns' estimates, not part of convergence: a definition of the
unknowns' derivatives amplifies their error (a riskless rate from the drift of a price-dividend
ratio moves ten times as much as the ratio), and that is what a user reads off the results."""

from __future__ import annotations

import numpy as np


def described(compiled) -> list[str]:
    """The definitions with a description, in declaration order (the controls are estimated with
    the unknowns)."""
    controls = {c.name for c in compiled.model.controls}
    return [
        name
        for name, d in compiled.model.definitions.items()
        if d.doc and name not in controls and name in compiled.outline.outputs
    ]


def changes(names, values, deltas) -> dict[str, float]:
    """max |δd| / max |d| of each definition d in `names`, from its `values` and their changes
    `deltas` at the same points; infinite where either is not finite there."""
    out = {}
    for name in names:
        d, delta = np.asarray(values[name]), np.asarray(deltas[name])
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(delta))):
            out[name] = np.inf
            continue
        out[name] = float(np.max(np.abs(delta))) / max(float(np.max(np.abs(d))), 1e-300)
    return out
