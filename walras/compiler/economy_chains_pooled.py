"""Exchangeable agents with a two-state labor chain, pooled (rule 26 of docs/economy.md).

m agents with the same fields, a bond-only saver each, whose labor follows copies of one chain
with values (low, high): instead of 2^m positions the economy keeps the number n ∈ {0, .., m}
at the high value, the agents ordered by state (the first n high). Member p (1-based, in
declaration order) earns `high` where n ≥ p, `low` elsewhere. When member p switches down (rate
rate[2, 1], where n ≥ p) it trades places with member n, the last high one, and n falls by one;
when it switches up (rate[1, 2], where n < p) it trades places with member n + 1. Trading places
swaps the two members' bonds (a jump of the continuous states b_p and b_n), so an unknown after
the switch is read at the permuted point; a member's marginal utility after the switch is that
of the place it moves to, which the derivation adds to its Euler equation (`euler_terms`), a
definition per member that the code generator evaluates as one step (`places`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..grammar import ast
from .economy_ast import Builder, X, substitute
from .system import Places


@dataclass(frozen=True)
class Event:
    """A switch of the member at `place` (1-based): its shock, and the offset of the place it
    trades with from n (0 going down, to member n; 1 going up, to member n + 1)."""

    shock: str
    place: int
    offset: int


@dataclass(frozen=True)
class Pool:
    count: str  # the discrete state n
    members: tuple[str, ...]  # agent names, in place order
    events: tuple[Event, ...]


def exchangeable(agents: list[ast.AgentDecl], chain: ast.ChainDecl) -> list[ast.AgentDecl]:
    """The largest set of agents whose labor is this two-state chain and whose fields are
    identical but for their names (the members of an agent array), or none."""
    if len(chain.values) != 2:
        return []
    kinds: dict = {}
    for a in agents:
        kinds.setdefault(replace(a, name=""), []).append(a)
    best = max(kinds.values(), key=len, default=[])
    return best if len(best) > 1 else []


def pool(chain: ast.ChainDecl, members: list[ast.AgentDecl]) -> tuple[list, list, Pool]:
    """The statements of the pooled chain (the count, its shocks and process, each place's
    labor), the members with their labor reading their place's, and the pool."""
    b = Builder(chain.span)
    count = f"n_{chain.name}"
    rate = {(int(r.source.value), int(r.target.value)): r.rate for r in chain.rates}
    low, high = (b.wrap(v) for v in chain.values)
    m = len(members)
    values = tuple(b.num(k).e for k in range(m + 1))
    out: list = [
        ast.StateDecl(
            count, None, None, f"members at {chain.name}'s second value", chain.span, values=values
        )
    ]
    events, jumps, agents = [], [], []
    n = b.name(count)
    for place, a in enumerate(members, start=1):
        for (i, j), offset, step, active in (
            ((2, 1), 0, -1, b.call(">=", n, b.num(place))),
            ((1, 2), 1, 1, b.call("<", n, b.num(place))),
        ):
            if (i, j) not in rate:
                continue
            shock = f"{chain.name}_{a.name}_{'down' if step < 0 else 'up'}"
            out.append(
                ast.ShockDecl(
                    shock,
                    f"{a.name}'s {chain.name} switches",
                    a.span,
                    (b.wrap(rate[i, j]) * active).e,
                )
            )
            jumps.append(ast.VolField(shock, b.num(step).e, a.span))
            events.append(Event(shock, place, offset))
        own = f"{chain.name}_{a.name}"
        labor = high * b.call(">=", n, b.num(place)) + low * b.call("<", n, b.num(place))
        out.append(ast.LetDecl(own, labor.e, f"labor endowment at place {place}", a.span))
        named = substitute(a.labor, chain.name, lambda span, own=own: ast.Name(own, span))
        agents.append(replace(a, labor=named))
    out.append(ast.ProcessDecl(count, None, (), None, chain.span, tuple(jumps)))
    return out, agents, Pool(count, tuple(a.name for a in members), tuple(events))


def _partner(b: Builder, pool: Pool, event: Event, place: int) -> X:
    """1 where the member at `place` is the one the switching member trades places with."""
    return b.call("==", b.name(pool.count) + event.offset, b.num(place))


def bond_jumps(pool: Pool, bond: dict[str, str], b: Builder) -> dict[str, list]:
    """Per member's bond state, its jumps: the switching member's and its partner's bonds
    trade places."""
    out: dict[str, list] = {bond[a]: [] for a in pool.members}
    for e in pool.events:
        mover = b.name(bond[pool.members[e.place - 1]])
        into = b.sum(
            _partner(b, pool, e, k) * (b.name(bond[a]) - mover)
            for k, a in enumerate(pool.members, start=1)
            if k != e.place
        )
        out[bond[pool.members[e.place - 1]]].append(ast.VolField(e.shock, into.e, b.span))
        for k, a in enumerate(pool.members, start=1):
            if k != e.place:
                moved = _partner(b, pool, e, k) * (mover - b.name(bond[a]))
                out[bond[a]].append(ast.VolField(e.shock, moved.e, b.span))
    return out


def euler_terms(pool: Pool, member: str, xi: dict[str, X], b: Builder) -> X:
    """Σ_e rate_e (ξ⁺ − ξ_i(x⁺)) for the member at its place: the marginal utility after a
    switch is that of the place the member moves to, where `drift(ξ_i)` reads its own place."""
    place = pool.members.index(member) + 1

    def after(name: str, shock: str) -> X:
        return xi[name] + b.call("jump", xi[name], b.name(shock))

    total = b.num(0)
    for e in pool.events:
        mine = after(member, e.shock)
        if e.place == place:
            moved = b.sum(
                _partner(b, pool, e, k) * (after(a, e.shock) - mine)
                for k, a in enumerate(pool.members, start=1)
                if k != place
            )
        else:
            mover = pool.members[e.place - 1]
            moved = _partner(b, pool, e, place) * (after(mover, e.shock) - mine)
        total = total + b.call("rate", b.name(e.shock)) * moved
    return total


def places(pool: Pool, member: str, name: str) -> Places:
    """The definition `name` of `member`'s `euler_terms`, for the code generator: marginal
    utilities `xi_<m>` of the consumption `c_<m>` of each member, in place order."""
    return Places(
        name,
        pool.members.index(member) + 1,
        tuple(f"xi_{m}" for m in pool.members),
        tuple(f"c_{m}" for m in pool.members),
        pool.count,
        tuple((e.shock, e.place, e.offset) for e in pool.events),
    )
