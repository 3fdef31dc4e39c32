"""Solver settings: defaults, overridable from a `solver` statement, the command line and Python.

Settings come in groups: `Common` here, read by every solver, and one group per solver, declared
by the solver itself (`walras/runtime/solvers/*/__init__.py`). `Settings` puts them behind one flat
set of keys (`settings.width`, `Settings().replace(degree=16)`, `--solver width=8`); a key belongs
to exactly one group. A field's `metadata` gives its valid values: `"choices"` for a text setting,
a range for a number (`"min"` or `"above"`, and `"max"` or `"below"`), enforced by `coerce` with
the range in the message; every number is finite. `"host": True` marks a setting read on the host
alone, never inside a compiled function (`traced`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .runtime.solvers import registry


@dataclass(frozen=True)
class Common:
    method: str = "auto"  # a registered solver (neural | collocation), or auto: collocation for
    # few continuous states, neural for many (`runtime/solvers/auto.py`)
    seed: int = field(default=0, metadata={"min": 0, "max": 2**32 - 1})
    margin: float = field(default=1e-3, metadata={"min": 0, "below": 0.5})  # fraction of each
    # state's range kept off the edges
    # evaluation points per state in the results
    grid: int = field(default=101, metadata={"min": 1, "max": 10**5, "host": True})
    homotopy: str = ""  # "NAME=VALUE": solve there first, then walk NAME to its value
    homotopy_steps: int = field(default=8, metadata={"min": 1, "max": 10**4})
    # the estimated error of each unknown, relative to its largest size, below which a solve has
    # converged
    tol_error: float = field(default=1e-4, metadata={"above": 0, "host": True})
    collapse: str = field(default="auto", metadata={"choices": ("auto", "off")})  # auto:
    # identical agents (an array's members, or agents differing only in name) are solved as
    # one agent (`compiler/collapse.py`); off: every member is solved
    edge: float = field(default=0.0, metadata={"min": 0, "below": 1})  # cut zero lower edges of
    # states at this share of their range, log coordinate (0: collocation if needed, neural
    # always at 1e-4)


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
    "method": ("auto", *registry.names()),
    **{k: f.metadata["choices"] for k, f in FIELDS.items() if "choices" in f.metadata},
}


def traced(settings: Settings) -> dict:
    """The settings a compiled function may depend on: all but those marked "host", which the
    names of exported functions leave out (a run with more steps or another tolerance loads the
    functions of the run before)."""
    return {
        k: v for k, v in dataclasses.asdict(settings).items() if not FIELDS[k].metadata.get("host")
    }


def coerce(key: str, value):
    """Convert a value given as text or a number to the type of setting `key`; ValueError, with
    the valid values in its message, if it is not one of them."""
    if key not in FIELDS:
        raise KeyError(key)
    kind = type(FIELDS[key].default)
    if kind is str:
        value = str(value)
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"'{key}' must be one of {', '.join(CHOICES[key])}")
        return value
    valid = valid_range(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or (kind is int and number != int(number)):
        raise ValueError(f"'{key}' must be a {'whole' if kind is int else 'finite'} number {valid}")
    if not _within(number, FIELDS[key].metadata):
        raise ValueError(f"'{key}' must be {valid}, not {value}")
    return int(number) if kind is int else number


def valid_range(key: str) -> str:
    """The valid values of a numeric setting, in words: '>= 0', 'between 1 and 1024'."""
    m = {
        k: _show(v)
        for k, v in FIELDS[key].metadata.items()
        if k in ("min", "above", "max", "below")
    }
    if "min" in m and "max" in m:
        return f"between {m['min']} and {m['max']}"
    low = f">= {m['min']}" if "min" in m else f"> {m['above']}" if "above" in m else ""
    high = f"<= {m['max']}" if "max" in m else f"< {m['below']}" if "below" in m else ""
    return " and ".join(x for x in (low, high) if x)


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _within(number: float, m) -> bool:
    return (
        number >= m.get("min", -math.inf)
        and number > m.get("above", -math.inf)
        and number <= m.get("max", math.inf)
        and number < m.get("below", math.inf)
    )
