"""Several risky assets (complete markets: as many as shocks) price the same way with the market
portfolio in the place of the stock: D is the aggregate dividend Y = Σ_n D_n, whose shares
s_n = D_n/Y are states, and q = pd_market·Y aggregate wealth. Each asset's pd_n is an unknown
with its pricing equation μ_R,n − r = σ_R,n·λ (times pd_n), pd_market = Σ_n pd_n s_n, and
goods market clearing, pd_market Σ_i ω_i η_i = 1, is the equation of one more unknown, r.
Portfolio shares follow from Σ_n θ_i,n σ_R,n = σ_a,i by Cramer's rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy as sp

from ..grammar import ast
from .economy_ast import Builder, X, from_sympy
from .economy_spec import Tree

if TYPE_CHECKING:
    from .economy_derive import Derivation


def dividend_shares(d: Derivation):
    """With several trees: the growth rates of the aggregate dividend, and the processes
    of the dividend shares (Itô's quotient rule for s_n = D_n/Y)."""
    if not d.trees:
        return
    s = lambda t, b=d.b: d.n(f"s_{t.asset.name}", b)
    b = d.b
    d.let(
        "mu_D",
        b.sum(s(t) * tree_growth(t, None, b) for t in d.trees),
        "expected growth of the aggregate dividend",
    )
    for z in d.shocks:
        d.let(
            d.per_shock("sigma_D", z),
            b.sum(s(t) * tree_growth(t, z, b) for t in d.trees),
            "volatility of the aggregate dividend" + (f" (shock {z})" if len(d.shocks) > 1 else ""),
        )
    for t in d.trees[:-1]:
        tb = Builder(t.asset.span)
        gap = lambda z: tree_growth(t, z, tb) - d.dividend_growth(z)
        drift = s(t, tb) * (
            tree_growth(t, None, tb) - d.dividend_growth(None) - d.dot(d.dividend_growth, gap, tb)
        )
        vols = tuple(ast.VolField(z, (s(t, tb) * gap(z)).e, t.asset.span) for z in d.shocks)
        d.statements.append(ast.ProcessDecl(f"s_{t.asset.name}", drift.e, vols, None, t.asset.span))


def price(d: Derivation, tree: Tree):
    """One of several trees: return volatility, risk premium and pricing equation,
    drift(pd) + pd μ_n + σ_n·vol(pd) + 1 − r pd = (vol(pd) + pd σ_n)·λ, where μ_n and
    σ_n are the growth rates of its dividend."""
    name, b = tree.asset.name, Builder(tree.asset.span)
    pd = d.n(f"pd_{name}", b)
    sigma = lambda z: tree_growth(tree, z, b)
    lam = lambda z: d.n(d.per_shock("lambda", z), b)
    vol = lambda z: b.call("vol", pd, b.name(z))
    for z in d.shocks:
        d.let(
            d.per_shock(f"sigma_R_{name}", z),
            sigma(z) + vol(z) / pd,
            f"volatility of the return on {name} (shock {z})",
        )
    d.let(
        f"risk_premium_{name}",
        d.dot(lambda z: d.n(d.per_shock(f"sigma_R_{name}", z), b), lam, b),
        f"expected excess return of {name}",
    )
    gain = (
        b.call("drift", pd)
        + pd * tree_growth(tree, None, b)
        + d.dot(sigma, vol, b)
        + 1
        - d.n("r", b) * pd
    )
    d.statements.append(
        ast.EquationDecl(
            f"price_{name}",
            gain.e,
            d.dot(lambda z: vol(z) + pd * sigma(z), lam, b).e,
            f"pricing equation of {name}, times its price-dividend ratio",
            tree.asset.span,
        )
    )


def holdings(d: Derivation):
    """Portfolio shares asset by asset: Σ_n θ_i,n σ_R,n = σ_a,i, by Cramer's rule."""
    assets = [t.asset.name for t in d.trees]
    returns = sp.Matrix(
        [[sp.Symbol(d.per_shock(f"sigma_R_{n}", z)) for n in assets] for z in d.shocks]
    )
    det = returns.det(method="berkowitz")
    for a in d.agents:
        b = Builder(a.span)
        wealth = sp.Matrix([sp.Symbol(d.per_shock(f"sigma_a_{a.name}", z)) for z in d.shocks])
        for k, n in enumerate(assets):
            m = returns.copy()
            m[:, k] = wealth
            value = (
                b.num(0)
                if a.role == "out"
                else from_sympy(m.det(method="berkowitz"), b) / from_sympy(det, b)
            )
            d.let(f"theta_{a.name}_{n}", value, f"share of the wealth of {a.name} in {n}")


def tree_growth(tree: Tree, z: str | None, b: Builder) -> X:
    """μ_n (z None) or σ_n[z]: the constant growth rates of a tree's dividend."""
    return from_sympy(tree.growth if z is None else tree.vol_growth.get(z, sp.S.Zero), b)
