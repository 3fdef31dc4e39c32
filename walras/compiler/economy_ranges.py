"""The economy's values in range, checked with the final parameter values: a parameter may be set
after the lowering (`--set`, `with_params`), so these checks see numbers where the lowering saw
expressions. Risk aversion is positive, discount rates are not negative, risky assets are in
positive supply, the endowment carries risk, shares lie in [0, 1], and an agent who holds all
the wealth prices the dividends at a finite price-dividend ratio and may hold them."""

from __future__ import annotations

import math
from dataclasses import replace

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector
from .economy_agents import Agent
from .economy_ast import to_sympy
from .economy_spec import Economy, Tree
from .model import Model


def check(econ: Economy, model: Model) -> Model:
    """`model` with the economy's warnings added; EconError when a value is out of range."""
    out = Collector()
    params = model.params
    for a in econ.agents:
        _agent(a, params, out)
    for t in econ.trees:
        _supply(t.asset, params, out)
        _dividend(t, params, out)
    _disasters(econ, params, out)
    if econ.scale:
        _risk(econ, params, out)
    _shares(econ, model, out)
    if not out.errors:
        _finite_price(econ, params, out)
        _market_within_bounds(econ, model, params, out)
    out.raise_if_errors()
    return replace(model, warnings=model.warnings + tuple(out.warnings))


def value(e: ast.Expr | sp.Expr, params: dict[str, float]) -> float | None:
    """The value of an expression of numbers and parameters (NaN where it has none, such as
    1/0); None when it names anything else."""
    try:
        x = to_sympy(e) if not isinstance(e, sp.Basic) else e
    except ValueError:
        return None
    if any(s.name not in params for s in x.free_symbols):
        return None
    try:
        v = complex(x.xreplace({sp.Symbol(k): sp.Float(v) for k, v in params.items()}))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return math.nan
    return v.real if v.imag == 0 else math.nan


def _constant(e: ast.Expr, what: str, params, out) -> float | None:
    """The value of `e`; None after reporting that it is not an expression of parameters."""
    v = value(e, params)
    if v is None:
        out.error(
            "E225",
            f"{what} must be a number or an expression of parameters",
            e.span,
            "the equilibrium conditions treat it as a constant: declare a parameter for it",
        )
    return v


def _agent(a: Agent, params, out):
    gamma = _constant(a.gamma, f"the risk aversion of '{a.name}'", params, out)
    if gamma is not None and not (math.isfinite(gamma) and gamma > 0):
        out.error(
            "E220",
            f"the risk aversion of '{a.name}' is {gamma:g}: it must be a finite number > 0",
            a.gamma.span,
            "an agent with zero or negative risk aversion takes unbounded positions, so no "
            "equilibrium exists; crra(1) is log utility",
        )
    rho = _constant(a.discount, f"the discount rate of '{a.name}'", params, out)
    if rho is not None and not (math.isfinite(rho) and rho >= 0):
        out.error(
            "E221",
            f"the discount rate of '{a.name}' is {rho:g}: it must be a finite number >= 0",
            a.discount.span,
            "write a rate per unit of time, such as 'discount = 0.05'",
        )


def _supply(asset: ast.AssetDecl, params, out):
    """A risky asset's supply must be positive; its value does not change the results, which
    are ratios (prices per unit of dividend, shares of wealth, consumption per unit of wealth)."""
    if asset.supply is None:
        return
    s = _constant(asset.supply, f"the supply of '{asset.name}'", params, out)
    if s is None:
        return
    if not (math.isfinite(s) and s > 0):
        out.error(
            "E222",
            f"the supply of '{asset.name}' is {s:g}: a risky asset must be in positive supply",
            asset.supply.span,
            "write 'supply = 1': the agents together hold the asset, so their consumption is "
            "its dividend",
        )
    elif s != 1:
        out.warn(
            "W220",
            f"the supply of '{asset.name}' is {s:g}; its value does not change the results",
            asset.supply.span,
            "every result is a ratio (price per unit of dividend, shares of wealth, "
            "consumption per unit of wealth), the same for any positive supply: write "
            "'supply = 1'",
        )


def _dividend(tree: Tree, params, out):
    """A dividend is a positive multiple of its endowment (the multiple, like the supply, does
    not change the results; its sign would be lost)."""
    multiple = value(sp.simplify(to_sympy(tree.asset.dividend) / sp.Symbol(tree.endowment)), params)
    if multiple is not None and not (math.isfinite(multiple) and multiple > 0):
        out.error(
            "E227",
            f"the dividend of '{tree.asset.name}' is {multiple:g} times '{tree.endowment}': it "
            "must be a positive multiple",
            tree.asset.dividend.span,
            f"write 'dividend = {tree.endowment}'",
        )


def _disasters(econ: Economy, params, out):
    """A jump of the endowment keeps it positive: y(1 + k) > 0 for the relative jump k."""
    for j in econ.endowment.jumps:
        k = value(econ.jumps.get(j.shock, 0), params)
        if k is not None and not (math.isfinite(k) and k > -1):
            out.error(
                "E229",
                f"at an arrival of {j.shock} the endowment '{econ.endowment.state}' changes by "
                f"the fraction {k:g}, which leaves it "
                + ("at or below zero" if k <= -1 else "infinite"),
                j.span,
                f"a disaster takes a fraction below one: 'jump[{j.shock}] = -b*"
                f"{econ.endowment.state}' with 0 < b < 1",
            )


def _shares(econ: Economy, model: Model, out):
    """A declared domain of a wealth share or a dividend share lies within [0, 1]: outside,
    an agent's wealth or a tree's dividend is negative."""
    shares = {f"eta_{a.name}" for a in econ.agents} | {f"s_{t.asset.name}" for t in econ.trees}
    for st in model.states:
        if st.name in shares and not (0 <= st.lo and st.hi <= 1):
            out.error(
                "E226",
                f"the share '{st.name}' ranges over [{st.lo:g}, {st.hi:g}]; a share lies in [0, 1]",
                st.span,
                f"declare 'state {st.name} in [0, 1]', or a part of it",
            )
    if len(econ.agents) > 2:
        for name, decl in econ.state_decls.items():
            if name.startswith("eta_"):
                out.warn(
                    "W222",
                    f"declaring the domain of '{name}' puts the wealth shares on a box inside "
                    "the simplex: where the box cuts the simplex the equations are another "
                    "economy's",
                    decl.span,
                    "drop the 'state' line to solve on the whole simplex, or give a boundary "
                    "condition at the cut",
                )


def _risk(econ: Economy, params, out):
    """The dividends' risks with these values: each tree risky, and several trees spanning
    as many shocks (otherwise portfolio shares are undetermined, 0/0)."""
    rows = [
        [value(t.vol_growth.get(z, sp.S.Zero), params) for z in econ.shocks] for t in econ.trees
    ]
    if any(v is None or not math.isfinite(v) for row in rows for v in row):
        return
    for t, row in zip(econ.trees, rows, strict=True):
        if not any(row):
            out.error(
                "E223",
                f"the dividend of '{t.asset.name}' has no risk with these parameter values",
                _endowment_vols(econ, t.endowment),
                "portfolio shares are undetermined without risk: give the endowment a "
                "non-zero 'vol[Z]'",
            )
            return
    if len(rows) > 1 and sp.Matrix(rows).rank() < len(rows):
        out.error(
            "E223",
            "with these parameter values the dividends' risks do not span the shocks",
            econ.trees[1].asset.span,
            "markets are incomplete: give each tree a risk the others do not share",
        )


def _endowment_vols(econ: Economy, name: str):
    """The place of an endowment's volatility."""
    decl = next(p for p in econ.endowments if p.state == name)
    return decl.vols[0].span if decl.vols else decl.span


def _finite_price(econ: Economy, params, out):
    """Where agent i holds all the wealth, it alone prices the tree: its consumption-wealth
    ratio is ω* = ρ + (γ − 1)(μ − γ|σ|²/2) − Σ_N ℓ_N((1 + k_N)^(1−γ) − 1) (k_N the relative
    jump of the dividend at an arrival of N, ℓ_N its rate) and pd = 1/ω*, finite only when
    ω* > 0. A log
    agent consumes ω = ρ of its wealth in every economy, so it needs ρ > 0. With one agent
    that is the equilibrium; with several, the edge where the agent holds everything."""
    lucas = econ.scale and len(econ.trees) == 1
    tree = econ.trees[0]
    mu = value(tree.growth, params) if lucas else None
    vols = [value(v, params) for v in tree.vol_growth.values()] if lucas else []
    jumps = [(value(k, params), value(econ.rates[n], params)) for n, k in econ.jumps.items()]
    for a in econ.agents:
        gamma, rho = value(a.gamma, params), value(a.discount, params)
        if a.role != "free" or not (lucas or gamma == 1):
            continue
        numbers = [gamma, rho] + ([mu, *vols, *(v for j in jumps for v in j)] if gamma != 1 else [])
        if not all(v is not None and math.isfinite(v) for v in numbers):
            continue
        omega = (
            rho
            if gamma == 1
            else rho
            + (gamma - 1) * (mu - gamma * sum(v**2 for v in vols) / 2)
            - sum(rate * ((1 + k) ** (1 - gamma) - 1) for k, rate in jumps)
        )
        if omega > 0:
            continue
        alone = len(econ.agents) == 1
        out.error(
            "E224" if alone else "W221",
            f"{'' if alone else 'where it holds all the wealth, '}'{a.name}' values the "
            f"dividends at an infinite price: its consumption-wealth ratio "
            f"{'rho' if gamma == 1 else _OMEGA + (_DISASTERS if jumps else '')} is "
            f"{omega:.3g}, not positive",
            a.discount.span,
            "raise the discount rate (log utility needs discount > 0), or lower the "
            "endowment's growth",
        )


def _market_within_bounds(econ: Economy, model: Model, params, out):
    """Where agent i holds all the wealth, clearing the stock market makes it hold the stock,
    θ_i = 1 (the others' holdings θ_j η_j vanish unless their θ_j grows like 1/η_j). A bound on
    θ_i that excludes 1 leaves that edge without an equilibrium: the others must hold
    (1 − θ_i η_i)/(1 − η_i) of their wealth in the stock, unbounded as their wealth vanishes.
    Only where the domain of the wealth shares reaches that edge."""
    if len(econ.trees) != 1:
        return
    shares = {st.name: st for st in model.states if st.name.startswith("eta_")}
    for a in econ.agents:
        own = shares.get(f"eta_{a.name}")
        reaches = own.hi >= 1 if own else all(st.lo <= 0 for st in shares.values())
        if a.role != "bounded" or not reaches:
            continue
        bound = value(a.bound, params)
        if bound is None or not math.isfinite(bound):
            continue
        if (a.op == "<=" and bound >= 1) or (a.op == ">=" and bound <= 1):
            continue
        out.warn(
            "W223",
            f"where '{a.name}' holds all the wealth it must hold the stock (a share of 1 of "
            f"its wealth), which its bound {bound:g} rules out: near that edge the others "
            "would hold an unbounded share of theirs in it, and no solution holds there",
            a.constraint_span or a.span,
            f"give a bound that admits 1 (share(stock) {a.op} 1 or "
            f"{'above' if a.op == '<=' else 'below'})",
        )


_OMEGA = "rho + (gamma - 1)*(mu - gamma*sigma^2/2)"
_DISASTERS = " - lam*((1 - b)^(1 - gamma) - 1)"
