"""The equilibrium equations of production from capital and labor (read in `economy_labor`),
built from general rules. One agent h (the holder) holds all capital; the others trade the bond
only; agent i supplies its labor endowment ℓ_i, aggregate labor is L = Σ ℓ_i. Factor markets
are competitive, so the wage is w = ∂y/∂L and capital earns ∂y/∂K (sympy); with constant
returns they exhaust output, w L + ∂y/∂K K = y.

Agent i's wealth N_i is financial wealth only: human wealth, the value of its wage stream, is
not traded, so it never enters a wealth or portfolio share; wage income enters the budget,
dN_i = (w ℓ_i + r N_i + ψ_i qK (μ_R − r) − c_i) dt + ψ_i qK σ_R dZ, ψ_i its share of capital
(1 for the holder, 0 for the others). The states are K and, with I > 1 agents, the wealth
shares η_i = N_i/(qK) of the first I − 1; the unknowns are q(K, η) and the consumption c_j of
every agent but the holder, whose consumption is what the goods market leaves:
c_h = y − ιK − Σ_j c_j. The rules:

- investment from Tobin's q, Φ'(ι)·q = 1, and dK/K = (Φ(ι) − δ_h) dt + σ dZ;
- the return on capital: μ_R = (∂y/∂K − ι)/q + Φ(ι) − δ_h + drift(q)/q + σ σ_q, σ_R = σ + σ_q;
- the holder's bond Euler equation gives r = ρ_h + γ_h μ_c,h − ½γ_h(γ_h + 1)σ_c,h², with
  μ_c = drift(c)/c and σ_c = vol(c)/c; every other agent's is an equation,
  ρ_j = r + γ_j μ_c,j − ½γ_j(γ_j + 1)σ_c,j²;
- capital's first-order condition of the holder is the equation for q: μ_R − r = γ_h σ_R σ_c,h;
- wealth shares, by Itô's quotient rule with d(qK)/(qK) = (μ_R − (∂y/∂K − ι)/q) dt + σ_R dZ:
  σ_η,i = (ψ_i − η_i) σ_R and
  μ_η,i = η_i (∂y/∂K − ι)/q + (ψ_i − η_i)(γ_h σ_R σ_c,h − σ_R²) + (w ℓ_i − c_i)/(qK),
  the risk premium written by the holder's first-order condition, so drift(q) cancels and the
  drift block needs no solve. They sum to zero by the goods market and Euler's theorem.
"""

from __future__ import annotations

import sympy as sp

from ..grammar import ast
from .economy_ast import Builder, X, from_sympy, shares
from .economy_labor import LABOR, LaborEconomy, Worker


class LaborDerivation:
    """Builds the equation-level statements of a `LaborEconomy`."""

    def __init__(self, econ: LaborEconomy):
        self.econ = econ
        self.b = Builder(econ.capital.span)
        self.h = econ.holder
        self.savers = [a for a in econ.agents if a is not self.h]
        several = len(econ.agents) > 1
        self.shares = [f"eta_{a.name}" for a in econ.agents[:-1]] if several else []
        self.statements: list = []

    def n(self, name: str, b: Builder | None = None) -> X:
        return (b or self.b).name(name)

    def let(self, name: str, value: X, doc: str):
        self.statements.append(ast.LetDecl(name, value.e, doc, value.span))

    def run(self) -> list:
        self.declare()
        self.technology()
        self.consumption()
        self.prices()
        if self.shares:
            self.wealth_shares()
        return self.statements

    def arguments(self) -> tuple[str, ...]:
        """The states every unknown depends on."""
        return (self.econ.capital.name, *self.shares)

    def unknown(self, name: str, b: Builder, doc: str, positive: bool = True):
        args = tuple(ast.Name(s, b.span) for s in self.arguments())
        bound = ast.Bound(b.num(0).e, None) if positive else None
        self.statements.append(ast.UnknownDecl(name, args, bound, doc, b.span))

    def declare(self):
        """The wealth shares as states, q and the savers' consumption as unknowns."""
        agents = self.econ.agents
        if self.shares:
            members = [(a.name, a.span) for a in agents]
            self.statements += shares("eta", members, "wealth share of", self.econ.state_decls)
        self.unknown("q", self.b, "price of capital (Tobin's q)")
        for a in self.savers:
            self.unknown(f"c_{a.name}", Builder(a.span), f"consumption of {a.name}")

    def technology(self):
        """Labor, investment, capital's growth, output and the factor prices."""
        b, k, econ = self.b, self.econ.capital, self.econ
        self.let(LABOR, b.sum(b.wrap(a.labor) for a in econ.agents), "aggregate labor")
        self.let("iota", from_sympy(econ.investment, b), "investment rate: Phi'(iota)*q = 1")
        self.let("Phi", b.wrap(k.investment), "growth of capital from investment, Phi(iota)")
        self.let("delta_K", b.wrap(self.h.depreciation), "depreciation of capital")
        self.let("mu_K", self.n("Phi") - self.n("delta_K"), "expected growth of capital")
        sigma = from_sympy(econ.sigma, b)
        vol = ast.VolField(econ.shock, (sigma * self.n(k.name)).e, k.span)
        self.statements.append(
            ast.ProcessDecl(k.name, (self.n("mu_K") * self.n(k.name)).e, (vol,), None, k.span)
        )
        kk, labor = sp.Symbol(k.name), sp.Symbol(LABOR)
        self.let("output", from_sympy(econ.output, b), "output y(k, labor)")
        for label, factor, doc in (("wage", labor, "wage"), ("mpk", kk, "capital's return")):
            marginal = from_sympy(sp.simplify(sp.diff(econ.output, factor)), b)
            self.let(label, marginal, f"{doc}: the marginal product of {factor}")
        self.let("sigma_q", b.vol_growth(self.n("q"), econ.shock), "volatility of q")
        self.let("sigma_R", sigma + self.n("sigma_q"), "volatility of the return on capital")

    def consumption(self):
        """Aggregate consumption from the goods market, the holder's as what the others
        leave; each agent's consumption-wealth ratio, growth and volatility."""
        k = self.n(self.econ.capital.name)
        self.let("consumption", self.n("output") - self.n("iota") * k, "output less investment")
        if self.savers:
            self.let(f"c_{self.h.name}", *self.holder_consumption(Builder(self.h.span)))
        for a in self.econ.agents:
            ab = Builder(a.span)
            c = self.n(self.consumed(a), ab)
            wealth = self.n("q", ab) * self.n(self.econ.capital.name, ab)
            if self.shares:
                wealth = self.n(f"eta_{a.name}", ab) * wealth
            self.let(f"omega_{a.name}", c / wealth, f"consumption over financial wealth, {a.name}")
            self.let(
                f"sigma_c_{a.name}",
                ab.vol_growth(c, self.econ.shock),
                f"volatility of the consumption of {a.name}",
            )
            self.let(
                f"mu_c_{a.name}", ab.growth(c), f"expected growth of the consumption of {a.name}"
            )

    def holder_consumption(self, b: Builder) -> tuple[X, str]:
        """The holder's consumption, what the goods market leaves the others, and its doc."""
        rest = b.sum(self.n(f"c_{a.name}", b) for a in self.savers)
        return self.n("consumption", b) - rest, "goods market"

    def consumed(self, a: Worker) -> str:
        return "consumption" if not self.savers else f"c_{a.name}"

    def euler(self, a: Worker, b: Builder) -> X:
        """ρ + γ μ_c − ½γ(γ + 1)σ_c²: the riskless rate in agent a's bond Euler equation."""
        gamma = b.wrap(a.gamma)
        sigma_c = self.n(f"sigma_c_{a.name}", b)
        mu_c = self.n(f"mu_c_{a.name}", b)
        return b.wrap(a.discount) + gamma * mu_c - gamma * (gamma + 1) / 2 * sigma_c**2

    def premium(self, b: Builder) -> X:
        """γ_h σ_R σ_c,h: the risk premium by the holder's first-order condition."""
        return b.wrap(self.h.gamma) * self.n("sigma_R", b) * self.n(f"sigma_c_{self.h.name}", b)

    def prices(self):
        """r from the holder's Euler equation, the return on capital, and the equations: the
        holder's first-order condition for capital and every other agent's Euler equation."""
        b, h = self.b, self.h
        self.let("r", self.euler(h, b), f"riskless rate (the bond's Euler equation of {h.name})")
        sigma = from_sympy(self.econ.sigma, b)
        mu_R = (self.n("mpk") - self.n("iota")) / self.n("q") + self.n("mu_K")
        mu_R = mu_R + b.growth(self.n("q")) + sigma * self.n("sigma_q")
        self.let("mu_R", mu_R, "expected return on capital")
        self.let("risk_premium", self.n("mu_R") - self.n("r"), "expected excess return on capital")
        hb = Builder(h.span)
        self.statements.append(
            ast.EquationDecl(
                f"capital_{h.name}",
                self.n("risk_premium", hb).e,
                self.premium(hb).e,
                f"first-order condition of {h.name} for capital",
                h.span,
            )
        )
        for a in self.savers:
            ab = Builder(a.span)
            self.statements.append(
                ast.EquationDecl(
                    f"euler_{a.name}",
                    self.n("r", ab).e,
                    (self.euler(a, ab)).e,
                    f"bond Euler equation of {a.name}",
                    a.span,
                )
            )

    def wealth_shares(self):
        """Drift and volatility of every wealth share; the processes of the states."""
        b = self.b
        wealth = self.n("q") * self.n(self.econ.capital.name)
        yield_ = (self.n("mpk") - self.n("iota")) / self.n("q")
        excess = self.premium(b) - self.n("sigma_R") ** 2
        for a in self.econ.agents:
            ab = Builder(a.span)
            eta = self.n(f"eta_{a.name}", ab)
            income = (self.n("wage", ab) * ab.wrap(a.labor) - self.n(self.consumed(a), ab)) / wealth
            if a.holds:  # ψ_i − η_i is 1 − η for the holder, −η for the others
                spread = 1 - eta
                drift = eta * yield_ + spread * excess + income
            else:
                spread = -eta
                drift = eta * yield_ - eta * excess + income
            self.let(f"mu_eta_{a.name}", drift, f"drift of the wealth share of {a.name}")
            self.let(
                f"sigma_eta_{a.name}",
                spread * self.n("sigma_R", ab),
                f"volatility of the wealth share of {a.name}",
            )
        for a, name in zip(self.econ.agents, self.shares):
            vol = ast.VolField(self.econ.shock, self.n(f"sigma_eta_{a.name}").e, a.span)
            drift = self.n(f"mu_eta_{a.name}").e
            self.statements.append(ast.ProcessDecl(name, drift, (vol,), None, a.span))
