"""Continuation, shared by the solvers: the parameter homotopy (solve at an easier value of one
parameter first, then walk it to its own) and the edge path (a cut edge moved down to its place),
each step starting from the last."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...grammar.diagnostics import Diagnostic, EconError, did_you_mean

FIRST_EDGE = 1e-3  # a cut edge moves down to its place from here,
EDGE_STEP = 10  # by this factor at a time


def homotopy_path(
    settings, params: Mapping[str, float], start: Mapping[str, float] | None = None
) -> list[Mapping[str, float]]:
    """The parameter sets to solve in turn, ending with `params` itself: from `start` (by
    default the setting `homotopy = "NAME=VALUE[, NAME=VALUE ...]"`), every parameter named
    walking to its own value together, in `homotopy_steps` steps."""
    start = homotopy_start(settings.homotopy, params) if start is None else start
    if not start:
        return [params]
    steps = max(1, settings.homotopy_steps)
    path = []
    for t in np.arange(steps) / steps:
        path.append({**params, **{k: float(v + (params[k] - v) * t) for k, v in start.items()}})
    return path + [params]


def homotopy_start(text: str, params: Mapping[str, float]) -> dict[str, float]:
    """The starting values of a `homotopy` setting; E123 when it is not NAME=VALUE pairs of
    parameters of the model."""
    start = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.partition("=")
        name = name.strip()
        try:
            start[name] = float(value)
        except ValueError:
            start[name] = None
        if name not in params or start[name] is None:
            raise EconError(
                [
                    Diagnostic(
                        "E123",
                        f"homotopy '{text}' must be NAME=VALUE (or several, separated by "
                        "commas) for parameters of the model",
                        None,
                        did_you_mean(name, list(params)),
                    )
                ]
            )
    return start


def edge_path(edge: float) -> list[float]:
    """The cut edges to solve at in turn: from `FIRST_EDGE` down to `edge` by `EDGE_STEP` ([0]
    for no cut). Each solve starts from the last, whose power laws reach below its cut."""
    if not edge:
        return [0.0]
    path = [edge]
    while path[0] * EDGE_STEP <= FIRST_EDGE * (1 + 1e-9):
        path.insert(0, path[0] * EDGE_STEP)
    return path
