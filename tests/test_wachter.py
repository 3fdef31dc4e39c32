"""Wachter (2013), a time-varying disaster probability, against an independent reference: the
price-dividend ratio as an integral of exponential-affine terms whose coefficients solve
Riccati ODEs (scipy's solve_ivp, with the integral as one more ODE component)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from references import value_coefficients, wachter_pd

import walras
from walras.api import LIBRARY

jax.config.update("jax_enable_x64", True)


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


@pytest.mark.slow
@pytest.mark.parametrize("change", [{"sigma": 0.04}, {"beta": 0.024}])
def test_one_changed_parameter_matches_the_riccati_reference(change):
    """Volatility doubled, the rate of time preference doubled (6-19 s each), with defaults:
    converged, and pd within 1e-8 of the reference where λ < 0.3."""
    model = walras.load("wachter", **change)
    solution = walras.solve(model, quiet=True)
    assert solution.converged, solution.message
    lam = np.linspace(0.0, 0.3, 31)
    pd = np.ravel(solution.evaluate({"c": np.array([1.0]), "lam": lam})["pd"].values)
    np.testing.assert_allclose(pd, wachter_pd(model.compile().params, lam), rtol=1e-8)
