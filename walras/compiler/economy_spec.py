"""Reading the economy statements of a module: agents, assets, constraints and the endowment,
checked for the mistakes a user can make, as an `Economy` the derivation works from."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector, did_you_mean
from . import economy_jumps
from .economy_agents import Agent, agent, constrain
from .economy_ast import to_sympy


@dataclass(frozen=True)
class Tree:
    """A risky asset, the endowment its dividend is proportional to and, when that endowment is
    a scale, the dividend's constant growth rates (drift/y and vol/y per shock)."""

    asset: ast.AssetDecl
    endowment: str
    growth: sp.Expr | None
    vol_growth: dict[str, sp.Expr] | None
    jump_growth: dict[str, sp.Expr] | None = None  # Poisson shock -> relative jump J/y


@dataclass(frozen=True)
class Economy:
    agents: tuple[Agent, ...]
    endowment: ast.ProcessDecl  # the first endowment: a state when not `scale`
    scale: bool  # True: every endowment is a scale that drops out
    trees: tuple[Tree, ...]  # the risky assets
    shocks: tuple[str, ...]  # Brownian shocks the endowments load on
    bond: ast.AssetDecl | None
    state_decls: dict[str, ast.StateDecl]  # user domains for derived states (and y)
    endowments: tuple[ast.ProcessDecl, ...]
    rates: dict[str, ast.Expr] = field(default_factory=dict)  # Poisson shock -> its rate

    @property
    def stock(self) -> ast.AssetDecl:
        return self.trees[0].asset

    @property
    def jumps(self) -> dict[str, sp.Expr]:
        """Poisson shock -> the relative jump of the dividend (−b for a disaster of size b)."""
        return dict(self.trees[0].jump_growth or {})


def read(module: ast.Module, out: Collector) -> Economy | None:
    """The economy of a module, or None after reporting its errors to `out`."""
    st = module.statements
    decls = [s for s in st if isinstance(s, ast.EndowmentDecl)]
    endowments = [d.process for d in decls]
    assets = [s for s in st if isinstance(s, ast.AssetDecl)]
    agent_decls = [s for s in st if isinstance(s, ast.AgentDecl)]
    constraints = [s for s in st if isinstance(s, ast.ConstraintDecl)]
    states = {s.name: s for s in st if isinstance(s, ast.StateDecl)}
    first = (decls + assets + agent_decls + constraints)[0].span

    if not endowments:
        out.error(
            "E201",
            "the economy has no endowment",
            first,
            "declare the dividend process: 'endowment y: drift = mu*y, vol[Z] = sigma*y'",
        )
        return None
    if not agent_decls:
        out.error(
            "E216",
            "the economy has no agents",
            first,
            "declare one: 'agent household: utility = crra(gamma), discount = rho, "
            "trades = [bond, stock]'",
        )
    shock_decls = {s.name: s for s in st if isinstance(s, ast.ShockDecl)}
    _names(endowments, agent_decls, assets, shock_decls, out)
    rates = {p.state: _endowment(p, states, len(endowments) > 1, out) for p in endowments}
    risky, bond = _assets(assets, endowments, first, out)
    trees = tuple(Tree(a, y, *rates[y][1:]) for a, y in risky)
    shocks = tuple(dict.fromkeys(v.shock for p in endowments for v in p.vols))
    if len(trees) > 1:
        _complete(trees, shocks, out)
    agents = [agent(a, assets, len(trees), out) for a in agent_decls]
    stock = trees[0].asset if trees else None
    agents = constrain(agents, constraints, stock, bond, len(trees), out)
    _clearing(agents, trees, bond, len(agent_decls), first, out)
    if out.errors or not trees:
        return None
    scale = all(r[0] for r in rates.values())
    economy_jumps.supported(endowments, trees, agents, scale, out)
    if out.errors:
        return None
    jump_rates = {j.shock: shock_decls[j.shock].rate for p in endowments for j in p.jumps}
    return Economy(
        tuple(agents),
        endowments[0],
        scale,
        trees,
        shocks,
        bond,
        states,
        tuple(endowments),
        jump_rates,
    )


def _clearing(agents, trees, bond, n_agents: int, first, out):
    """Can the markets clear: someone trades the risky assets, someone trades them freely
    (and so prices their risk), and several agents have a riskless asset to trade with?"""
    stock = trees[0].asset if trees else None
    if stock is not None and agents and all(a.role == "out" for a in agents if a):
        names = " and ".join(f"'{t.asset.name}'" for t in trees)
        out.error(
            "E208",
            f"the economy cannot clear: no agent trades {names}",
            stock.span,
            f"add {names} to the 'trades' of at least one agent",
        )
    elif stock is not None and agents and all(agents) and not any(a.role == "free" for a in agents):
        out.error(
            "E212",
            f"no agent trades '{stock.name}' freely, so nothing prices its risk",
            stock.span,
            "let at least one agent trade both the riskless and the risky "
            "asset without a constraint",
        )
    if bond is None and n_agents > 1:
        out.error(
            "E210",
            "agents need a riskless asset to trade with each other",
            first,
            "declare 'asset bond: riskless, supply = 0' and add it to the agents' trades",
        )


def _names(endowments, agents, assets, shocks, out):
    """Shocks of the endowments declared, and nothing declared twice."""
    for p in endowments:
        economy_jumps.declared(p, shocks, out)
        if not p.vols:
            out.error(
                "E211",
                f"the endowment '{p.state}' has no volatility, so nothing is risky",
                p.span,
                f"add 'vol[Z] = sigma*{p.state}'",
            )
        for v in p.vols:
            if v.shock not in shocks:
                out.error(
                    "E217",
                    f"vol[{v.shock}] names an undeclared shock",
                    v.span,
                    did_you_mean(v.shock, list(shocks)) or f"declare it with 'shock {v.shock}'",
                )
    for kind, decls in (("agent", agents), ("asset", assets), ("endowment", endowments)):
        seen = set()
        for d in decls:
            name = getattr(d, "name", None) or d.state
            if name in seen:
                out.error("E218", f"{kind} '{name}' is declared twice", d.span)
            seen.add(name)


def _assets(assets, endowments, first, out):
    """The risky assets, each with the endowment its dividend is proportional to, and the
    riskless asset."""
    names = [p.state for p in endowments]
    risky = [a for a in assets if not a.riskless]
    riskless = [a for a in assets if a.riskless]
    _kinds(assets, names[0], out)
    for extra in riskless[1:]:
        out.error("E203", "a second riskless asset", extra.span, "one riskless asset suffices")
    if not risky:
        out.error(
            "E208",
            "the economy has no risky asset, so there is nothing to clear",
            first,
            f"declare 'asset stock: dividend = {names[0]}, supply = 1'",
        )
        return [], (riskless or [None])[0]
    trees, paid = [], {}
    for a in risky:
        y = _paid_by(a, names, out)
        if y is None:
            continue
        if y in paid:
            out.error(
                "E203",
                f"'{a.name}' and '{paid[y]}' both pay a dividend proportional to "
                f"'{y}', so their returns are the same",
                a.span,
                "give each risky asset its own endowment",
            )
            continue
        paid[y] = a.name
        trees.append((a, y))
    for p in endowments:
        if trees and len(paid) == len(trees) and p.state not in paid:
            out.error(
                "E201",
                f"no asset pays the endowment '{p.state}' as its dividend: "
                "income that is not traded is not supported yet",
                p.span,
                f"declare 'asset tree_{p.state}: dividend = {p.state}, supply = 1'",
            )
    return trees, (riskless or [None])[0]


def _kinds(assets, y: str, out):
    """A riskless asset has no dividend and zero net supply; a risky asset pays a dividend."""
    for a in assets:
        if a.riskless and a.dividend is not None:
            out.error(
                "E202",
                f"'{a.name}' is riskless and pays a dividend",
                a.span,
                "a riskless asset has no dividend: drop 'dividend = ...' or 'riskless'",
            )
        elif not a.riskless and a.dividend is None:
            out.error(
                "E202",
                f"asset '{a.name}' has no dividend",
                a.span,
                f"write 'asset {a.name}: dividend = {y}, supply = 1', or mark it 'riskless'",
            )
    for a in assets:
        if (
            a.riskless
            and a.supply is not None
            and not (isinstance(a.supply, ast.Num) and a.supply.value == 0)
        ):
            out.error(
                "E202",
                f"the riskless asset '{a.name}' must be in zero net supply",
                a.supply.span,
                "write 'supply = 0'",
            )


def _paid_by(asset: ast.AssetDecl, endowments: list[str], out) -> str | None:
    """The endowment a risky asset's dividend is proportional to; None after an error."""
    try:
        d = to_sympy(asset.dividend)
    except (ValueError, TypeError):
        d = None
    ys = [y for y in endowments if d is not None and sp.Symbol(y) in d.free_symbols]
    if len(ys) == 1 and not (
        sp.simplify(d / sp.Symbol(ys[0])).free_symbols & {sp.Symbol(y) for y in endowments}
    ):
        return ys[0]
    one = ys[0] if ys else endowments[0]
    out.error(
        "E215",
        f"the dividend of '{asset.name}' must be proportional to one endowment",
        asset.dividend.span,
        f"write 'dividend = {one}'",
    )
    return None


def _complete(trees, shocks, out):
    """Several risky assets are supported when markets are complete: as many assets as shocks,
    with dividend risks that span them."""
    risk = (
        sp.Matrix([[t.vol_growth.get(z, 0) for z in shocks] for t in trees])
        if all(t.vol_growth is not None for t in trees)
        else None
    )
    if len(trees) != len(shocks) or (risk is not None and risk.rank() < len(trees)):
        out.error(
            "E203",
            f"{len(trees)} risky assets and {len(shocks)} shocks: with several risky "
            "assets walras supports complete markets only",
            trees[1].asset.span,
            "let the dividends load on as many independent shocks as there are risky assets",
        )


def _endowment(p: ast.ProcessDecl, states, several: bool, out):
    """Is the endowment a scale that drops out (drift and vols proportional to it)? Then also
    its growth rates: drift/y and vol/y per shock."""
    if p.state in states and several:
        out.error(
            "E211",
            f"the endowment '{p.state}' is declared as a state: with several "
            "endowments walras supports scales (drift and vols proportional to "
            "the endowment) only, so far",
            states[p.state].span,
        )
        return True, None, None, None
    if p.state in states:
        return False, None, None, None
    y = sp.Symbol(p.state)
    exprs = [("drift", p.drift if p.drift is not None else ast.Num(0.0, p.span))]
    exprs += [(f"vol[{v.shock}]", v.expr) for v in p.vols]
    exprs += [(f"jump[{j.shock}]", j.expr) for j in p.jumps]
    ratios = {}
    for label, e in exprs:
        try:
            r = sp.simplify(to_sympy(e) / y)
        except (ValueError, TypeError) as err:
            out.error("E211", f"the {label} of the endowment cannot be used: {err}", e.span)
            return True, None, None, None
        if y in r.free_symbols:
            out.error(
                "E211",
                f"the {label} of the endowment '{p.state}' is not proportional to "
                f"'{p.state}', so '{p.state}' cannot drop out of the model",
                e.span,
                f"declare it as a state, 'state {p.state} in [lo, hi]', or make "
                f"the {label} proportional to '{p.state}'",
            )
            return True, None, None, None
        ratios[label] = r
    growth = ratios.pop("drift")
    vols = {k[4:-1]: v for k, v in ratios.items() if k.startswith("vol")}
    return True, growth, vols, {k[5:-1]: v for k, v in ratios.items() if k.startswith("jump")}
