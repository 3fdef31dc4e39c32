"""Outputs are claims: values that are not finite, or of a size no economy has, are told (W158).

Every path that turns a solution into numbers on many points (`Solution.evaluate` and
`.dataset`, the tables a simulation interpolates, simulated paths, stationary moments) passes its
values here, at the points of the domain only: outside it an extrapolation may be anything. What
is found is a warning naming each output, how many of its values and the first point, and an
attribute of the results (`implausible_values`), so a file never carries such values unsaid.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from ..grammar.diagnostics import Diagnostic

LIMIT = 1e100  # larger than any quantity of an economy in float64; garbage memory reads as such


class ImplausibleValuesWarning(UserWarning):
    """Outputs that are not finite, or larger in size than `LIMIT`, at points of the domain."""


def check(
    values: Mapping[str, np.ndarray],
    x: np.ndarray,
    states: Sequence[str],
    where: np.ndarray | None = None,
    what: str = "the outputs",
    stacklevel: int = 3,
) -> str:
    """Warn (W158) when some of `values` (name -> array over the points `x`, first axis) are
    not finite or larger in size than LIMIT at the points where `where` holds (all by default);
    return the summary kept as the `implausible_values` attribute ("" when none)."""
    x = np.asarray(x).reshape(-1, len(states)) if len(states) else np.zeros((1, 0))
    keep = np.ones(len(x), bool) if where is None else np.asarray(where, bool).reshape(-1)
    found = []
    for name, v in values.items():
        v = np.asarray(v)
        if v.dtype.kind != "f" or not v.size or (v.max() <= LIMIT and v.min() >= -LIMIT):
            continue  # (NaN fails both comparisons) one pass, no temporaries, on the usual path
        bad = ~(np.abs(v) <= LIMIT).reshape(len(keep), -1).all(axis=1) & keep
        if bad.any():
            at = ", ".join(f"{s} = {c:.6g}" for s, c in zip(states, x[bad.argmax()]))
            found.append((name, int(bad.sum()), at))
    if not found:
        return ""
    total = int(keep.sum())
    parts = [f"{n} at {k} of {total} points (first at {at or 'the point'})" for n, k, at in found]
    message = f"{what} hold values that are not finite or larger than 1e100 in size: " + "; ".join(
        parts
    )
    hint = (
        "look at the model's formulas at that point (a division by zero, a power of a negative "
        "number); if they are finite there, report it with the versions of walras, jax and jaxlib"
    )
    text = Diagnostic("W158", message, None, hint).render()
    warnings.warn(text, ImplausibleValuesWarning, stacklevel=stacklevel)
    return "; ".join(f"{n}: {k} of {total}" for n, k, _ in found)
