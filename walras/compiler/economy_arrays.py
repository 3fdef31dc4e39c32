"""Agent arrays: `agent household[10]: ...` is ten agents household_1 .. household_10 with the
same fields, and `agent household[i in 1:10]: discount = 0.02 + 0.06*(i - 1)/9, ...` names the
index, which each member's fields read as its number. The expansion happens before the
economy is read, so every derivation rule applies to the members as to agents written out;
a constraint on the array's name constrains every member. `exchangeable` tells the solvers which
unknowns belong to the members of an array, so that a network can treat them alike."""

from __future__ import annotations

import math
from dataclasses import replace

from ..grammar import ast
from ..grammar.diagnostics import Collector
from .economy_ast import substitute, to_sympy
from .model import Exchangeable, Model

MAX_MEMBERS = 1000
_FIELDS = ("discount", "productivity", "depreciation", "labor")
_DECLARED = (ast.ParamDecl, ast.StateDecl, ast.ShockDecl, ast.UnknownDecl, ast.LetDecl)


def expand(module: ast.Module, out: Collector) -> ast.Module:
    """The module with every agent array written out agent by agent (errors to `out`)."""
    arrays = [s for s in module.statements if isinstance(s, ast.AgentDecl) and s.array]
    if not arrays:
        return module
    declared = {s.name for s in module.statements if isinstance(s, _DECLARED)}
    members: dict[str, list[str]] = {}
    statements = []
    for s in module.statements:
        if isinstance(s, ast.AgentDecl) and s.array is not None:
            agents = _members(s, declared, out)
            members[s.name] = [a.name for a in agents]
            statements += agents
        elif isinstance(s, ast.ConstraintDecl) and s.agent.id in members:
            statements += [
                replace(s, agent=ast.Name(name, s.agent.span)) for name in members[s.agent.id]
            ]
        else:
            statements.append(s)
    return ast.Module(tuple(statements), module.source)


def _members(a: ast.AgentDecl, declared: set[str], out: Collector) -> list[ast.AgentDecl]:
    """The agents of array declaration `a`, or none after reporting its errors."""
    array = a.array
    first, last = _whole(array.first, out), _whole(array.last, out)
    if first is None or last is None:
        return []
    if last < first or last - first + 1 > MAX_MEMBERS:
        out.error(
            "E234",
            f"agent array '{a.name}' would have {last - first + 1} members",
            array.span,
            f"give it 1 to {MAX_MEMBERS} members: '[10]' or '[i in 1:10]'",
        )
        return []
    index = array.index
    if index is not None and index.id in declared:
        out.error(
            "E235",
            f"the index '{index.id}' of agent array '{a.name}' is a name the model declares",
            index.span,
            "name the index otherwise: '[j in 1:10]'",
        )
        return []
    return [_member(a, k) for k in range(first, last + 1)]


def _member(a: ast.AgentDecl, k: int) -> ast.AgentDecl:
    """Member k of array `a`: its name suffixed with k, the index replaced by k."""
    index = a.array.index.id if a.array.index is not None else None

    def put(e):
        if e is None or index is None:
            return e
        return _number(substitute(e, index, lambda span: ast.Num(float(k), span)))

    fields = {f: put(getattr(a, f)) for f in _FIELDS}
    utility = a.utility and replace(a.utility, args=tuple(put(x) for x in a.utility.args))
    return replace(a, name=f"{a.name}_{k}", utility=utility, array=None, **fields)


def _number(e: ast.Expr) -> ast.Expr:
    """An expression of numbers only as its value (`0.02 + 0.03*(2 - 1)` as 0.05), so that the
    members' fields print as numbers; any other expression as it is."""
    if any(isinstance(n, ast.Name | ast.Call) for n in ast.walk(e)):
        return e
    value = float(to_sympy(e))
    return ast.Num(value, e.span) if math.isfinite(value) else e


def _whole(e: ast.Expr, out: Collector) -> int | None:
    """The whole number ≥ 0 that a bound of an array is written as, or None after an error."""
    value = e.value if isinstance(e, ast.Num) else None
    if value is None or not math.isfinite(value) or value != int(value) or value < 0:
        out.error(
            "E234",
            "an agent array's size or bounds are whole numbers written out",
            e.span,
            "write '[10]' or '[i in 1:10]' (the number of agents is fixed when the model "
            "is compiled, so it cannot be a parameter)",
        )
        return None
    return int(value)


def exchangeable(module: ast.Module, model: Model) -> tuple[Exchangeable, ...]:
    """The arrays of an economy-level `module` as groups of the checked `model`'s unknowns: a
    member's unknowns are those named KIND_MEMBER (omega_household_3), its share eta_MEMBER,
    its features the values (at the model's parameters) of its fields that differ among the
    members. Arrays of one member, or whose members lack an unknown, are left out."""
    declared = {s.name for s in module.statements if isinstance(s, _DECLARED)}
    unknowns = {u.name for u in model.unknowns}
    states = {s.name for s in model.states}
    groups = []
    for a in module.statements:
        if not (isinstance(a, ast.AgentDecl) and a.array is not None):
            continue
        members = _members(a, declared, Collector())
        kinds = sorted(
            {u[: -len(members[0].name) - 1] for u in unknowns if u.endswith(f"_{members[0].name}")}
        )
        names = tuple(tuple(f"{k}_{m.name}" for k in kinds) for m in members)
        if len(members) < 2 or not kinds or not all(set(n) <= unknowns for n in names):
            continue
        values = [_values(m, model.params) for m in members]
        varying = [j for j in range(len(values[0])) if len({v[j] for v in values}) > 1]
        groups.append(
            Exchangeable(
                a.name,
                names,
                tuple(f"eta_{m.name}" if f"eta_{m.name}" in states else None for m in members),
                tuple(tuple(v[j] for j in varying) for v in values),
            )
        )
    return tuple(groups)


def _values(a: ast.AgentDecl, params) -> tuple[float, ...]:
    """The member's fields and utility arguments as numbers at `params` (nan where one is not)."""
    exprs = [getattr(a, f) for f in _FIELDS] + list(a.utility.args if a.utility else ())
    out = []
    for e in exprs:
        try:
            value = float(to_sympy(e).subs(params)) if e is not None else 0.0
        except (TypeError, ValueError):
            value = math.nan
        out.append(value if math.isfinite(value) else 0.0)
    return tuple(out)
