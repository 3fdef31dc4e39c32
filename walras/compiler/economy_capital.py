"""The equilibrium equations of a production economy, built from general rules.

Capital K grows by dK/K = (Φ(ι) − δ_K) dt + σ dZ, δ_K = Σ_i ψ_i δ_i the depreciation of the
holders' capital, ψ_i their capital shares (Σ_i ψ_i = 1). Agent i (log utility, discount ρ_i)
has wealth N_i = η_i q K, holds the share θ_i = ψ_i/η_i of it in capital, produces a_i per unit
of capital it holds and consumes ω_i = ρ_i of its wealth (the log agent's rule, whatever its
returns). Everything is homogeneous in K, so the price of capital q and the capital shares are
functions of the wealth shares. The rules:

- Tobin's q: a unit of capital costs q to buy and one unit of output to build, so investment
  solves Φ'(ι)·q = 1 (sympy, in `economy_capital_spec`);
- Itô on q·K: σ_R = σ + σ_q with σ_q = vol(q)/q, and the return on capital held by i is
  μ_R,i = (a_i − ι)/q + Φ(ι) − δ_i + drift(q)/q + σ σ_q (its dividend yield with its own
  productivity, the capital gain with its own depreciation);
- log first-order condition of a holder: μ_R,i − r = θ_i σ_R², with equality where ψ_i > 0;
  the first holder (the pricer p) holds capital everywhere, so r = μ_R,p − θ_p σ_R²;
- wealth shares η_i = N_i/(qK), by Itô's quotient rule with the budget
  dN_i/N_i = (r + θ_i(μ_R,i − r) − ω_i) dt + θ_i σ_R dZ: σ_η,i = η_i(θ_i − 1)σ_R, written
  (ψ_i − η_i)σ_R (finite where η_i = 0), and
  μ_η,i = η_i((a_p − ι)/q − δ_p + δ_K − ω_i + (θ_i − 1)²σ_R² + (θ_i − θ_p)σ_R²), in which
  drift(q) cancels (so the drift block needs no solve);
- goods market: Σ_i ω_i η_i q = Σ_i ψ_i a_i − ι (consumption + investment = output);
- capital market, with a second holder j: the two first-order conditions differ by
  σ_R²(θ_p − θ_j) = (a_p − a_j)/q + δ_j − δ_p where j holds capital, and j holds none where
  the left side is below the right: a complementarity with ψ_p ≤ 1 (ψ_j = 1 − ψ_p);
- where the pricer's wealth share vanishes, j holds all capital: ω_j q = a_j − ι.
"""

from __future__ import annotations

from ..grammar import ast
from .economy_ast import Builder, X, from_sympy
from .economy_capital_spec import Holder, Production


class CapitalDerivation:
    """Builds the equation-level statements of a `Production` economy."""

    def __init__(self, econ: Production):
        self.econ = econ
        self.b = Builder(econ.capital.span)
        self.statements: list = []
        self.agents = econ.agents
        self.p = econ.pricer
        self.others = [a for a in self.agents if a.holds and a is not self.p]
        self.state = f"eta_{self.agents[0].name}" if len(self.agents) > 1 else None

    def n(self, name: str, b: Builder | None = None) -> X:
        return (b or self.b).name(name)

    def let(self, name: str, value: X, doc: str) -> X:
        self.statements.append(ast.LetDecl(name, value.e, doc, value.span))
        return Builder(value.span).name(name)

    def run(self) -> list:
        self.declare()
        self.technology()
        self.returns()
        self.wealth_shares()
        self.markets()
        return self.statements

    def unknown(self, name: str, b: Builder, doc: str):
        args = (ast.Name(self.state, b.span),) if self.state else ()
        bound = ast.Bound(ast.Num(0.0, b.span), None)
        self.statements.append(ast.UnknownDecl(name, args, bound, doc, b.span))

    def declare(self):
        """The wealth share of the first agent as the state; q and, with two holders, the
        pricer's capital share as unknowns."""
        first = self.agents[0]
        if self.state and self.state not in self.econ.state_decls:
            b = Builder(first.span)
            self.statements.append(
                ast.StateDecl(
                    self.state, b.num(0).e, b.num(1).e, f"wealth share of {first.name}", first.span
                )
            )
        for a in self.agents[1:]:
            self.let(f"eta_{a.name}", 1 - self.n(self.state), f"wealth share of {a.name}")
        if not self.state:
            self.let(f"eta_{first.name}", self.b.num(1), f"wealth share of {first.name}")
        self.unknown("q", self.b, "price of capital (Tobin's q)")
        pb = Builder(self.p.span)
        doc = f"share of capital held by {self.p.name}"
        if self.others:
            self.unknown(f"psi_{self.p.name}", pb, doc)
        else:
            self.let(f"psi_{self.p.name}", pb.num(1), doc)
        for a in self.agents:
            if a is not self.p:
                value = 1 - self.n(f"psi_{self.p.name}") if a.holds else Builder(a.span).num(0)
                self.let(f"psi_{a.name}", value, f"share of capital held by {a.name}")

    def technology(self):
        """Investment from Tobin's q, the growth and the return volatility of capital."""
        b, k = self.b, self.econ.capital
        self.let("iota", from_sympy(self.econ.investment, b), "investment rate: Phi'(iota)*q = 1")
        self.let("Phi", b.wrap(k.investment), "growth of capital from investment, Phi(iota)")
        holders = [a for a in self.agents if a.holds]
        delta = b.sum(self.n(f"psi_{a.name}") * b.wrap(a.depreciation) for a in holders)
        self.let("delta_K", delta, "depreciation of aggregate capital")
        self.let("mu_K", self.n("Phi") - self.n("delta_K"), "expected growth of aggregate capital")
        self.let(
            "output",
            b.sum(self.n(f"psi_{a.name}") * b.wrap(a.productivity) for a in holders),
            "output per unit of capital",
        )
        self.let("sigma_q", b.vol_growth(self.n("q"), self.econ.shock), "volatility of q")
        self.let("sigma_R", self.sigma() + self.n("sigma_q"), "volatility of the return on capital")

    def sigma(self) -> X:
        return from_sympy(self.econ.sigma, self.b)

    def returns(self):
        """Consumption and portfolio shares; with one holder also returns and r."""
        for a in self.agents:
            ab = Builder(a.span)
            self.let(
                f"omega_{a.name}", ab.wrap(a.discount), f"consumption-wealth ratio of {a.name}"
            )
            theta = self.n(f"psi_{a.name}", ab) / self.n(f"eta_{a.name}", ab) if a.holds else 0
            self.let(
                f"theta_{a.name}", ab.num(0) + theta, f"share of the wealth of {a.name} in capital"
            )
        if not self.others:
            self.prices()

    def prices(self):
        """Each holder's expected return on capital, r and the risk premium: they need drift(q),
        so q enters them to second order. With two holders q has a kink where the second stops
        holding capital, and the collocation solver, which takes every definition's
        derivatives into account, would ask for a smooth slope there: they are left out."""
        b, q = self.b, self.n("q")
        for a in self.agents:
            if a.holds:
                ab = Builder(a.span)
                self.let(
                    f"mu_R_{a.name}",
                    self.dividend_yield(a, ab)
                    + self.n("Phi", ab)
                    - ab.wrap(a.depreciation)
                    + b.growth(q)
                    + self.sigma() * self.n("sigma_q"),
                    f"expected return on capital held by {a.name}",
                )
        p = self.p.name
        sigma_R2 = self.n("sigma_R") ** 2
        self.let(
            "r",
            self.n(f"mu_R_{p}") - self.n(f"theta_{p}") * sigma_R2,
            f"riskless rate (first-order condition of {p})",
        )
        self.let(
            "risk_premium",
            self.n(f"mu_R_{p}") - self.n("r"),
            f"expected excess return on capital held by {p}",
        )

    def dividend_yield(self, a: Holder, b: Builder) -> X:
        return (b.wrap(a.productivity) - self.n("iota", b)) / self.n("q", b)

    def wealth_shares(self):
        sigma_R = self.n("sigma_R")
        p = self.p
        base = self.dividend_yield(p, self.b) - self.b.wrap(p.depreciation) + self.n("delta_K")
        for a in self.agents:
            ab = Builder(a.span)
            theta = self.n(f"theta_{a.name}", ab)
            drift = base - self.n(f"omega_{a.name}", ab) + (theta - 1) ** 2 * sigma_R**2
            if a is not p:
                drift = drift + (theta - self.n(f"theta_{p.name}", ab)) * sigma_R**2
            eta = self.n(f"eta_{a.name}", ab)
            self.let(f"mu_eta_{a.name}", eta * drift, f"drift of the wealth share of {a.name}")
            self.let(
                f"sigma_eta_{a.name}",
                (self.n(f"psi_{a.name}", ab) - eta) * sigma_R,
                f"volatility of the wealth share of {a.name}, eta*(theta - 1)*sigma_R",
            )
        if self.state:
            first = self.agents[0]
            vol = ast.VolField(self.econ.shock, self.n(f"sigma_eta_{first.name}").e, first.span)
            drift = self.n(f"mu_eta_{first.name}").e
            self.statements.append(ast.ProcessDecl(self.state, drift, (vol,), None, first.span))

    def markets(self):
        """Goods market; with two holders, the capital market as a complementarity and the
        goods market where the pricer has no wealth."""
        b, q, iota = self.b, self.n("q"), self.n("iota")
        spending = b.sum(self.n(f"omega_{a.name}") * self.n(f"eta_{a.name}") for a in self.agents)
        self.statements.append(
            ast.EquationDecl(
                "goods",
                (spending * q).e,
                (self.n("output") - iota).e,
                "goods market: consumption + investment = output",
                b.span,
            )
        )
        for j in self.others:
            jb, p = Builder(j.span), self.p
            gap = (
                self.dividend_yield(p, jb)
                - self.dividend_yield(j, jb)
                + jb.wrap(j.depreciation)
                - jb.wrap(p.depreciation)
            )
            spread = self.n(f"theta_{p.name}", jb) - self.n(f"theta_{j.name}", jb)
            self.statements.append(
                ast.ComplementarityDecl(
                    f"capital_{j.name}",
                    (self.n("sigma_R", jb) ** 2 * spread).e,
                    "<=",
                    gap.e,
                    self.n(f"psi_{p.name}", jb).e,
                    "<=",
                    jb.num(1).e,
                    f"capital market: {j.name} holds capital where its return covers its risk",
                    j.span,
                )
            )
            edge = 0 if self.agents[0] is p else 1
            self.statements.append(
                ast.BoundaryDecl(
                    ast.Name(self.state, jb.span),
                    jb.num(edge).e,
                    (self.n(f"omega_{j.name}", jb) * q).e,
                    (jb.wrap(j.productivity) - self.n("iota", jb)).e,
                    f"{j.name} holds all wealth and all capital",
                    j.span,
                )
            )
