"""Which definitions a figure leaves out: identities and constants.

The rule, numeric so that it needs only the result file: a definition is an identity when, on the
grid, it is an affine function `a*u + b` (a != 0) of a state or of a variable already shown, to a
relative precision of `EXACT` (`eta_household = 1 - eta_expert`; `q = pd*y` when `pd` is
constant); it is a constant when its spread is below `EXACT` of its size. Unknowns are always
shown. Neural solutions are affine in other outputs only where the model makes them so exactly,
since their noise is far above `EXACT`."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..runtime.schema import Role, role_of, state_dims

EXACT = 1e-9


def left_out(ds: xr.Dataset, names: list[str]) -> dict[str, str]:
    """The definitions among `names` (in order) to leave out, each with the reason in words."""
    candidates = [ds[s] for s in state_dims(ds)]
    dropped = {}
    for name in names:
        da = ds[name]
        if role_of(da) is Role.DEFINITION:
            reason = _reason(da, candidates)
            if reason:
                dropped[name] = reason
                continue
        candidates.append(da)
    return dropped


def _reason(da: xr.DataArray, candidates: list[xr.DataArray]) -> str | None:
    v = da.values.ravel()
    if not np.all(np.isfinite(v)):
        return None
    scale = max(float(np.max(np.abs(v))), 1e-300)
    if np.ptp(v) <= EXACT * scale:
        return f"= {float(np.mean(v)):.6g} (constant)"
    for u in candidates:
        if set(u.dims) <= set(da.dims) and _affine(v, u.broadcast_like(da).transpose(*da.dims)):
            return f"(affine in {u.name})"
    return None


def _affine(v: np.ndarray, u: xr.DataArray) -> bool:
    """Whether v = a*u + b with a != 0 to the relative precision `EXACT`."""
    x = u.values.ravel()
    if not np.all(np.isfinite(x)) or np.ptp(x) <= EXACT * max(float(np.max(np.abs(x))), 1e-300):
        return False
    basis = np.column_stack([x, np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(basis, v, rcond=None)
    worst = float(np.max(np.abs(basis @ coef - v)))
    return worst <= EXACT * max(float(np.max(np.abs(v))), 1e-300)
