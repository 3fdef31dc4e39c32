"""The solvers by name (the `method` setting). Each solver registers itself with its settings group
when its package is imported; its numerical code loads on first use, so reading the settings
imports no JAX."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...grammar.diagnostics import Diagnostic, EconError, did_you_mean

if TYPE_CHECKING:
    from .base import Solver


@dataclass(frozen=True)
class Entry:
    name: str
    settings: type  # the solver's settings group: a frozen dataclass
    load: Callable[[], Solver]  # imports the solver and returns it


_SOLVERS: dict[str, Entry] = {}


def register(name: str, settings: type, load: Callable[[], Solver]) -> None:
    """Make a solver available as `method = name`."""
    if name in _SOLVERS:
        raise ValueError(f"a solver named '{name}' is already registered")
    _SOLVERS[name] = Entry(name, settings, load)


def names() -> tuple[str, ...]:
    return tuple(_SOLVERS)


def settings_groups() -> list[type]:
    return [entry.settings for entry in _SOLVERS.values()]


def owner(key: str) -> str | None:
    """The solver whose settings group declares `key` (None: a common setting)."""
    for entry in _SOLVERS.values():
        if key in {f.name for f in dataclasses.fields(entry.settings)}:
            return entry.name
    return None


def get(name: str) -> Solver:
    """The solver registered as `name`; a coded error with a suggestion when there is none."""
    if name not in _SOLVERS:
        raise EconError(
            [
                Diagnostic(
                    "E115",
                    f"'method' must be one of {', '.join(_SOLVERS)}",
                    None,
                    did_you_mean(name, list(_SOLVERS)),
                )
            ]
        )
    return _SOLVERS[name].load()
