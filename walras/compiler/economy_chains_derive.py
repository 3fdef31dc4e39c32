"""The equilibrium equations of production from capital and labor where agents' labor follows
chains (`economy_chains`), rules 22–25 of docs/economy.md. One agent h holds all capital, the
savers j trade the bond only, as in `economy_labor_derive`, whose technology, factor prices and
consumption it shares.

A switch of a chain changes aggregate labor, so output, the wage and the price of capital q
jump; capital K and the savers' bonds N_j do not. So the states are K, the savers' bond holdings
per unit of capital b_j = N_j/K (which do not jump: the unknowns after a switch are read at the
same K and b, in the other regime) and the chains' positions; the wealth shares are definitions,
η_j = b_j/q and η_h = 1 − Σ_j η_j (the holder owns the capital less its bond debt). The
unknowns are q, the riskless rate r and the savers' consumption c_j; c_h = y − ιK − Σ_j c_j,
unless the holder has log utility and no labor income: it then consumes ρ_h of its wealth,
c_h = ρ_h η_h q K, whatever its risks, and q is the root of the goods market (a definition,
where sympy finds one root; else an unknown with the goods market as its equation). With
ξ_i = c_i^(−γ_i), marginal utility, and `drift` the generator with the jump terms of every
chain (the compiler's):

- the bond's Euler equation of every agent, drift(ξ_i)/ξ_i + r = ρ_i;
- capital priced by the holder, drift(ξ_h q K)/(ξ_h q K) + (∂y/∂K − ι)/q = ρ_h, except for the
  log holder, whose consumption rule makes that (θ − 1)/θ times its bond Euler equation where
  goods clear, θ = qK/N_h its leverage (an identity without savers' bonds, where θ = 1);
- the savers' bonds, db_j = ((w ℓ_j − c_j)/K + b_j(r − μ_K + σ²)) dt − b_j σ dZ (Itô's
  quotient rule on dN_j = (w ℓ_j + r N_j − c_j) dt over K), no jump.
"""

from __future__ import annotations

import sympy as sp

from ..grammar import ast
from . import economy_chains_pooled as pooled
from .economy_ast import Builder, X, from_sympy, substitute, to_sympy
from .economy_chains import Chains
from .economy_labor import LaborEconomy
from .economy_labor_derive import LaborDerivation

BONDS, SPENT = "savers' bonds", "savers' consumption"  # placeholders in q's goods-market root


class ChainDerivation(LaborDerivation):
    """Builds the equation-level statements of a `LaborEconomy` with labor chains."""

    def __init__(self, econ: LaborEconomy, chains: Chains):
        super().__init__(econ)
        self.chains = chains
        self.places: list = []  # `system.Places` of the pooled members' definitions
        self.bonds = [f"b_{a.name}" for a in self.savers]
        if self.savers:
            self.shares = [f"eta_{a.name}" for a in econ.agents]
        holder = Builder(self.h.span)  # log utility (γ the number 1) and no `labor`
        log = holder.wrap(self.h.gamma).is_num(1) and holder.wrap(self.h.labor).is_num(0)
        self.log_holder = bool(self.savers) and log
        self.cleared = self.price_from_goods() if self.log_holder else None

    def arguments(self) -> tuple[str, ...]:
        return (self.econ.capital.name, *self.bonds, *self.chains.states)

    def run(self) -> list:
        self.statements += self.chains.statements
        self.declare()
        self.technology()
        self.consumption()
        self.prices()
        self.savings()
        return self.statements

    def declare(self):
        """The savers' bonds per unit of capital as states (on [0, 1/J] for J savers unless
        declared), the wealth shares they imply; q, r and the savers' consumption as unknowns."""
        for a, name in zip(self.savers, self.bonds):
            if name not in self.econ.state_decls:
                b = Builder(a.span)
                hi = b.num(1 / len(self.savers)).e
                doc = f"bonds of {a.name} per unit of capital"
                self.statements.append(ast.StateDecl(name, b.num(0).e, hi, doc, a.span))
        if self.cleared is None:
            self.unknown("q", self.b, "price of capital (Tobin's q)")
        else:
            doc = "price of capital: the goods market"
            self.statements.append(ast.LetDecl("q", self.cleared_price(), doc, self.b.span))
        self.unknown("r", self.b, "riskless rate", positive=False)
        for a in self.savers:
            self.unknown(f"c_{a.name}", Builder(a.span), f"consumption of {a.name}")
        if not self.savers:
            return
        for a, bond in zip(self.savers, self.bonds):
            ab = Builder(a.span)
            self.let(
                f"eta_{a.name}", self.n(bond, ab) / self.n("q", ab), f"wealth share of {a.name}"
            )
        hb = Builder(self.h.span)
        rest = hb.sum(self.n(f"eta_{a.name}", hb) for a in self.savers)
        self.let(f"eta_{self.h.name}", 1 - rest, f"wealth share of {self.h.name}")

    def price_from_goods(self) -> sp.Expr | None:
        """q from the goods market where the log holder consumes ρ_h(q − Σ_j b_j)K:
        y − ι(q)K = ρ_h(q − Σ_j b_j)K + Σ_j c_j, where sympy finds it one root (ι is linear in q
        for Φ = log(φι + 1)/φ); None otherwise, and the goods market is q's equation."""
        try:
            rho = to_sympy(self.h.discount)
        except (ValueError, TypeError):
            return None
        q = next((s for s in self.econ.investment.free_symbols if s.name == "q"), None)
        if q is None:
            return None
        k, bonds, spent = map(sp.Symbol, (self.econ.capital.name, BONDS, SPENT))
        goods = sp.Symbol("output") - self.econ.investment * k - rho * (q - bonds) * k - spent
        roots = sp.solve(goods, q)
        return roots[0] if len(roots) == 1 else None

    def cleared_price(self) -> ast.Expr:
        """`cleared` with the savers' bonds and consumption summed in place of its symbols."""
        e = from_sympy(self.cleared, self.b).e
        for name, terms in ((BONDS, self.bonds), (SPENT, [f"c_{a.name}" for a in self.savers])):
            e = substitute(e, name, lambda span, t=terms: Builder(span).sum(map(self.n, t)).e)
        return e

    def holder_consumption(self, b: Builder) -> tuple[X, str]:
        if not self.log_holder:
            return super().holder_consumption(b)
        share = self.n(f"eta_{self.h.name}", b)
        wealth = share * self.n("q", b) * self.n(self.econ.capital.name, b)
        return b.wrap(self.h.discount) * wealth, "log, without labor income: rho of its wealth"

    def prices(self):
        """Marginal utilities, the return on capital, and the equations: every agent's bond
        Euler equation and the holder's pricing of capital (for the log holder, the goods
        market where q is not its root), jump terms in `drift`."""
        b, h = self.b, self.h
        for a in self.econ.agents:
            ab = Builder(a.span)
            c = self.n(self.consumed(a), ab)
            self.let(f"xi_{a.name}", c ** (-ab.wrap(a.gamma)), f"marginal utility of {a.name}")
        sigma = from_sympy(self.econ.sigma, b)
        dividend = (self.n("mpk") - self.n("iota")) / self.n("q")
        mu_R = dividend + self.n("mu_K") + b.growth(self.n("q")) + sigma * self.n("sigma_q")
        self.let("mu_R", mu_R, "expected return on capital (jumps of q included)")
        self.let("risk_premium", self.n("mu_R") - self.n("r"), "expected excess return on capital")
        for a in (h, *self.savers):
            ab = Builder(a.span)
            xi = self.n(f"xi_{a.name}", ab)
            lhs = ab.growth(xi) + self.n("r", ab)
            for pool in self.chains.pools:
                if a.name in pool.members:
                    marginal = {m: self.n(f"xi_{m}", ab) for m in pool.members}
                    name = f"places_{a.name}"
                    terms = pooled.euler_terms(pool, a.name, marginal, ab)
                    self.let(name, terms, f"{a.name}'s marginal utility at its new places")
                    self.places.append(pooled.places(pool, a.name, name))
                    lhs = lhs + self.n(name, ab) / xi
            self.equation(
                f"euler_{a.name}",
                lhs,
                ab.wrap(a.discount),
                f"bond Euler equation of {a.name}",
                ab,
            )
            if a is not h and f"b_{a.name}" not in self.econ.state_decls:
                self.borrowing_limit(a, ab.wrap(a.discount) - lhs, ab)
        hb = Builder(h.span)
        if self.log_holder:
            if self.cleared is None:
                spent = hb.sum(self.n(f"c_{a.name}", hb) for a in self.econ.agents)
                self.equation("goods_market", self.n("consumption", hb), spent, "goods market", hb)
            return
        value = self.n(f"xi_{h.name}", hb) * self.n("q", hb) * self.n(self.econ.capital.name, hb)
        dividend = (self.n("mpk", hb) - self.n("iota", hb)) / self.n("q", hb)
        self.equation(
            f"capital_{h.name}",
            hb.growth(value) + dividend,
            hb.wrap(h.discount),
            f"{h.name} prices capital with its marginal utility",
            hb,
        )

    def borrowing_limit(self, a, patience, b: Builder):
        """At b_j = 0 the saver may not borrow: c_j <= w ℓ_j (its bonds' drift points inward),
        and where that binds its Euler equation is an inequality, ρ_j − r − drift(ξ_j)/ξ_j ≥ 0
        (it would consume more today): both ≥ 0 and one binds, min(·, ·) = 0 at that face."""
        room = self.n("wage", b) * b.wrap(a.labor) - self.n(f"c_{a.name}", b)
        self.statements.append(
            ast.BoundaryDecl(
                b.name(f"b_{a.name}").e,
                b.num(0).e,
                b.call("min", patience, room).e,
                b.num(0).e,
                f"{a.name} may not borrow",
                b.span,
            )
        )

    def equation(self, name: str, lhs, rhs, doc: str, b: Builder):
        self.statements.append(ast.EquationDecl(name, lhs.e, rhs.e, doc, b.span))

    def savings(self):
        """The savers' bonds per unit of capital: their budgets over K (Itô's quotient rule)."""
        k = self.n(self.econ.capital.name)
        sigma = from_sympy(self.econ.sigma, self.b)
        jumps: dict[str, list] = {}
        for pool in self.chains.pools:
            names = {m: f"b_{m}" for m in pool.members}
            jumps.update(pooled.bond_jumps(pool, names, self.b))
        for a, bond in zip(self.savers, self.bonds):
            ab = Builder(a.span)
            b = self.n(bond, ab)
            income = self.n("wage", ab) * ab.wrap(a.labor) - self.n(f"c_{a.name}", ab)
            drift = income / k + b * (self.n("r", ab) - self.n("mu_K", ab) + sigma**2)
            vol = ast.VolField(self.econ.shock, (-b * sigma).e, a.span)
            moves = tuple(jumps.get(bond, ()))
            self.statements.append(ast.ProcessDecl(bond, drift.e, (vol,), None, a.span, moves))
