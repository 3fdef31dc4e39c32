"""Independent reference solutions, built without walras (closed forms and scipy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

# finite-difference references beside the project (the shared folder's references/)
REFERENCES = Path(__file__).resolve().parents[2] / "shared" / "references"


def lucas_pd(rho=0.05, gamma=5.0, mu=0.02, sigma=0.05) -> float:
    """Price-dividend ratio of the CRRA Lucas tree."""
    return 1.0 / (rho + (gamma - 1) * mu - 0.5 * gamma * (gamma - 1) * sigma**2)


def lucas_r(rho=0.05, gamma=5.0, mu=0.02, sigma=0.05) -> float:
    return rho + gamma * mu - 0.5 * gamma * (gamma + 1) * sigma**2


@dataclass
class BrusanLog:
    """Brunnermeier-Sannikov with log utility: the first-order ODE for q(η), integrated from η = 0
    with a stiff solver until ψ reaches 1; above η*, ψ = 1 and q solves the goods market."""

    sigma: float = 0.10
    delta_e: float = 0.05
    delta_h: float = 0.05
    rho: float = 0.06
    r: float = 0.05
    a: float = 0.11
    a_h: float = 0.07
    kappa: float = 2.0

    def iota(self, q):
        return (q**2 - 1) / (2 * self.kappa)

    def psi_of(self, eta, q):
        """ψ from the goods market."""
        return ((self.r * (1 - eta) + self.rho * eta) * q + self.iota(q) - self.a_h) / (
            self.a - self.a_h
        )

    def q_upper(self, eta):
        """q where ψ = 1: the positive root of the goods market's quadratic."""
        A = self.r * (1 - eta) + self.rho * eta
        k = self.kappa
        return k * (-A + np.sqrt(A**2 + 2 * (self.a + 1 / (2 * k)) / k))

    def dq(self, eta, q):
        psi = self.psi_of(eta, q)
        gap = (self.a - self.a_h) / q + self.delta_h - self.delta_e
        total_vol = np.sqrt(gap / (psi / eta - (1 - psi) / (1 - eta)))
        return q * (1 - self.sigma / total_vol) / (psi - eta)

    def solve(self, eta0: float = 1e-4, rtol: float = 1e-12, atol: float = 1e-14):
        q0 = brentq(lambda q: self.r * q + self.iota(q) - self.a_h, 1e-6, 10.0, xtol=1e-15)
        slope_psi = (
            1 + (self.a - self.a_h) / (q0 * self.sigma**2) if self.delta_e == self.delta_h else None
        )
        dq0 = (slope_psi * (self.a - self.a_h) - (self.rho - self.r) * q0) / (
            self.r + q0 / self.kappa
        )
        hit = lambda eta, y: self.psi_of(eta, y[0]) - 1
        hit.terminal, hit.direction = True, 1
        sol = solve_ivp(
            lambda e, y: [self.dq(e, y[0])],
            (eta0, 1 - 1e-9),
            [q0 + dq0 * eta0],
            method="LSODA",
            rtol=rtol,
            atol=atol,
            events=hit,
            dense_output=True,
        )
        self.q0, self.eta_star = q0, float(sol.t_events[0][0])
        self._ode = sol.sol
        return self

    def q(self, eta):
        eta = np.asarray(eta, float)
        below = np.asarray(self._ode(np.minimum(eta, self.eta_star)))[0]
        return np.where(eta < self.eta_star, below, self.q_upper(eta))

    def psi(self, eta):
        eta = np.asarray(eta, float)
        return np.where(eta < self.eta_star, self.psi_of(eta, self.q(eta)), 1.0)


def two_trees_v(s, rho=0.04, gamma=1.0, mu1=0.02, mu2=0.02, sigma1=0.03, sigma2=0.03) -> float:
    """Two Lucas trees with independent lognormal dividends and one CRRA agent: the price of
    tree 1 over aggregate consumption, P1/C = ∫ e^{−ρt} E[s g1 (s g1 + (1 − s) g2)^{−γ}] dt with
    g_n = D_n,t/D_n,0. Given x = log(g2/g1), log g1 is Gaussian, so its expectation is closed;
    the trapezoid rule integrates over x's Gaussian and adaptive quadrature over t."""
    z = np.linspace(-12, 12, 2401)
    w = np.exp(-z * z / 2) / np.sqrt(2 * np.pi) * (z[1] - z[0])
    k = 1 - gamma
    with np.errstate(divide="ignore"):
        log_s, log_rest = np.log(s), np.log(1 - s)

    def expected(t):
        a1, a2 = (mu1 - sigma1**2 / 2) * t, (mu2 - sigma2**2 / 2) * t
        var_x = (sigma1**2 + sigma2**2) * t
        x = a2 - a1 + np.sqrt(var_x) * z
        mean_y = a1 - sigma1**2 * t / var_x * (x - (a2 - a1))  # E[log g1 | x]
        var_y = (sigma1 * sigma2) ** 2 * t / (sigma1**2 + sigma2**2)
        log_c = np.logaddexp(log_s, log_rest + x)  # log(s + (1 − s) g2/g1)
        return np.sum(w * np.exp(log_s + k * mean_y + k * k * var_y / 2 - gamma * log_c))

    return quad(
        lambda t: np.exp(-rho * t) * expected(t), 0, np.inf, epsabs=1e-13, epsrel=1e-13, limit=400
    )[0]


# --- jumps and regimes ----------------------------------------------------------------------


def disaster_pd(p) -> float:
    """pd = 1/(ρ + (γ−1)μ − ½γ(γ−1)σ² − λ((1−b)^(1−γ) − 1))."""
    return 1 / (
        p["rho"]
        + (p["gamma"] - 1) * p["mu"]
        - 0.5 * p["gamma"] * (p["gamma"] - 1) * p["sigma"] ** 2
        - p["lam"] * ((1 - p["b"]) ** (1 - p["gamma"]) - 1)
    )


def regime_pd(p, mus, up, down) -> np.ndarray:
    """pd per regime of a birth-death chain: (ρ − g_s + up_s + down_s) pd_s − up_s pd_(s+1)
    − down_s pd_(s−1) = 1, with g_s = (1−γ)μ_s − γ(1−γ)σ²/2."""
    k = len(mus)
    g = [(1 - p["gamma"]) * m - p["gamma"] * (1 - p["gamma"]) * p["sigma"] ** 2 / 2 for m in mus]
    A = np.zeros((k, k))
    for s in range(k):
        A[s, s] = p["rho"] - g[s] + up[s] + down[s]
        if s + 1 < k:
            A[s, s + 1] = -up[s]
        if s > 0:
            A[s, s - 1] = -down[s]
    return np.linalg.solve(A, np.ones(k))


def two_regimes(p):
    return regime_pd(p, [p["mu_lo"], p["mu_hi"]], [p["p_up"], 0], [0, p["p_down"]])


def three_regimes(p):
    up, down = p["p_up"], p["p_down"]
    return regime_pd(p, [p["mu0"], p["mu1"], p["mu2"]], [up, up, 0], [0, down, down])


def regime_disasters_pd(p) -> np.ndarray:
    def k(lam):
        return 1 / disaster_pd({**p, "lam": lam})

    A = np.array(
        [
            [k(p["lam_calm"]) + p["q_up"], -p["q_up"]],
            [-p["q_down"], k(p["lam_danger"]) + p["q_down"]],
        ]
    )
    return np.linalg.solve(A, np.ones(2))


def value_coefficients(p) -> tuple[float, float]:
    """u = a + b_v λ: the exponential-affine value, V = c^(1−γ)/(1−γ) e^u. The HJB,
    0 = −β u V + drift(V), is ½σ_λ²λ(u'' + u'²) + κ(λ̄ − λ)u' − βu + (1−γ)(μ − ½γσ²)
    + λ((1−b)^(1−γ) − 1) = 0; its λ-terms give the quadratic ½σ_λ² b_v² − (β + κ) b_v +
    (1−b)^(1−γ) − 1 = 0 (the smaller root), its constant a = ((1−γ)(μ − ½γσ²) + κλ̄ b_v)/β."""
    beta, kappa, s_l, g = p["beta"], p["kappa"], p["sigma_l"], p["gamma"]
    e = (1 - p["b"]) ** (1 - g) - 1
    b_v = (beta + kappa - np.sqrt((beta + kappa) ** 2 - 2 * s_l**2 * e)) / s_l**2
    a = ((1 - g) * (p["mu"] - g * p["sigma"] ** 2 / 2) + kappa * p["lbar"] * b_v) / beta
    return a, b_v


def wachter_pd(p, lam, horizon=20000.0, rtol=1e-12) -> np.ndarray:
    """pd(λ) = ∫_0^∞ exp(A(τ) + B(τ)λ) dτ. With ξ D = c^(φ−γ) e^u, each term g = e^(A + Bλ)
    solves ∂_τ g = e^(−u) L(e^u g) + g((φ−γ)μ + ½(φ−γ)(φ−γ−1)σ² + λ((1−b)^(φ−γ) − 1)
    − β(1 + u)), L the generator of λ, with g(0) = 1, so that the integral solves the pricing
    equation with the source D. Matching the constant and the λ-terms:
      B' = ½σ_λ²(b_v + B)² − κ(b_v + B) + (1−b)^(φ−γ) − 1 − β b_v,
      A' = κλ̄(b_v + B) + (φ−γ)μ + ½(φ−γ)(φ−γ−1)σ² − β(1 + a),   A(0) = B(0) = 0."""
    a, b_v = value_coefficients(p)
    k, s_l, g, phi = p["kappa"], p["sigma_l"], p["gamma"], p["phi"]
    jump = (1 - p["b"]) ** (phi - g) - 1
    drift = (phi - g) * p["mu"] + 0.5 * (phi - g) * (phi - g - 1) * p["sigma"] ** 2
    lam = np.asarray(lam, float)

    def rhs(_, y):
        x = b_v + y[1]
        d_a = k * p["lbar"] * x + drift - p["beta"] * (1 + a)
        d_b = 0.5 * s_l**2 * x**2 - k * x + jump - p["beta"] * b_v
        return np.concatenate([[d_a, d_b], np.exp(y[0] + y[1] * lam)])

    y0 = np.zeros(2 + lam.size)
    sol = solve_ivp(rhs, (0.0, horizon), y0, method="DOP853", rtol=rtol, atol=1e-14)
    assert sol.success
    return sol.y[2:, -1]
