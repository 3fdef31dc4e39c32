"""Identical agents solved as one agent. Agents with the same fields (no field reads an array's
index), homothetic utility (CRRA or log: consumption and portfolio are proportional to wealth),
the same trades and constraints, and nothing in the model that names one of them, save at the
same rate and hold the same portfolio: the split of their wealth among them has no drift and no
volatility, so the equilibrium is that of the economy with them as ONE agent holding their total
share (docs/robustness.md). Such agents are the members of an agent array, or agents declared
one by one that differ only in name and description (a group: the first keeps its name). `plan`
finds them in an economy-level module and writes that reduced economy; `rename` names a
quantity of the full model by its counterpart in the reduced one (omega_household_3 ->
omega_household; omega_h2 -> omega_h1 for a group h1, h2).
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
    """The reduced economy (`module`), the arrays it solves as one agent each, with their
    numbers of members, and the groups of agents declared one by one (the first stands for
    the group)."""

    module: ast.Module
    arrays: tuple[tuple[str, int], ...]
    groups: tuple[tuple[str, ...], ...] = ()

    def line(self) -> str:
        """What was done, in one line: "household[10]: 10 identical members solved as one
        agent; h1, h2: 2 identical agents solved as one agent"."""
        groups = self.groups
        return "; ".join(
            [f"{a}[{k}]: {k} identical members solved as one agent" for a, k in self.arrays]
            + [f"{', '.join(g)}: {len(g)} identical agents solved as one agent" for g in groups]
        )

    def rename(self, name: str) -> str:
        """The reduced model's name for `name` of the full model: a member's quantity becomes
        the array's (eta_household_3 -> eta_household) or the group's first agent's (eta_h2 ->
        eta_h1); any other name is unchanged."""
        for array, _ in self.arrays:
            name = re.sub(rf"(^|_){re.escape(array)}_\d+$", rf"\g<1>{array}", name)
        for first, *others in self.groups:
            for other in others:
                name = re.sub(rf"(^|_){re.escape(other)}$", rf"\g<1>{first}", name)
        return name


def plan(module: ast.Module) -> Plan | None:
    """The reduced economy of `module` when it has identical agents (an array's members or a
    group declared one by one), else None."""
    statements = module.statements
    agents = [s for s in statements if isinstance(s, ast.AgentDecl)]
    if not agents or any(isinstance(s, _PRODUCTION) for s in statements):
        return None
    # a guess names a member's unknown without singling the member out: it is carried over
    visible = [s.expr if isinstance(s, ast.GuessDecl) else s for s in statements]
    named = set(_identifiers(visible))
    arrays = [a for a in agents if a.array is not None and _identical(a, named)]
    groups = _groups([a for a in agents if a.array is None], visible)
    if not arrays and not groups:
        return None
    found = Plan(module, tuple((a.name, _size(a.array)) for a in arrays), groups)
    dropped = {name for _, *others in groups for name in others}
    reduced, guessed = [], set()
    for s in statements:
        if isinstance(s, ast.AgentDecl) and s.array is None and s.name in dropped:
            continue
        if isinstance(s, ast.GuessDecl):  # a member's guess is its group's (the first one)
            s = replace(s, unknown=replace(s.unknown, id=found.rename(s.unknown.id)))
            if s.unknown.id in guessed:
                continue
            guessed.add(s.unknown.id)
        reduced.append(replace(s, array=None) if s in arrays else s)
    return replace(found, module=ast.Module(tuple(reduced), module.source))


def _groups(agents: list[ast.AgentDecl], statements) -> tuple[tuple[str, ...], ...]:
    """The groups of two or more agents declared one by one with a homothetic utility that
    differ only in name and description, none of them named by another statement."""
    groups: dict[ast.AgentDecl, list[str]] = {}
    for a in agents:
        if a.utility is None or a.utility.kind not in HOMOTHETIC:
            continue
        own = re.compile(rf"(^|_){re.escape(a.name)}$")
        if any(own.search(n) for n in _identifiers([s for s in statements if s is not a])):
            continue
        groups.setdefault(replace(a, name="", doc=None), []).append(a.name)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


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
