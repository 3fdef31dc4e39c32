"""Identical members of an agent array solved as one agent. Members with the same fields (no
field reads the index), homothetic utility (CRRA or log: consumption and portfolio are
proportional to wealth), the same trades and constraints, and nothing in the model that names
one of them, save at the same rate and hold the same portfolio: the split of the array's wealth
among them has no drift and no volatility, so the equilibrium is that of the economy with the
array as ONE agent holding the array's total share (docs/robustness.md). `plan` finds such
arrays in an economy-level module and writes that reduced economy; `rename` names a quantity of
the full model by its counterpart in the reduced one (omega_household_3 -> omega_household).
Production economies (capital, labor, chains) are left alone: labor income is not proportional
to wealth, and members may follow chains of their own."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, replace

from ..grammar import ast

HOMOTHETIC = ("crra", "log")  # utilities whose policies scale with wealth
_PRODUCTION = (ast.CapitalDecl, ast.ChainDecl)


@dataclass(frozen=True)
class Plan:
    """The reduced economy (`module`) and the arrays it solves as one agent each, with their
    numbers of members."""

    module: ast.Module
    arrays: tuple[tuple[str, int], ...]

    def line(self) -> str:
        """What was done, in one line: "household[10]: 10 identical members solved as one
        agent"."""
        return "; ".join(
            f"{a}[{k}]: {k} identical members solved as one agent" for a, k in self.arrays
        )

    def rename(self, name: str) -> str:
        """The reduced model's name for `name` of the full model: a member's quantity becomes
        the array's (eta_household_3 -> eta_household); any other name is unchanged."""
        for array, _ in self.arrays:
            name = re.sub(rf"(^|_){re.escape(array)}_\d+$", rf"\g<1>{array}", name)
        return name


def plan(module: ast.Module) -> Plan | None:
    """The reduced economy of `module` when it has arrays of identical members, else None."""
    statements = module.statements
    if not any(isinstance(s, ast.AgentDecl) for s in statements) or any(
        isinstance(s, _PRODUCTION) for s in statements
    ):
        return None
    named = set(_identifiers(statements))
    arrays = [
        s
        for s in statements
        if isinstance(s, ast.AgentDecl) and s.array is not None and _identical(s, named)
    ]
    if not arrays:
        return None
    reduced = tuple(replace(s, array=None) if s in arrays else s for s in statements)
    return Plan(
        ast.Module(reduced, module.source),
        tuple((a.name, _size(a.array)) for a in arrays),
    )


def _identical(a: ast.AgentDecl, named: set[str]) -> bool:
    """Whether the members of array `a` are interchangeable: two or more, a homothetic utility,
    no field that reads the index, and no name in the model that singles one out."""
    size = _size(a.array)
    if size is None or size < 2 or a.utility is None or a.utility.kind not in HOMOTHETIC:
        return False
    index = a.array.index
    fields = [getattr(a, f.name) for f in dataclasses.fields(a) if f.name not in ("name", "array")]
    if index is not None and index.id in set(_identifiers(fields)):
        return False
    member = re.compile(rf"(^|_){re.escape(a.name)}_\d+$")
    return not any(member.search(n) for n in named)


def _size(array: ast.AgentArray) -> int | None:
    """The number of members of an array whose bounds are numbers, else None."""
    first, last = array.first, array.last
    if not (isinstance(first, ast.Num) and isinstance(last, ast.Num)):
        return None
    return int(last.value) - int(first.value) + 1


def _identifiers(node):
    """Every name a node uses or declares, at any depth of its fields."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, str):
        return
    elif dataclasses.is_dataclass(node):
        name = getattr(node, "name", None)
        if isinstance(name, str):
            yield name
        for f in dataclasses.fields(node):
            if f.name not in ("span", "source"):
                yield from _identifiers(getattr(node, f.name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _identifiers(item)
