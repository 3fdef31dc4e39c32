"""Labor endowment chains: `chain ell: values = [lo, hi], rate[1, 2] = up, rate[2, 1] = down`
and an agent's `labor = ell` (any expression of the chain's name). Every agent that names a
chain follows its own independent copy, written out as equation-level statements before the
economy is read: a discrete state `s_<agent>` in {0, .., K − 1} (the position of its current
value), one Poisson shock per declared rate, `<chain>_<agent>_<i>_<j>` with rate
`up*(s_<agent> == i − 1)`, which moves the state by j − i, and the agent's labor endowment
`<chain>_<agent>`, the value at its position. The chains' states are discrete states of the
economy: K^N combinations for N agents, one collocation expansion each, so their number is
bounded (E238)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod

from ..grammar import ast
from ..grammar.diagnostics import Collector
from . import economy_chains_pooled
from .economy_ast import Builder, substitute
from .economy_chains_pooled import Pool

MAX_COMBINATIONS = 16  # discrete states of the economy from chains (2^4)


@dataclass(frozen=True)
class Chains:
    """The written-out chains: their statements, the discrete states, and the pooled
    exchangeable agents (`economy_chains_pooled`)."""

    statements: tuple
    states: tuple[str, ...]
    pools: tuple[Pool, ...] = ()


def expand(module: ast.Module, out: Collector) -> tuple[ast.Module, Chains]:
    """The module with every agent's chain written out (its `labor` reading its own copy),
    the chain declarations removed; errors to `out`."""
    chains = {s.name: s for s in module.statements if isinstance(s, ast.ChainDecl)}
    if not chains:
        return module, Chains((), ())
    valid = {name: c for name, c in chains.items() if _checked(c, out)}
    agents = [s for s in module.statements if isinstance(s, ast.AgentDecl)]
    chained = {a.name: _chain_of(a, chains) for a in agents}
    for name, c in chains.items():
        if name not in chained.values():
            out.error(
                "E237",
                f"chain '{name}' is not the labor of any agent",
                c.span,
                f"give an agent 'labor = {name}', or remove the chain",
            )
    pooled = _pooled(agents, chained, valid)
    statements, states, kept, pools, done, combinations = [], [], [], [], set(), 1
    for s in module.statements:
        named = chained.get(s.name) if isinstance(s, ast.AgentDecl) else None
        if isinstance(s, ast.ChainDecl):
            continue
        if named in pooled and s in pooled[named]:
            if named not in done:
                new, members, p = economy_chains_pooled.pool(valid[named], pooled[named])
                statements += new
                states.append(p.count)
                pools.append(p)
                combinations *= len(p.members) + 1
                kept += members
                done.add(named)
            continue
        if named in valid:
            combinations *= len(valid[named].values)
            new, s = _copy(valid[named], s)
            statements += new
            states.append(f"s_{s.name}")
        kept.append(s)
    if combinations > MAX_COMBINATIONS:
        out.error(
            "E238",
            f"the agents' chains make {combinations} discrete states of the economy, more "
            f"than the {MAX_COMBINATIONS} the layer writes out",
            next(iter(chains.values())).span,
            "give fewer agents a chain (each one multiplies the states by its number of "
            "values), or make them exchangeable: members of one agent array with a two-state "
            "chain are pooled",
        )
    chains_out = Chains(tuple(statements), tuple(states), tuple(pools))
    return ast.Module(tuple(kept), module.source), chains_out


def _pooled(agents, chained: dict, valid: dict) -> dict:
    """Chain name -> its exchangeable agents, pooled where writing every agent's copy out
    would make more than MAX_COMBINATIONS discrete states (one pool per chain)."""
    full = prod(len(valid[n].values) for n in chained.values() if n in valid)
    if full <= MAX_COMBINATIONS:
        return {}
    out = {}
    for name, c in valid.items():
        members = economy_chains_pooled.exchangeable(
            [a for a in agents if chained[a.name] == name], c
        )
        if members:
            out[name] = members
    return out


def without_labor(module: ast.Module, out: Collector):
    """A chain is a labor endowment: it needs output from capital and labor."""
    for c in module.statements:
        if isinstance(c, ast.ChainDecl):
            out.error(
                "E237",
                f"chain '{c.name}' is a labor endowment, and no capital stock's output uses labor",
                c.span,
                "declare 'capital k: ..., output = z*k^alpha*labor^(1 - alpha)' and give agents "
                f"'labor = {c.name}'",
            )


def _chain_of(a: ast.AgentDecl, chains: dict) -> str | None:
    """The chain an agent's labor names (the first, if several)."""
    if a.labor is None:
        return None
    return next(
        (n.id for n in ast.walk(a.labor) if isinstance(n, ast.Name) and n.id in chains), None
    )


def _whole(n: ast.Num, size: int) -> int | None:
    v = n.value
    return int(v) if v == int(v) and 1 <= v <= size else None


def _checked(c: ast.ChainDecl, out: Collector) -> bool:
    """Two values or more; rates between two different positions among them, once each."""
    ok = True
    if len(c.values) < 2:
        out.error(
            "E237",
            f"chain '{c.name}' has {len(c.values)} value: it needs two or more to switch",
            c.span,
            "write 'values = [ell_low, ell_high]'",
        )
        ok = False
    seen = set()
    for r in c.rates:
        i, j = _whole(r.source, len(c.values)), _whole(r.target, len(c.values))
        if i is None or j is None or i == j or (i, j) in seen:
            why = (
                "is declared twice"
                if (i, j) in seen
                else "switches a value to itself"
                if i is not None and i == j
                else f"needs positions 1 to {len(c.values)} among the values"
            )
            out.error(
                "E237",
                f"this rate of chain '{c.name}' {why}",
                r.span,
                "write 'rate[i, j] = EXPR', the rate of switching from the i-th value to the "
                "j-th (i ≠ j), once per pair",
            )
            ok = False
        seen.add((i, j))
    return ok


def _copy(c: ast.ChainDecl, a: ast.AgentDecl) -> tuple[list, ast.AgentDecl]:
    """Agent a's copy of chain c: its discrete state, shocks, process and labor endowment;
    and the agent with its labor reading that endowment."""
    b = Builder(a.span)
    state, own = f"s_{a.name}", f"{c.name}_{a.name}"
    positions = tuple(b.num(k).e for k in range(len(c.values)))
    out: list = [
        ast.StateDecl(
            state, None, None, f"position of {own} in its chain", a.span, values=positions
        )
    ]
    jumps = []
    for r in c.rates:
        i, j = int(r.source.value), int(r.target.value)
        shock = f"{own}_{i}_{j}"
        at = b.call("==", b.name(state), b.num(i - 1))
        rate = b.wrap(r.rate) * at
        out.append(
            ast.ShockDecl(shock, f"{a.name}'s {c.name} from value {i} to {j}", r.span, rate.e)
        )
        jumps.append(ast.VolField(shock, b.num(j - i).e, r.span))
    if jumps:
        out.append(ast.ProcessDecl(state, None, (), None, a.span, tuple(jumps)))
    value = b.sum(b.wrap(v) * b.call("==", b.name(state), b.num(k)) for k, v in enumerate(c.values))
    out.append(ast.LetDecl(own, value.e, f"labor endowment of {a.name}", a.span))
    labor = substitute(a.labor, c.name, lambda span: ast.Name(own, span))
    return out, replace(a, labor=labor)
