"""The results schema: the role of every variable of a result Dataset (`attrs["role"]`).

`docs/results.md` describes each role; `compare` and `plot` select variables by it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STATE = "state"  # a coordinate: a state of the model
    UNKNOWN = "unknown"  # a function solved for
    DEFINITION = "definition"  # a `let`, process term or other derived quantity
    RESIDUAL = "residual"  # an equation's residual at the output points
    EVIDENCE = "evidence"  # what supports the convergence claim (decay, edge change, ...)
    HISTORY = "history"  # per-iteration records (loss, residual history)
    DISTRIBUTION = "distribution"  # a stationary density or probability over the states
    MOMENT = "moment"  # a moment of an output (mean, std, ...) and its standard error


def tag(data, role: Role, **attrs):
    """`data` (an xarray DataArray) with its role and further attributes set."""
    return data.assign_attrs(role=str(role), **attrs)


def role_of(data) -> Role | None:
    """The role of a variable or coordinate of a result; None when it has none."""
    try:
        return Role(data.attrs["role"])
    except (KeyError, ValueError):
        return None


def state_dims(ds) -> list[str]:
    """The dimensions of a result Dataset that are state coordinates, in order."""
    return [d for d in ds.dims if d in ds.coords and role_of(ds[d]) is Role.STATE]
