"""The economy layer against closed forms and an independent hand-written equation-level model."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.grammar import parse
from walras.grammar.unparse import unparse
from references import lucas_pd, lucas_r

jax.config.update("jax_enable_x64", True)

LUCAS = dict(rho=0.05, gamma=5.0, mu_y=0.02, sigma_y=0.05)


def scalar(ds, name):
    return float(np.asarray(ds[name]))


@pytest.mark.parametrize("params", [{}, dict(gamma=2.0, mu_y=0.01, sigma_y=0.1, rho=0.03),
                                    dict(gamma=1.0)])
def test_one_agent_is_the_lucas_closed_form(params):
    model = walras.load("lucas_economy", **params)
    assert model.states == ()
    p = {**LUCAS, **params}
    ref = dict(rho=p["rho"], gamma=p["gamma"], mu=p["mu_y"], sigma=p["sigma_y"])
    ds = walras.solve(model, steps=0, polish=50).dataset
    assert abs(scalar(ds, "pd") - lucas_pd(**ref)) < 1e-10
    assert abs(scalar(ds, "omega_investor") - 1 / lucas_pd(**ref)) < 1e-10
    assert abs(scalar(ds, "r") - lucas_r(**ref)) < 1e-10
    assert abs(scalar(ds, "risk_premium") - p["gamma"] * p["sigma_y"] ** 2) < 1e-12
    assert abs(scalar(ds, "theta_investor") - 1) < 1e-12


# --- basak_cuoco against the hand-written equation-level model ------------------------------

def trial_fields():
    """Smooth positive functions that are not a solution: the two models must agree on them."""
    return ({"omega_expert": lambda x: 0.08 + 0.03 * jnp.sin(3 * x[0]) + 0.01 * x[0] ** 2,
             "omega_household": lambda x: 0.06 + 0.02 * jnp.cos(2 * x[0])},
            {"omega_e": lambda x: 0.08 + 0.03 * jnp.sin(3 * x[0]) + 0.01 * x[0] ** 2,
             "omega_h": lambda x: 0.06 + 0.02 * jnp.cos(2 * x[0])})


@pytest.fixture(scope="module")
def basak_pair():
    econ = walras.load("basak_cuoco").compile()
    hand = walras.load("basak_cuoco_equations").compile()
    return econ, hand


def test_basak_cuoco_equals_the_hand_written_model(basak_pair):
    econ, hand = basak_pair
    f_econ, f_hand = trial_fields()
    eta = np.linspace(0.05, 0.95, 19)
    y = np.linspace(0.6, 1.9, 19)[::-1]
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    a = econ.outputs(f_econ, params, jnp.asarray(eta[:, None]))
    b = hand.outputs(f_hand, params, jnp.asarray(np.stack([eta, y], -1)))
    pairs = {"pd": b["q"] / y, "sigma_R": b["sigma_q"], "theta_expert": b["theta_e"],
             "risk_premium": b["risk_premium"], "r": b["r"], "mu_eta_expert": b["drift_eta"],
             "sigma_eta_expert": b["vol_eta"], "residual_euler_expert": b["residual_expert_euler"],
             "residual_euler_household": b["residual_household_euler"]}
    for name, ref in pairs.items():
        np.testing.assert_allclose(a[name], ref, rtol=1e-10, atol=1e-12, err_msg=name)
    assert np.all(np.asarray(a["theta_household"]) == 0)


def test_round_trip_of_the_lowered_model(basak_pair):
    """`--emit econ` text parses, checks, and compiles to the same residual functions."""
    econ, _ = basak_pair
    text = unparse(walras.load("basak_cuoco").lowered)
    again = walras.load(text)
    assert unparse(again.lowered) == text
    f_econ, _ = trial_fields()
    x = jnp.linspace(0.05, 0.95, 7)[:, None]
    params = {k: jnp.asarray(v) for k, v in econ.params.items()}
    a = econ.residuals(f_econ, params, x)
    b = again.compile().residuals(f_econ, params, x)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-13, atol=1e-15)


def test_round_trip_solves_to_the_same_numbers():
    text = unparse(walras.load("lucas_economy").lowered)
    a = walras.solve(walras.load("lucas_economy"), steps=0, polish=50).dataset
    b = walras.solve(walras.load(text), steps=0, polish=50).dataset
    for k in ("pd", "r", "omega_investor", "risk_premium"):
        assert abs(scalar(a, k) - scalar(b, k)) < 1e-13
