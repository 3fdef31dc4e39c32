"""Jumps in the endowment (disasters): the jump terms of the economy layer's equations.

At an arrival of the Poisson shock N (rate ℓ_N) the dividend jumps by the factor 1 + k_N
(k_N = −b for a disaster of size b). The stock's return jumps by J_R = (1 + k_N)·pd⁺/pd − 1,
agent i's wealth by θ_i J_R (the bond does not jump) and its consumption c_i = ω_i a_i by
c⁺/c = (1 + θ_i J_R)·ω_i⁺/ω_i, so its marginal utility by M_i = (c⁺/c)^(−γ_i). Then:

- bond Euler equation: drift(ξ_i)/ξ_i gains Σ_N ℓ_N (M_i − 1);
- stock: μ_R − r = Σ_Z σ_R λ − Σ_N ℓ_N M J_R, with M the marginal-utility ratio of a free
  agent (the jump premium; μ_R is the return's drift between arrivals);
- budgets: θ_i(μ_R − r) carries the jump premium into the wealth and consumption drifts, and
  into the wealth shares', η_i(θ_i − 1)·(jump premium).

Supported where the wealth shares do not jump, so that pd⁺ = pd and ω_i⁺ = ω_i: every agent
trades both assets freely and all have one risk aversion. Then the Pareto-optimal sharing rule
(c_i/D deterministic) is reached by every agent holding the market, θ_i = 1, and each agent's
η_i(1 + θ_i J_R)/(1 + J_R) = η_i. Where portfolios differ (bond-only households, several risk
aversions, portfolio bounds) the wealth shares jump to η⁺ solving η⁺ = η(1 + θ J_R(η⁺))/(1 +
J_R(η⁺)), with J_R itself depending on pd(η⁺); that implicit jump is not derived (E228).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..grammar import ast
from .economy_ast import Builder, X, from_sympy, to_sympy

if TYPE_CHECKING:
    from .economy_agents import Agent
    from .economy_derive import Derivation


def declared(p: ast.ProcessDecl, shocks: dict[str, ast.ShockDecl], out):
    """The endowment's jumps name Poisson shocks and its volatilities Brownian ones."""
    for j in p.jumps:
        s = shocks.get(j.shock)
        if s is None or s.rate is None:
            out.error(
                "E125",
                f"jump[{j.shock}] of the endowment '{p.state}' needs a Poisson shock; "
                f"'{j.shock}' is {'Brownian' if s else 'not declared'}",
                j.span,
                f"declare 'shock {j.shock}: poisson, rate = lam'",
            )
    for v in p.vols:
        s = shocks.get(v.shock)
        if s is not None and s.rate is not None:
            out.error(
                "E124",
                f"vol[{v.shock}] names a Poisson shock, which moves the endowment by jumps",
                v.span,
                f"write 'jump[{v.shock}] = -b*{p.state}'",
            )


def supported(endowments, trees, agents, scale: bool, out):
    """Jumps are derived where the wealth shares do not jump: one tree whose endowment is a
    scale, every agent trading both assets freely, one risk aversion."""
    jumps = [j for p in endowments for j in p.jumps]
    if not jumps:
        return
    where = jumps[0].span
    why = None
    if len(trees) > 1:
        why = "with several trees"
    elif not scale:
        why = "with an endowment declared as a state"
    elif any(a.role != "free" for a in agents):
        a = next(a for a in agents if a.role != "free")
        why = (
            f"when an agent's portfolio is restricted ('{a.name}'): the wealth shares "
            "would jump to a point that depends on the price after the jump"
        )
    elif len({str(to_sympy(a.gamma)) for a in agents}) > 1:
        why = (
            "with several risk aversions: the agents' portfolios differ, so the wealth shares "
            "would jump to a point that depends on the price after the jump"
        )
    if why:
        out.error(
            "E228",
            f"the economy layer derives jumps in the endowment only where the wealth shares "
            f"do not jump, not {why}",
            where,
            "let every agent trade the bond and the stock freely with one risk aversion, or "
            "write the model at the equation level (see lucas_disasters)",
        )


def return_jumps(d: Derivation):
    """J_R per Poisson shock: the relative jump of the stock's value at an arrival, k_N, as
    the wealth shares, and so pd, do not jump."""
    for shock, k in d.econ.jumps.items():
        d.let(
            f"J_R_{shock}",
            from_sympy(k, d.b),
            f"relative jump of the return on {d.what} at an arrival of {shock}",
        )


def marginal_ratios(d: Derivation):
    """M_i = (c⁺/c)^(−γ_i) = (1 + θ_i J_R)^(−γ_i), as ω_i does not jump."""
    for a in d.agents:
        b = Builder(a.span)
        for shock in d.econ.jumps:
            d.let(
                f"M_{a.name}_{shock}",
                (1 + d.n(f"theta_{a.name}", b) * d.n(f"J_R_{shock}", b)) ** (-b.wrap(a.gamma)),
                f"marginal utility of {a.name} after an arrival of {shock} over before",
            )


def premium(d: Derivation) -> X:
    """−Σ_N ℓ_N M J_R, M of the first free agent: the stock's excess drift for jump risk."""
    b = d.b
    marginal = next(a for a in d.agents if a.role == "free").name
    return b.sum(
        -b.call("rate", b.name(s)) * d.n(f"M_{marginal}_{s}") * d.n(f"J_R_{s}")
        for s in d.econ.jumps
    )


def euler_terms(d: Derivation, a: Agent, b: Builder) -> X:
    """Σ_N ℓ_N (M_i − 1): the jump part of drift(ξ_i)/ξ_i."""
    return b.sum(b.call("rate", b.name(s)) * (d.n(f"M_{a.name}_{s}", b) - 1) for s in d.econ.jumps)
