"""Solvers of compiled models. Every subpackage here is a solver: importing it registers its name,
its settings group and how to load it (`registry`); its numerical code loads on first use.
`solve` builds the `Problem` and runs the solver that the `method` setting names."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...compiler.codegen import Compiled
    from ...settings import Settings
    from ..results import Solution

for _module in pkgutil.iter_modules(__path__):
    if _module.ispkg:
        importlib.import_module(f"{__name__}.{_module.name}")


def solve(
    compiled: Compiled, settings: Settings, params: Mapping[str, float] | None = None, **options
) -> Solution:
    """Solve a compiled model with the solver `settings.method` names ("auto": `auto.choose`),
    at `params` (by default the model's own); `options` are those of `base.Options` (quiet,
    log, checkpoint, resume, guess)."""
    from . import auto, registry
    from .base import Options, Problem

    if settings.method == "auto":
        settings = settings.replace(method=auto.choose(compiled.model)[0])
    try:
        solution = registry.get(settings.method).solve(
            Problem.build(compiled, params), settings, Options(**options)
        )
    except (MemoryError, RuntimeError) as e:  # JAX's runtime errors are RuntimeErrors
        if not isinstance(e, MemoryError) and "RESOURCE_EXHAUSTED" not in str(e):
            raise
        raise out_of_memory(compiled.model.name, settings, e) from None
    from .inward import leaving

    return leaving(not_determined(compiled.model, solution))


def out_of_memory(name: str, settings: Settings, e: BaseException):
    """E143: the solve asked for more memory than there is; the first line of XLA's message."""
    from ...grammar.diagnostics import Diagnostic, EconError

    said = (str(e).strip().splitlines() or ["MemoryError"])[0][:300]
    message = f"solving {name} by {settings.method} ran out of memory ({said})"
    hint = (
        "lower the degree (--degree) or the points (--solver points=..., polish_points=...), "
        "or use --method neural for many states"
    )
    return EconError([Diagnostic("E143", message, None, hint)])


def not_determined(model, solution: Solution) -> Solution:
    """A converged solution of a model whose equations leave it undetermined at an edge (warning
    W170 in `model.warnings`) is reported as not converged, with the warnings in its message: the
    residuals are small for many solutions there."""
    if not model.warnings:  # (the checks load sympy)
        return solution
    from ...compiler.checks.edges import CODE
    from .base import Outcome

    undetermined = [w.message for w in model.warnings if w.code == CODE]
    if not (undetermined and solution.converged):
        return solution
    message = (
        f"{Outcome.NOT_CONVERGED.message}: the model is not determined at an edge of its state "
        f"space ({'; '.join(undetermined)}); the solver found small residuals ({solution.message})"
    )
    return dataclasses.replace(solution, outcome=Outcome.NOT_CONVERGED, message=message)
