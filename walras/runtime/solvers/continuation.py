"""Continuation, shared by the solvers: the parameter homotopy (solve at an easier value of one
parameter first, then walk it to its own) and the edge path (a cut edge moved down to its place),
each step starting from the last."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...grammar.diagnostics import Diagnostic, EconError, did_you_mean

FIRST_EDGE = 1e-3  # a cut edge moves down to its place from here,
EDGE_STEP = 10  # by this factor at a time


def homotopy_path(settings, params: Mapping[str, float]) -> list[Mapping[str, float]]:
    """The parameter sets to solve in turn (the setting `homotopy = "NAME=VALUE"`, in
    `homotopy_steps` steps), ending with `params` itself."""
    if not settings.homotopy:
        return [params]
    name, _, value = settings.homotopy.partition("=")
    name = name.strip()
    try:
        start = float(value)
    except ValueError:
        start = None
    if name not in params or start is None:
        raise EconError(
            [
                Diagnostic(
                    "E123",
                    f"homotopy '{settings.homotopy}' must be NAME=VALUE "
                    "for a parameter of the model",
                    None,
                    did_you_mean(name, list(params)),
                )
            ]
        )
    steps = max(1, settings.homotopy_steps)
    values = start + (params[name] - start) * np.arange(steps) / steps
    return [{**params, name: float(v)} for v in values] + [params]


def edge_path(edge: float) -> list[float]:
    """The cut edges to solve at in turn: from `FIRST_EDGE` down to `edge` by `EDGE_STEP` ([0]
    for no cut). Each solve starts from the last, whose power laws reach below its cut."""
    if not edge:
        return [0.0]
    path = [edge]
    while path[0] * EDGE_STEP <= FIRST_EDGE * (1 + 1e-9):
        path.insert(0, path[0] * EDGE_STEP)
    return path
