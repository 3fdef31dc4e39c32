"""Production from capital and labor: `capital k: ..., output = z*k^alpha*labor^(1 - alpha)`
with agents' labor endowments (`labor = ell`). Factor markets are competitive, so the wage is
w = ∂y/∂L and capital earns its marginal product ∂y/∂K (both by sympy); with constant returns
they exhaust output. Output is no longer proportional to capital, so capital is a state
(`state k in [lo, hi]`, required) and the price of capital q(k) the unknown.

The derivation covers one agent (CRRA γ, log γ = 1, discount ρ) who holds all capital and
supplies all labor; several agents with labor income are refused (E230). Its consumption is
what production leaves: c = y − ιK (goods market), and its wealth N = qK is financial wealth
only: human wealth, the value of its wage stream, is not traded, so it never enters a wealth
or a portfolio share; wage income w ℓ enters the budget, dN = (w ℓ + r N + N(μ_R − r) − c) dt
+ N σ_R dZ, which with Euler's theorem for output is the goods market itself. The rules:

- investment from Tobin's q, Φ'(ι)·q = 1 (as without labor), and dK/K = (Φ(ι) − δ) dt + σ dZ;
- the return on capital: μ_R = (∂y/∂K − ι)/q + Φ(ι) − δ + drift(q)/q + σ σ_q, σ_R = σ + σ_q;
- the bond's Euler equation gives the riskless rate, r = ρ + γ μ_c − ½γ(γ + 1)σ_c², with
  μ_c = drift(c)/c and σ_c = vol(c)/c (the compiler's Itô's lemma on c(K, q(K)));
- capital's first-order condition is the equation: μ_R − r = γ σ_R σ_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector, Span
from . import economy_capital_spec as capital_spec
from .economy_agents import check_trades
from .economy_ast import Builder, X, from_sympy, to_sympy

LABOR = "labor"  # aggregate labor's name in the output technology


@dataclass(frozen=True)
class Worker:
    name: str
    gamma: ast.Expr
    discount: ast.Expr
    labor: ast.Expr
    depreciation: ast.Expr
    span: Span


@dataclass(frozen=True)
class LaborEconomy:
    capital: ast.CapitalDecl
    investment: sp.Expr  # ι(q)
    shock: str
    sigma: sp.Expr
    output: sp.Expr  # y(k, labor)
    agent: Worker
    state: ast.StateDecl


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
    if len(decls) != 1:
        where = decls[1].span if decls else k.span
        capital_spec.unsupported(
            out, where, "a production economy with labor and other than one agent"
        )
        return None
    uses_labor = output is not None and sp.Symbol(LABOR) in output.free_symbols
    agent = _worker(decls[0], claim, bond, k, uses_labor, out)
    state = next((s for s in st if isinstance(s, ast.StateDecl) and s.name == k.name), None)
    if state is None:
        out.error(
            "E236",
            f"with output from capital and labor, capital '{k.name}' is a state: its domain "
            "is needed",
            k.span,
            f"declare 'state {k.name} in [lo, hi]' around the steady state",
        )
    if out.errors or None in (sigma, investment, output, agent, state):
        return None
    return LaborEconomy(k, investment, *sigma, output, agent, state)


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
    if claim is None or claim.name not in {t.id for t in a.trades}:
        out.error(
            "E233",
            f"agent '{a.name}' does not hold capital, and no one else does",
            a.span,
            f"add '{claim.name if claim else 'claim'}' to its trades",
        )
        return None
    mistake = (
        "has a productivity"
        if a.productivity is not None
        else "supplies no labor"
        if uses_labor and a.labor is None
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
            "give it 'labor = ell' where output uses 'labor', and no 'productivity'",
        )
        return None
    gamma = a.utility.args[0] if a.utility.kind == "crra" else ast.Num(1.0, a.utility.span)
    depreciation = a.depreciation or k.depreciation or ast.Num(0.0, k.span)
    labor = a.labor or ast.Num(0.0, a.span)
    return Worker(a.name, gamma, a.discount, labor, depreciation, a.span)


def derive(econ: LaborEconomy) -> list:
    """The equation-level statements of the economy (rules in the module docstring)."""
    k, a = econ.capital, econ.agent
    b, name = Builder(k.span), econ.agent.name
    n = b.name
    out: list = []

    def let(label: str, value: X, doc: str):
        out.append(ast.LetDecl(label, value.e, doc, value.span))

    sigma = from_sympy(econ.sigma, b)
    gamma = b.wrap(a.gamma)
    out.append(
        ast.UnknownDecl(
            "q",
            (ast.Name(k.name, k.span),),
            ast.Bound(b.num(0).e, None),
            "price of capital (Tobin's q)",
            k.span,
        )
    )
    let(LABOR, b.wrap(a.labor), "aggregate labor")
    let("iota", from_sympy(econ.investment, b), "investment rate: Phi'(iota)*q = 1")
    let("Phi", b.wrap(k.investment), "growth of capital from investment, Phi(iota)")
    let("delta_K", b.wrap(a.depreciation), "depreciation of capital")
    let("mu_K", n("Phi") - n("delta_K"), "expected growth of capital")
    out.append(
        ast.ProcessDecl(
            k.name,
            (n("mu_K") * n(k.name)).e,
            (ast.VolField(econ.shock, (sigma * n(k.name)).e, k.span),),
            None,
            k.span,
        )
    )
    kk, labor = sp.Symbol(k.name), sp.Symbol(LABOR)
    let("output", from_sympy(econ.output, b), "output y(k, labor)")
    for label, factor, doc in (("wage", labor, "wage"), ("mpk", kk, "capital's return")):
        marginal = from_sympy(sp.simplify(sp.diff(econ.output, factor)), b)
        let(label, marginal, f"{doc}: the marginal product of {factor}")
    let("consumption", n("output") - n("iota") * n(k.name), "consumption: output less investment")
    let(
        f"omega_{name}",
        n("consumption") / (n("q") * n(k.name)),
        f"consumption-wealth ratio of {name} (financial wealth)",
    )
    let("sigma_q", b.vol_growth(n("q"), econ.shock), "volatility of q")
    let("sigma_R", sigma + n("sigma_q"), "volatility of the return on capital")
    let(
        f"sigma_c_{name}",
        b.vol_growth(n("consumption"), econ.shock),
        f"volatility of the consumption of {name}",
    )
    let(f"mu_c_{name}", b.growth(n("consumption")), f"expected growth of the consumption of {name}")
    sigma_c, mu_c = n(f"sigma_c_{name}"), n(f"mu_c_{name}")
    let(
        "r",
        b.wrap(a.discount) + gamma * mu_c - gamma * (gamma + 1) / 2 * sigma_c**2,
        f"riskless rate (the bond's Euler equation of {name})",
    )
    let(
        "mu_R",
        (n("mpk") - n("iota")) / n("q") + n("mu_K") + b.growth(n("q")) + sigma * n("sigma_q"),
        "expected return on capital",
    )
    let("risk_premium", n("mu_R") - n("r"), "expected excess return on capital")
    out.append(
        ast.EquationDecl(
            f"capital_{name}",
            n("risk_premium").e,
            (gamma * n("sigma_R") * sigma_c).e,
            f"first-order condition of {name} for capital",
            a.span,
        )
    )
    return out
