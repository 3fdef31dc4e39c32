"""Reading a production economy: a capital stock with its investment technology, the asset that
is a claim on it, and the agents who hold it with their own productivity and depreciation,
checked for the mistakes a user can make (errors E230–E233)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector, Span, did_you_mean
from .economy_agents import check_trades
from .economy_ast import Builder, from_sympy, to_sympy

IOTA = "iota"  # the investment rate's name in the investment technology Φ(ι)


@dataclass(frozen=True)
class Holder:
    """An agent of a production economy (log utility), with the productivity and depreciation
    of the capital it holds; `holds` is False for an agent who trades the bond only."""

    name: str
    discount: ast.Expr
    holds: bool
    productivity: ast.Expr | None
    depreciation: ast.Expr
    span: Span


@dataclass(frozen=True)
class Production:
    capital: ast.CapitalDecl
    investment: sp.Expr  # ι(q), from Φ'(ι)·q = 1
    shock: str
    sigma: sp.Expr  # vol[Z]/k
    claim: ast.AssetDecl
    bond: ast.AssetDecl | None
    agents: tuple[Holder, ...]
    state_decls: dict[str, ast.StateDecl]

    @property
    def pricer(self) -> Holder:
        """The first agent who holds capital: its first-order condition prices capital."""
        return next(a for a in self.agents if a.holds)


def read(module: ast.Module, out: Collector) -> Production | None:
    """The production economy of a module, or None after reporting its errors to `out`."""
    st = module.statements
    k = extras(st, out)
    shocks = {s.name for s in st if isinstance(s, ast.ShockDecl) and s.rate is None}
    sigma = volatility(k, shocks, out)
    investment = iota_of_q(k, out)
    claim, bond = assets([s for s in st if isinstance(s, ast.AssetDecl)], k, out)
    decls = [s for s in st if isinstance(s, ast.AgentDecl)]
    agents = [_agent(a, claim, bond, k, out) for a in decls]
    if not decls:
        out.error(
            "E216",
            "the economy has no agents",
            k.span,
            f"declare one: 'agent expert: utility = log, discount = rho, "
            f"trades = [bond, {claim.name if claim else 'claim'}], productivity = a'",
        )
    elif len(decls) > 2:
        unsupported(out, decls[2].span, "more than two agents in a production economy")
    elif bond is None and len(decls) > 1:
        out.error(
            "E210",
            "agents need a riskless asset to trade with each other",
            decls[1].span,
            "declare 'asset bond: riskless, supply = 0' and add it to the agents' trades",
        )
    if claim is not None and all(a is not None and not a.holds for a in agents):
        out.error(
            "E233",
            f"no agent holds '{claim.name}', the claim on capital",
            claim.span,
            f"add '{claim.name}' to the trades of at least one agent",
        )
    if out.errors or None in (sigma, investment, claim) or None in agents:
        return None
    states = {s.name: s for s in st if isinstance(s, ast.StateDecl)}
    return Production(k, investment, *sigma, claim, bond, tuple(agents), states)


def extras(st, out) -> ast.CapitalDecl:
    """The first capital stock; a second one, endowments and constraints are reported."""
    stocks = [s for s in st if isinstance(s, ast.CapitalDecl)]
    for extra in stocks[1:]:
        unsupported(out, extra.span, "a second capital stock")
    for s in st:
        if isinstance(s, ast.EndowmentDecl | ast.ConstraintDecl):
            what = "an endowment" if isinstance(s, ast.EndowmentDecl) else "a portfolio constraint"
            unsupported(out, s.span, f"{what} beside a capital stock")
    return stocks[0]


def unsupported(out, span, what: str):
    out.error(
        "E230",
        f"{what} is not supported yet",
        span,
        "production economies take one capital stock, one Brownian shock, up to two agents "
        "with log utility and no portfolio constraints, so far",
    )


def volatility(k: ast.CapitalDecl, shocks: set[str], out):
    """The shock capital loads on and its volatility per unit of capital."""
    if len(k.vols) != 1:
        if k.vols:
            unsupported(out, k.vols[1].span, "capital loading on several shocks")
        else:
            out.error(
                "E231",
                f"the capital stock '{k.name}' has no volatility",
                k.span,
                f"add 'vol[Z] = sigma*{k.name}'",
            )
        return None
    v = k.vols[0]
    if v.shock not in shocks:
        out.error(
            "E231",
            f"vol[{v.shock}] names no declared Brownian shock",
            v.span,
            did_you_mean(v.shock, sorted(shocks)) or f"declare it with 'shock {v.shock}'",
        )
        return None
    try:
        ratio = sp.simplify(to_sympy(v.expr) / sp.Symbol(k.name))
    except (ValueError, TypeError):
        ratio = None
    if ratio is None or sp.Symbol(k.name) in ratio.free_symbols:
        out.error(
            "E231",
            f"the volatility of '{k.name}' must be proportional to '{k.name}'",
            v.expr.span,
            f"write 'vol[{v.shock}] = sigma*{k.name}': the economy is homogeneous in capital",
        )
        return None
    return v.shock, ratio


def iota_of_q(k: ast.CapitalDecl, out) -> sp.Expr | None:
    """ι(q) from Φ'(ι)·q = 1, solved by sympy; None after an error."""
    if k.investment is None:
        out.error(
            "E231",
            f"the capital stock '{k.name}' has no investment technology",
            k.span,
            "add 'investment = log(phi*iota + 1)/phi' (capital grows by Phi(iota) per unit)",
        )
        return None
    try:
        phi = to_sympy(k.investment)
    except (ValueError, TypeError) as err:
        out.error("E231", f"the investment technology cannot be used: {err}", k.investment.span)
        return None
    iota, q = sp.Symbol(IOTA), sp.Symbol("q", positive=True)
    if iota not in phi.free_symbols or sp.Symbol(k.name) in phi.free_symbols:
        out.error(
            "E231",
            f"the investment technology must be a function of '{IOTA}' (the investment rate "
            f"per unit of capital) and parameters",
            k.investment.span,
            "write it as Phi(iota), such as 'log(phi*iota + 1)/phi'",
        )
        return None
    slope = sp.diff(phi, iota)
    try:
        roots = sp.solve(sp.Eq(slope * q, 1), iota)
    except (NotImplementedError, ValueError, TypeError, sp.PolynomialError):
        roots = []
    roots = [r for r in roots if sp.simplify(slope.subs(iota, r) * q - 1) == 0 and _writable(r)]
    if len(roots) != 1:
        out.error(
            "E232",
            f"Phi'(iota)*q = 1 has {'no closed-form' if not roots else 'more than one'} "
            "solution for the investment rate iota",
            k.investment.span,
            "use a technology whose marginal product inverts in closed form, such as "
            "'log(phi*iota + 1)/phi' or '(sqrt(1 + 2*kappa*iota) - 1)/kappa'",
        )
        return None
    return sp.simplify(roots[0].subs(q, sp.Symbol("q")))


def _writable(expr: sp.Expr) -> bool:
    """Can the .econ language write the expression (no special functions sympy introduced)?"""
    try:
        from_sympy(expr, Builder(None))
    except ValueError:
        return False
    return True


def assets(assets, k: ast.CapitalDecl, out):
    """The claim on capital and the riskless asset."""
    claims = [a for a in assets if a.capital is not None]
    bonds = [a for a in assets if a.riskless]
    for a in assets:
        if a.capital is not None and a.capital.id != k.name:
            out.error(
                "E233",
                f"'{a.name}' is a claim on '{a.capital.id}', which is not the declared capital",
                a.capital.span,
                f"write 'capital = {k.name}'",
            )
        elif a.capital is not None and (a.dividend is not None or a.riskless):
            out.error(
                "E233",
                f"'{a.name}' is a claim on capital: its dividend is output less investment",
                a.span,
                "drop 'dividend = ...' and 'riskless'",
            )
        elif a.capital is None and not a.riskless:
            unsupported(out, a.span, "a risky asset that is not a claim on capital")
    for extra in claims[1:] + bonds[1:]:
        unsupported(out, extra.span, "a second claim on capital or riskless asset")
    if not claims:
        out.error(
            "E233",
            f"no asset is a claim on the capital '{k.name}'",
            k.span,
            f"declare 'asset claim: capital = {k.name}, supply = 1'",
        )
    return (claims or [None])[0], (bonds or [None])[0]


def _agent(a: ast.AgentDecl, claim, bond, k: ast.CapitalDecl, out) -> Holder | None:
    """An agent of a production economy; None after an error."""
    if a.utility is None or a.discount is None:
        out.error(
            "E207",
            f"agent '{a.name}' has no {'utility' if a.utility is None else 'discount rate'}",
            a.span,
            "add 'utility = log' and 'discount = rho'",
        )
        return None
    if a.utility.kind != "log":
        unsupported(out, a.utility.span, f"utility '{a.utility.kind}' in a production economy")
        return None
    if not check_trades(a, [x.name for x in (claim, bond) if x is not None], out):
        return None
    holds = claim is not None and claim.name in {t.id for t in a.trades}
    if a.labor is not None:
        out.error(
            "E236",
            f"agent '{a.name}' supplies labor, and the capital stock's output does not use it",
            a.labor.span,
            f"give the capital stock 'output = z*{k.name}^alpha*labor^(1 - alpha)', or drop "
            "'labor'",
        )
        return None
    if holds and a.productivity is None:
        out.error(
            "E233",
            f"agent '{a.name}' holds capital but has no productivity",
            a.span,
            "add 'productivity = a': output per unit of capital it holds",
        )
        return None
    if not holds and (a.productivity is not None or a.depreciation is not None):
        out.error(
            "E233",
            f"agent '{a.name}' does not hold capital, so its productivity and depreciation "
            "have no use",
            a.span,
            f"add '{claim.name if claim else 'claim'}' to its trades, or drop them",
        )
        return None
    if not a.trades:
        out.error("E204", f"agent '{a.name}' trades no asset", a.span, "list the assets it trades")
        return None
    zero = ast.Num(0.0, k.span)
    depreciation = a.depreciation or k.depreciation or zero
    return Holder(a.name, a.discount, holds, a.productivity, depreciation, a.span)
