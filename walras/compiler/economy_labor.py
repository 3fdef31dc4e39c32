"""Reading production from capital and labor: `capital k: ..., output =
z*k^alpha*labor^(1 - alpha)` with agents' labor endowments (`labor = ell`), checked for the
mistakes a user can make (E236, E230). Output is no longer proportional to capital, so capital
is a state (`state k in [lo, hi]`, required). One agent (the *holder*, CRRA or log) holds all
capital; the others trade the bond only; each supplies its labor endowment (none without
`labor`). The equilibrium equations are built in `economy_labor_derive`."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector, Span
from . import economy_capital_spec as capital_spec
from .economy_agents import check_trades
from .economy_ast import to_sympy

LABOR = "labor"  # aggregate labor's name in the output technology


@dataclass(frozen=True)
class Worker:
    """An agent: its risk aversion (1 for log), discount rate, labor endowment (0 without
    `labor`), whether it holds capital, and the depreciation of the capital it holds."""

    name: str
    gamma: ast.Expr
    discount: ast.Expr
    labor: ast.Expr
    holds: bool
    depreciation: ast.Expr
    span: Span


@dataclass(frozen=True)
class LaborEconomy:
    capital: ast.CapitalDecl
    investment: sp.Expr  # ι(q)
    shock: str
    sigma: sp.Expr
    output: sp.Expr  # y(k, labor)
    agents: tuple[Worker, ...]
    state: ast.StateDecl
    state_decls: dict[str, ast.StateDecl]

    @property
    def holder(self) -> Worker:
        """The agent who holds capital: its first-order condition prices it."""
        return next(a for a in self.agents if a.holds)


def read(module: ast.Module, out: Collector) -> LaborEconomy | None:
    """The economy of a module whose capital has `output = ...`; None after errors."""
    st = module.statements
    k = capital_spec.extras(st, out)
    shocks = {s.name for s in st if isinstance(s, ast.ShockDecl) and s.rate is None}
    sigma = capital_spec.volatility(k, shocks, out)
    investment = capital_spec.iota_of_q(k, out)
    claim, bond = capital_spec.assets([s for s in st if isinstance(s, ast.AssetDecl)], k, out)
    output = _output(k, out)
    decls = [s for s in st if isinstance(s, ast.AgentDecl)]
    uses_labor = output is not None and sp.Symbol(LABOR) in output.free_symbols
    agents = [_worker(a, claim, bond, k, uses_labor, out) for a in decls]
    _participation(decls, claim, bond, k, uses_labor, out)
    state = next((s for s in st if isinstance(s, ast.StateDecl) and s.name == k.name), None)
    if state is None:
        out.error(
            "E236",
            f"with output from capital and labor, capital '{k.name}' is a state: its domain "
            "is needed",
            k.span,
            f"declare 'state {k.name} in [lo, hi]' around the steady state",
        )
    if out.errors or None in (sigma, investment, output, state) or None in agents:
        return None
    states = {s.name: s for s in st if isinstance(s, ast.StateDecl)}
    return LaborEconomy(k, investment, *sigma, output, tuple(agents), state, states)


def _participation(decls, claim, bond, k: ast.CapitalDecl, uses_labor: bool, out):
    """Agents at all, one holder of capital, a bond for several agents, someone's labor."""
    name = claim.name if claim else "claim"
    holders = [a for a in decls if claim is not None and claim.name in {t.id for t in a.trades}]
    if not decls:
        out.error(
            "E216",
            "the economy has no agents",
            k.span,
            f"declare one: 'agent worker: utility = log, discount = rho, trades = [bond, "
            f"{name}], labor = ell'",
        )
    elif not holders:
        out.error(
            "E233",
            f"no agent holds '{name}', the claim on capital",
            decls[0].span,
            f"add '{name}' to the trades of one agent",
        )
    elif len(holders) > 1:
        capital_spec.unsupported(
            out, holders[1].span, "a second agent holding capital beside output from labor"
        )
    elif len(decls) > 1 and bond is None:
        out.error(
            "E210",
            "agents need a riskless asset to trade with each other",
            decls[1].span,
            "declare 'asset bond: riskless, supply = 0' and add it to the agents' trades",
        )
    elif uses_labor and all(a.labor is None for a in decls):
        out.error(
            "E236",
            f"output uses '{LABOR}', and no agent supplies labor",
            decls[0].span,
            "give the agents who work 'labor = ell' (their labor endowment)",
        )


def _output(k: ast.CapitalDecl, out) -> sp.Expr | None:
    """y(k, labor), checked for constant returns to scale (so factor payments exhaust it)."""
    try:
        y = to_sympy(k.output)
    except (ValueError, TypeError) as err:
        out.error("E236", f"the output technology cannot be used: {err}", k.output.span)
        return None
    kk, labor = sp.Symbol(k.name), sp.Symbol(LABOR)
    if kk not in y.free_symbols:
        message = f"output must be a function of capital '{k.name}' (and '{LABOR}')"
    elif sp.simplify(kk * sp.diff(y, kk) + labor * sp.diff(y, labor) - y) != 0:
        message = "output must have constant returns to scale in capital and labor"
    else:
        return y
    out.error(
        "E236",
        message,
        k.output.span,
        f"write it as y(k, labor), such as 'z*{k.name}^alpha*{LABOR}^(1 - alpha)': wages and "
        "capital's return are the marginal products, and they must pay for all of output",
    )
    return None


def _worker(a: ast.AgentDecl, claim, bond, k: ast.CapitalDecl, uses_labor, out) -> Worker | None:
    if a.utility is None or a.discount is None or a.utility.kind not in ("log", "crra"):
        out.error(
            "E207",
            f"agent '{a.name}' needs 'utility = log' or 'crra(gamma)' and a discount rate",
            a.span,
            "add 'utility = log' and 'discount = rho'",
        )
        return None
    if not check_trades(a, [x.name for x in (claim, bond) if x], out):
        return None
    holds = claim is not None and claim.name in {t.id for t in a.trades}
    mistake = (
        "has a productivity"
        if a.productivity is not None
        else "has a depreciation and holds no capital"
        if a.depreciation is not None and not holds
        else "supplies labor that output does not use"
        if a.labor is not None and not uses_labor
        else None
    )
    if mistake:
        out.error(
            "E236",
            f"agent '{a.name}' {mistake}: with 'output = ...' the technology is the capital "
            "stock's, and labor comes from the agents' endowments",
            a.span,
            "give it 'labor = ell' where output uses 'labor', no 'productivity', and a "
            "'depreciation' only where it holds capital",
        )
        return None
    gamma = a.utility.args[0] if a.utility.kind == "crra" else ast.Num(1.0, a.utility.span)
    depreciation = a.depreciation or k.depreciation or ast.Num(0.0, k.span)
    labor = a.labor or ast.Num(0.0, a.span)
    return Worker(a.name, gamma, a.discount, labor, holds, depreciation, a.span)
