"""Solver settings: defaults, overridable from a `solver` statement, the command line and Python.

Settings come in groups: `Common` here, read by every solver, and one group per solver, declared
by the solver itself (`walras/runtime/solvers/*/__init__.py`). `Settings` puts them behind one flat
set of keys (`settings.width`, `Settings().replace(degree=16)`, `--solver width=8`); a key belongs
to exactly one group. A field's `metadata["choices"]` lists its allowed values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .runtime.solvers import registry


@dataclass(frozen=True)
class Common:
    method: str = "neural"  # a registered solver: neural | collocation
    seed: int = 0
    margin: float = 1e-3  # fraction of each state's range kept off the edges
    grid: int = 101  # evaluation points per state in the results
    homotopy: str = ""  # "NAME=VALUE": solve there first, then walk NAME to its value
    homotopy_steps: int = 8
    edge: float = 0.0  # cut zero lower edges of states here, log coordinate (0:
    # collocation if needed, neural always at 1e-4)


class _Flat:
    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **{k: coerce(k, v) for k, v in changes.items()})


def _flat(groups: list[type]) -> type:
    """One frozen dataclass with the fields of every group."""
    fields, owner = [], {}
    for group in groups:
        for f in dataclasses.fields(group):
            if f.name in owner:
                raise TypeError(
                    f"setting '{f.name}' is declared by {owner[f.name].__name__} "
                    f"and {group.__name__}"
                )
            owner[f.name] = group
            fields.append((f.name, f.type, field(default=f.default, metadata=f.metadata)))
    return dataclasses.make_dataclass(
        "Settings", fields, bases=(_Flat,), frozen=True, namespace={"__module__": __name__}
    )


Settings = _flat([Common, *registry.settings_groups()])
Settings.__doc__ = "Every solver's settings behind flat keys (see the module docstring)."

FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
CHOICES = {
    "method": registry.names(),
    **{k: f.metadata["choices"] for k, f in FIELDS.items() if "choices" in f.metadata},
}


def coerce(key: str, value):
    """Convert a value given as text or a number to the type of setting `key`; ValueError if not."""
    if key not in FIELDS:
        raise KeyError(key)
    kind = type(FIELDS[key].default)
    if kind is str:
        value = str(value)
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"'{key}' must be one of {', '.join(CHOICES[key])}")
        return value
    number = float(value)
    if kind is int:
        if number != int(number) or number < 0:
            raise ValueError(f"'{key}' must be a whole number >= 0")
        return int(number)
    return number
