"""The agents of an economy: their utility, discount rate and trades read and checked, and the
portfolio constraints attached to them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..grammar import ast
from ..grammar.diagnostics import Span, did_you_mean

UTILITIES = {"crra": 1, "log": 0}  # name -> number of arguments


@dataclass(frozen=True)
class Agent:
    """An agent of the economy. Marginal utility is c^k (k = −γ; log utility: k = −1).

    `role` says how the agent holds the risky asset: 'free' (a first-order condition decides),
    'out' (does not trade it: share 0), 'all' (does not trade the riskless asset: share 1) or
    'bounded' (a first-order condition, with `share op bound` as a complementarity)."""

    name: str
    gamma: ast.Expr
    discount: ast.Expr
    role: str
    span: Span
    op: str | None = None
    bound: ast.Expr | None = None
    constraint_span: Span | None = None


def agent(a: ast.AgentDecl, assets, n_trees: int, out) -> Agent | None:
    """The agent of a declaration, or None after reporting its errors."""
    names = [s.name for s in assets]
    ok = _utility(a, out)
    if a.discount is None:
        out.error("E207", f"agent '{a.name}' has no discount rate", a.span, "add 'discount = rho'")
        ok = False
    ok = check_trades(a, names, out) and ok
    if not ok:
        return None
    gamma = a.utility.args[0] if a.utility.kind == "crra" else ast.Num(1.0, a.utility.span)
    traded = {t.id for t in a.trades}
    risky = {s.name for s in assets if not s.riskless} & traded
    riskless = {s.name for s in assets if s.riskless} & traded
    has_riskless = any(s.riskless for s in assets)
    role = ("free" if riskless or not has_riskless else "all") if risky else "out"
    if not risky and not riskless:
        out.error(
            "E204",
            f"agent '{a.name}' trades no asset",
            a.span,
            "list the assets it trades: 'trades = [bond, stock]'",
        )
        return None
    if n_trees > 1 and role != "out" and (role == "all" or len(risky) < n_trees):
        out.error(
            "E219",
            f"agent '{a.name}' trades some of the assets only: with several risky "
            "assets walras supports agents who trade all of them and the riskless "
            "asset, or the riskless asset alone, so far",
            a.span,
        )
        return None
    return Agent(a.name, gamma, a.discount, role, a.span)


def check_trades(a: ast.AgentDecl, names: list[str], out) -> bool:
    """Are the assets the agent trades declared? Reports each one that is not."""
    ok = True
    for t in a.trades:
        if t.id not in names:
            out.error(
                "E204",
                f"agent '{a.name}' trades '{t.id}', which is not a declared asset",
                t.span,
                did_you_mean(t.id, names) or f"declare it with 'asset {t.id}: ...'",
            )
            ok = False
    return ok


def _utility(a: ast.AgentDecl, out) -> bool:
    """Is the agent's utility one walras knows, with its arguments? Reports it when not."""
    if a.utility is None:
        out.error(
            "E207",
            f"agent '{a.name}' has no utility",
            a.span,
            "add 'utility = crra(gamma)' or 'utility = log'",
        )
        return False
    if a.utility.kind not in UTILITIES:
        out.error(
            "E205",
            f"unknown utility '{a.utility.kind}'",
            a.utility.span,
            did_you_mean(a.utility.kind.lower(), UTILITIES) or "utilities: crra(gamma), log",
        )
        return False
    n = UTILITIES[a.utility.kind]
    if len(a.utility.args) != n:
        out.error(
            "E206",
            f"'{a.utility.kind}' takes {n} argument{'s' if n != 1 else ''}, not "
            f"{len(a.utility.args)}",
            a.utility.span,
            "write 'crra(gamma)'" if n else "write 'log'",
        )
        return False
    return True


def constrain(agents, constraints, stock, bond, n_trees: int, out) -> list:
    """The agents with their portfolio constraints attached (a constrained agent is
    'bounded'); a constraint that cannot apply is reported."""
    by_name = {a.name: a for a in agents if a is not None}
    result = list(agents)
    seen: set[str] = set()
    for c in constraints:
        if n_trees > 1:
            out.error(
                "E219",
                "a portfolio constraint with several risky assets is not supported yet",
                c.span,
            )
            continue
        if c.agent.id not in by_name:
            out.error(
                "E209",
                f"a constraint on '{c.agent.id}', which is not a declared agent",
                c.agent.span,
                did_you_mean(c.agent.id, by_name),
            )
            continue
        a = by_name[c.agent.id]
        new = _bounded(a, c, stock, bond, seen, out)
        if new is not None:
            result[result.index(a)] = by_name[a.name] = new
    return result


def _bounded(a: Agent, c: ast.ConstraintDecl, stock, bond, seen: set, out) -> Agent | None:
    """Agent `a` under constraint `c` on its share of the stock (a bound on the bond's share
    is one on the stock's: share(bond) = 1 − share(stock)); None after an error."""
    asset = next((x for x in (stock, bond) if x is not None and c.asset.id == x.name), None)
    if asset is None:
        names = [x.name for x in (stock, bond) if x is not None]
        out.error(
            "E209",
            f"'{c.asset.id}' is not a declared asset",
            c.asset.span,
            did_you_mean(c.asset.id, names),
        )
        return None
    if a.role not in (("free", "bounded", "all") if asset is stock else ("free", "bounded", "out")):
        out.error(
            "E209",
            f"agent '{a.name}' does not trade '{asset.name}', so its share cannot be constrained",
            c.span,
            f"add '{asset.name}' to its trades, or drop the constraint",
        )
        return None
    if a.name in seen:
        out.error(
            "E214",
            f"a second constraint on the portfolio of '{a.name}'",
            c.span,
            "walras supports one bound per agent so far",
        )
        return None
    seen.add(a.name)
    if a.role != "free":
        out.error(
            "E209",
            f"agent '{a.name}' holds a fixed share of '{stock.name}', so a "
            "constraint on it has no effect",
            c.span,
        )
        return None
    op, bound = c.op, c.bound
    if asset is bond:
        op = "<=" if c.op == ">=" else ">="
        bound = ast.BinOp("-", ast.Num(1.0, c.bound.span), c.bound, c.bound.span)
    return replace(a, role="bounded", op=op, bound=bound, constraint_span=c.span)
