"""Wide data whose estimates are not identified: constant or collinear factors, and returns that
are combinations of the factors and each other."""

from __future__ import annotations

import numpy as np

from ...compiler.factors import FactorSpec
from ...grammar.diagnostics import Diagnostic, EconError


def _fail(code: str, message: str, span, hint: str) -> None:
    raise EconError([Diagnostic(code, message, span, hint)])


def identified(spec: FactorSpec, r: np.ndarray, f: np.ndarray) -> None:
    """Refuse factors that are constant or combinations of each other (betas not identified),
    and, with more periods than regressors, returns that are (a singular residual covariance)."""
    T, N = r.shape
    ones = np.ones((T, 1))
    bad = _fitted_exactly(f, ones)
    if bad:
        _fail(
            "E159",
            f"{_listing('factor', spec.factors, bad)} constant or a linear combination of the "
            "other factors, so the betas are not identified",
            spec.spans.get("factors"),
            "drop the factor, or correct its column",
        )
    bad = _fitted_exactly(r, np.column_stack([ones, f])) if T > N + f.shape[1] + 1 else []
    if bad:
        _fail(
            "E159",
            f"{_listing('return', spec.returns, bad)} constant or a linear combination of the "
            "factors and the other returns, so their residual covariance is singular",
            spec.spans.get("returns"),
            "drop the asset, or correct its column",
        )


def _fitted_exactly(columns: np.ndarray, base: np.ndarray) -> list[int]:
    """The columns that are constant or that `base` and the other columns fit exactly (R²
    above 1 − 1e-10)."""
    out = []
    for j in range(columns.shape[1]):
        y = columns[:, j]
        x = np.column_stack([base, np.delete(columns, j, axis=1)])
        resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
        total = float(np.sum((y - y.mean()) ** 2))
        constant = total <= 1e-24 * float(y @ y)  # to rounding
        if constant or float(resid @ resid) <= 1e-10 * total:
            out.append(j)
    return out


def _listing(kind: str, names, indices: list[int]) -> str:
    chosen = ", ".join(f"'{names[j]}'" for j in indices)
    return f"the {kind}s {chosen} are" if len(indices) > 1 else f"the {kind} {chosen} is"
