"""The equilibrium equations of an exchange economy, built from general rules.

Notation: agent i has wealth a_i = η_i q, consumption c_i = ω_i a_i, marginal utility
ξ_i = c_i^k_i (k = −γ), and holds the share θ_i of its wealth in the stock; q = pd·D is the stock
price and D its dividend. Per shock Z: σ_R the return volatility, σ_a,i = θ_i σ_R the volatility
of i's wealth, λ the market price of risk (μ_R − r = Σ_Z σ_R λ). The rules:

- goods market: Σ_i c_i = D, so pd = 1 / Σ_i ω_i η_i;
- Itô for products of powers, X = Π f_j^k_j: σ_X = Σ k_j σ_j and
  μ_X = Σ k_j (μ_j − ½|σ_j|²) + ½|σ_X|² (μ_j = drift(f_j)/f_j, σ_j = vol(f_j)/f_j);
  a scale variable (the endowment, when the economy is homogeneous in it) enters only through
  its constant growth rates, so it never becomes a state;
- return: σ_R = σ_q, μ_R = μ_q + D/q;
- budget: da_i/a_i = (r + θ_i(μ_R − r) − ω_i) dt + θ_i σ_R dZ;
- portfolio first-order condition (Z by Z, exact since every volatility is proportional to the
  endowment's): λ = −k_i σ_c,i with σ_c,i = vol(ω_i)/ω_i + σ_a,i, so σ_a,i = λ/γ_i − vol(ω_i)/ω_i;
  a non-participant has σ_a,i = 0, a constrained agent σ_a,i = θ_i σ_R with θ_i an unknown and
  its first-order condition as a complementarity with its bound;
- stock market: Σ_i η_i σ_a,i = σ_R, solved for λ after the first-order conditions;
- wealth shares η_i = a_i/q: σ_η,i = η_i(σ_a,i − σ_R) and, with r = μ_R − Σ σ_R λ,
  μ_η,i = η_i (D/q − ω_i + Σ_Z (σ_a,i − σ_R)(λ − σ_R));
- bond Euler equation: ρ_i = r + drift(ξ_i)/ξ_i + θ_i (μ_R − r − γ_i σ_R·σ_c,i), with
  ξ_i = (ω_i a_i)^k by the product rule; the last term, the envelope condition's multiplier of a
  share bound (which scales with wealth), vanishes for free agents and non-participants.

Several risky assets are priced by `economy_trees`; jumps in the endowment (disasters) add the
terms of `economy_jumps`.
"""

from __future__ import annotations

from ..grammar import ast
from . import economy_jumps as jumps
from . import economy_trees as trees
from .economy_agents import Agent
from .economy_ast import Builder, X, shares
from .economy_spec import Economy


class Derivation:
    """Builds the equation-level statements of an `Economy`."""

    def __init__(self, econ: Economy):
        self.econ = econ
        self.agents = econ.agents
        self.shocks = econ.shocks
        self.b = Builder(econ.stock.span)
        self.y = econ.endowment.state
        self.statements: list = []
        self.wealth_vol: dict[tuple[str, str], X] = {}  # (agent, shock) -> σ_a, written out
        self.trees = econ.trees if len(econ.trees) > 1 else ()  # assets priced one by one
        self.what = "the market portfolio" if self.trees else econ.stock.name

    # names --------------------------------------------------------------------------------------
    def per_shock(self, name: str, z: str) -> str:
        return name if len(self.shocks) == 1 else f"{name}_{z}"

    def market(self, name: str) -> str:
        """The name of a quantity of the stock, or of the market portfolio when several risky
        assets are priced one by one."""
        return f"{name}_market" if self.trees else name

    def sigma_R(self, z: str, b: Builder | None = None) -> X:
        return self.n(self.per_shock(self.market("sigma_R"), z), b)

    def n(self, name: str, b: Builder | None = None) -> X:
        return (b or self.b).name(name)

    @property
    def states(self) -> list[str]:
        return (
            [f"eta_{a.name}" for a in self.agents[:-1]]
            + [f"s_{t.asset.name}" for t in self.trees[:-1]]
            + ([] if self.econ.scale else [self.y])
        )

    # statement helpers ---------------------------------------------------------------------------
    def let(self, name: str, value: X, doc: str | None = None):
        self.statements.append(ast.LetDecl(name, value.e, doc, value.span))
        return Builder(value.span).name(name)

    def unknown(self, name: str, b: Builder, lo: float | None, doc: str):
        bound = ast.Bound(ast.Num(lo, b.span), None) if lo is not None else None
        args = tuple(ast.Name(s, b.span) for s in self.states)
        self.statements.append(ast.UnknownDecl(name, args, bound, doc, b.span))

    def guess(self, name: str, value: X, doc: str):
        """Where the solvers start for a derived unknown (a user's `guess` replaces it)."""
        self.statements.append(ast.GuessDecl(ast.Name(name, value.span), value.e, doc, value.span))

    # the blocks ------------------------------------------------------------------------------
    def run(self) -> list:
        self.declare_states()
        trees.dividend_shares(self)
        self.price()
        if self.econ.jumps:
            jumps.return_jumps(self)
        for z in self.shocks:
            self.volatility(z)
        self.drift()
        if self.trees:
            for t in self.trees:
                trees.price(self, t)
            trees.holdings(self)
        else:
            self.shares()
        if self.econ.jumps:
            jumps.marginal_ratios(self)
        for a in self.agents:
            self.euler(a)
        return self.statements

    def simplex(self, kind: str, members, doc: str):
        self.statements += shares(kind, members, doc, self.econ.state_decls)

    def declare_states(self):
        self.simplex("eta", [(a.name, a.span) for a in self.agents], "wealth share of")
        if self.trees:
            self.simplex(
                "s",
                [(t.asset.name, t.asset.span) for t in self.trees],
                "share in the aggregate dividend of",
            )
        if not self.econ.scale:
            self.statements.append(self.econ.endowment)
        for a in self.agents:
            b = Builder(a.span)
            self.unknown(f"omega_{a.name}", b, 0.0, f"consumption-wealth ratio of {a.name}")
            if a.role == "bounded":
                self.unknown(
                    f"theta_{a.name}",
                    b,
                    None,
                    f"share of the wealth of {a.name} in {self.econ.stock.name}",
                )
                bounded = b.call("min" if a.op == "<=" else "max", b.num(1), b.wrap(a.bound))
                self.guess(f"theta_{a.name}", bounded, "the market portfolio, within the bound")
        for t in self.trees:
            self.unknown(
                f"pd_{t.asset.name}",
                Builder(t.asset.span),
                0.0,
                f"price-dividend ratio of {t.asset.name}",
            )
        if self.trees:
            self.unknown("r", self.b, None, "riskless rate (goods market clearing)")

    def price(self):
        """Goods market clearing: Σ_i c_i = D."""
        b = self.b
        total = b.sum(self.n(f"omega_{a.name}") * self.n(f"eta_{a.name}") for a in self.agents)
        if not self.trees:
            self.let(
                "pd", 1 / total, f"price-dividend ratio of {self.what} (goods market clearing)"
            )
            return
        pd = self.let(
            self.market("pd"),
            b.sum(self.n(f"pd_{t.asset.name}") * self.n(f"s_{t.asset.name}") for t in self.trees),
            f"price-dividend ratio of {self.what}",
        )
        self.statements.append(
            ast.EquationDecl(
                "goods_market", (pd * total).e, b.num(1).e, "goods market clearing", self.b.span
            )
        )

    def dividend_growth(self, z: str | None) -> X:
        """μ_D (z None) or σ_D[z] of the dividend of the stock, or of the aggregate dividend."""
        econ, b = self.econ, self.b
        if self.trees:
            return self.n("mu_D") if z is None else self.n(self.per_shock("sigma_D", z))
        if econ.scale:
            return trees.tree_growth(econ.trees[0], z, b)
        d = b.wrap(econ.stock.dividend)
        return b.growth(d) if z is None else b.vol_growth(d, z)

    def volatility(self, z: str):
        """σ_R, each agent's σ_a (first-order conditions) and λ (stock market clearing). The
        σ_a are written out where λ and the processes use them, so the cycle the compiler
        solves has I + 1 members: σ_R, λ and the vols of the I − 1 states."""
        b, ps = self.b, lambda name: self.per_shock(name, z)
        pd = self.n(self.market("pd"))
        sigma_R = self.let(
            ps(self.market("sigma_R")),
            self.dividend_growth(z) + b.vol_growth(pd, z),
            "volatility of the return on "
            + self.what
            + (f" (shock {z})" if len(self.shocks) > 1 else ""),
        )
        lam = self.n(ps("lambda"))
        free, fixed = [], []
        for a in self.agents:
            ab = Builder(a.span)
            omega = self.n(f"omega_{a.name}", ab)
            if a.role == "free":
                value = lam / ab.wrap(a.gamma) - ab.vol_growth(omega, z)
                doc = f"volatility of the wealth of {a.name} (first-order condition)"
                free.append(a)
            else:
                value = {
                    "out": ab.num(0),
                    "all": sigma_R,
                    "bounded": self.n(f"theta_{a.name}", ab) * sigma_R,
                }[a.role]
                doc = f"volatility of the wealth of {a.name} ({_ROLE[a.role]})"
                fixed.append(a)
            self.wealth_vol[a.name, z] = value
            self.let(ps(f"sigma_a_{a.name}"), value, doc)
        eta = lambda a: self.n(f"eta_{a.name}")
        numerator = (
            sigma_R
            - b.sum(eta(a) * self.wealth_vol[a.name, z] for a in fixed)
            + b.sum(eta(a) * b.vol_growth(self.n(f"omega_{a.name}"), z) for a in free)
        )
        tolerance = b.sum(eta(a) / b.wrap(a.gamma) for a in free)
        self.let(
            ps("lambda"), numerator / tolerance, "market price of risk (stock market clearing)"
        )
        for a in self.agents:
            ab = Builder(a.span)
            self.let(
                ps(f"sigma_eta_{a.name}"),
                self.n(f"eta_{a.name}", ab)
                * (self.n(ps(f"sigma_a_{a.name}"), ab) - self.sigma_R(z, ab)),
                f"volatility of the wealth share of {a.name}",
            )

    def dot(self, f, g, b: Builder | None = None) -> X:
        """Σ_Z f(Z)·g(Z)."""
        return (b or self.b).sum(f(z) * g(z) for z in self.shocks)

    def shares(self):
        sigma_R = self.sigma_R
        for a in self.agents:
            if a.role == "bounded":
                continue
            ab = Builder(a.span)
            s = lambda z: self.n(self.per_shock(f"sigma_a_{a.name}", z), ab)
            value = (
                s(self.shocks[0]) / sigma_R(self.shocks[0])
                if len(self.shocks) == 1
                else self.dot(s, sigma_R, ab) / self.dot(sigma_R, sigma_R, ab)
            )
            self.let(
                f"theta_{a.name}",
                value,
                f"share of the wealth of {a.name} in {self.econ.stock.name}",
            )

    def drift(self):
        """The drift block: risk premium, wealth-share drifts (state processes), μ_R and r."""
        b, ps = self.b, self.per_shock
        sigma_R = self.sigma_R
        lam = lambda z: self.n(ps("lambda", z))
        premium = self.dot(sigma_R, lam)
        if self.econ.jumps:
            jump_premium = self.let(
                "jump_premium",
                jumps.premium(self),
                f"excess drift of {self.what} for its jump risk",
            )
            premium = premium + jump_premium
        self.let(
            self.market("risk_premium"),
            premium,
            f"expected excess return of {self.what}"
            + (" between arrivals" if self.econ.jumps else ""),
        )
        pd = self.n(self.market("pd"))
        for a in self.agents:
            ab = Builder(a.span)
            gap = self.dot(
                lambda z: self.n(ps(f"sigma_a_{a.name}", z), ab) - sigma_R(z),
                lambda z: lam(z) - sigma_R(z),
                ab,
            )
            if self.econ.jumps:
                theta = self.n(f"theta_{a.name}", ab)
                gap = gap + (theta - 1) * self.n("jump_premium", ab)
            self.let(
                f"mu_eta_{a.name}",
                self.n(f"eta_{a.name}", ab) * (1 / pd - self.n(f"omega_{a.name}", ab) + gap),
                f"drift of the wealth share of {a.name}",
            )
        for a in self.agents[:-1]:
            ab = Builder(a.span)
            vols = tuple(
                ast.VolField(
                    z,
                    (
                        self.n(f"eta_{a.name}", ab)
                        * (self.wealth_vol[a.name, z] - self.sigma_R(z, ab))
                    ).e,
                    a.span,
                )
                for z in self.shocks
            )
            self.statements.append(
                ast.ProcessDecl(
                    f"eta_{a.name}", self.n(f"mu_eta_{a.name}", ab).e, vols, None, a.span
                )
            )
        mu_q = (
            b.growth(pd)
            + self.dividend_growth(None)
            + self.dot(lambda z: b.vol_growth(pd, z), self.dividend_growth)
        )
        self.let(self.market("mu_R"), mu_q + 1 / pd, f"expected return on {self.what}")
        if not self.trees:
            self.let("r", self.n("mu_R") - self.n("risk_premium"), "riskless rate")

    def consumption(self, a: Agent):
        """Volatility and expected growth of the consumption c_i = ω_i a_i (product rule)."""
        b, ps = Builder(a.span), self.per_shock
        omega = self.n(f"omega_{a.name}", b)
        s = lambda z: self.n(ps(f"sigma_a_{a.name}", z), b)
        lam = lambda z: self.n(ps("lambda", z), b)
        for z in self.shocks:
            self.let(
                ps(f"sigma_c_{a.name}", z),
                b.vol_growth(omega, z) + s(z),
                f"volatility of the consumption of {a.name}",
            )
        wealth = self.n("r", b) + self.dot(s, lam, b) - omega
        if self.econ.jumps:
            wealth = wealth + self.n(f"theta_{a.name}", b) * self.n("jump_premium", b)
        self.let(
            f"mu_c_{a.name}",
            b.growth(omega) + wealth + self.dot(lambda z: b.vol_growth(omega, z), s, b),
            f"expected consumption growth of {a.name}",
        )

    def marginal_premium(self, a: Agent, b: Builder) -> X:
        """γ_i σ_R·σ_c,i: the risk premium at which agent i wants to hold more of the stock."""
        sigma_c = lambda z: self.n(self.per_shock(f"sigma_c_{a.name}", z), b)
        return b.wrap(a.gamma) * self.dot(lambda z: self.sigma_R(z, b), sigma_c, b)

    def euler(self, a: Agent):
        """The bond Euler equation, and the complementarity of a bounded agent."""
        self.consumption(a)
        b = Builder(a.span)
        sigma_c = lambda z: self.n(self.per_shock(f"sigma_c_{a.name}", z), b)
        gamma = b.wrap(a.gamma)
        drift_xi = -gamma * self.n(f"mu_c_{a.name}", b) + gamma * (gamma + 1) / 2 * self.dot(
            sigma_c, sigma_c, b
        )
        if self.econ.jumps:
            drift_xi = drift_xi + jumps.euler_terms(self, a, b)
        shadow = b.num(0)
        if a.role in ("bounded", "all"):  # a bound on the share binds in proportion to wealth
            shadow = self.let(
                f"shadow_{a.name}",
                self.n(f"theta_{a.name}", b)
                * (self.n("risk_premium", b) - self.marginal_premium(a, b)),
                f"shadow value of the portfolio bound of {a.name}, per unit of wealth",
            )
        self.statements.append(
            ast.EquationDecl(
                f"euler_{a.name}",
                b.wrap(a.discount).e,
                (self.n("r", b) + drift_xi + shadow).e,
                f"bond Euler equation of {a.name}",
                a.span,
            )
        )
        if a.role == "bounded":
            cb = Builder(a.constraint_span)
            self.statements.append(
                ast.ComplementarityDecl(
                    f"constraint_{a.name}",
                    self.marginal_premium(a, cb).e,
                    a.op,
                    cb.name("risk_premium").e,
                    cb.name(f"theta_{a.name}").e,
                    a.op,
                    a.bound,
                    f"portfolio constraint of {a.name}",
                    a.constraint_span,
                )
            )


_ROLE = {
    "out": "does not trade the risky asset",
    "all": "holds only the risky asset",
    "bounded": "constrained share",
}
