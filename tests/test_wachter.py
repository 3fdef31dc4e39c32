"""Wachter (2013), a time-varying disaster probability, against an independent reference: the
price-dividend ratio as an integral of exponential-affine terms whose coefficients solve
Riccati ODEs (scipy's solve_ivp, with the integral as one more ODE component)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

import walras
from walras.api import LIBRARY

jax.config.update("jax_enable_x64", True)


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


def params() -> dict[str, float]:
    return dict(walras.load("wachter").compile().params)


def test_the_reference_is_converged_and_prices_consumption_at_one_over_beta():
    """Refinement: halving the horizon and loosening the tolerance hundredfold changes pd by
    less than 1e-10 (the integrand decays like exp(A'(∞) τ), A'(∞) ≈ −0.0074). With φ = 1
    the claim is on consumption, whose price is c/β under EIS = 1."""
    p, lam = params(), np.linspace(0, 0.5, 6)
    fine, coarse = wachter_pd(p, lam), wachter_pd(p, lam, horizon=10000.0, rtol=1e-10)
    np.testing.assert_allclose(coarse, fine, rtol=1e-10)
    np.testing.assert_allclose(wachter_pd({**p, "phi": 1.0}, lam), 1 / p["beta"], rtol=1e-10)


def test_the_value_function_solves_walras_hjb():
    """u = a + b_v λ, written in the model from the quadratic's root, solves the HJB as walras
    derives it (Itô in c and λ, the disaster's jump term in c): the model with u an unknown
    and the HJB its equation has zero residuals there."""
    text = (LIBRARY / "wachter.econ").read_text()
    start = text.index("let b_v")
    end = text.index("let xi")
    text = text[:start] + "unknown u(lam)\nlet V = c^(1 - gamma)/(1 - gamma)*exp(u)\n" + text[end:]
    text = text.replace("equation stock:", "equation hjb: drift(V) = beta*u*V\nequation stock:")
    model = walras.load(text).compile()
    a, b_v = value_coefficients(model.params)
    lam = jnp.linspace(0.0, 1.0, 11)
    x = jnp.stack([jnp.linspace(0.6, 1.9, 11), lam], axis=1)
    values = {k: jnp.asarray(v) for k, v in model.params.items()}
    fields = {"u": lambda z: a + b_v * z[-1], "pd": lambda z: 1.0 + 0 * z[-1]}
    hjb = np.asarray(model.residuals(fields, values, x)["hjb"])
    assert np.abs(hjb / np.exp(a + b_v * np.asarray(lam))).max() < 1e-14  # V scales with e^u


def test_collocation_matches_the_riccati_reference():
    """Collocation with its defaults (degree 32 in λ on [0, 1]) against the reference, where
    λ < 0.3 (the stationary distribution of λ puts mass e^-10 above 0.3). The boundary
    condition at λ = 1, pd'' = 0, is not exact; its error decays into the domain like
    exp(−(α₂ − α₁)(1 − λ)), α₁,₂ ≈ −12.2, 24 the two exponents of the homogeneous solutions."""
    model = walras.load("wachter")
    assert model.warnings == ()
    ds = walras.solve(model, method="collocation").dataset
    lam = ds["lam"].values
    pd = ds["pd"].values
    pd = pd[0] if pd.ndim == 2 else pd
    inside = lam <= 0.3
    reference = wachter_pd(model.compile().params, lam[inside])
    np.testing.assert_allclose(pd[inside], reference, rtol=1e-8)
