"""One expert and K identical households (CRRA γ = 2, households bond only, basak_cuoco's other
parameters): identical households are interchangeable, so the equilibrium is the two-agent one at
the same expert share, for any split of the households' wealth. The equations say so exactly
(fast, at trial fields and at the independent two-agent reference); `walras.solve` with defaults
finds it by solving the households as one agent (slow: issue 12's row, K = 2, 4 and 10)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from numpy.polynomial import chebyshev as C

import walras
from walras.runtime.solvers.collocation import chebyshev as cheb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_robustness import expert_households, two_agent  # noqa: E402
from references import REFERENCES  # noqa: E402


def two_agent_fields(K: int, omega: dict) -> dict:
    """Fields of the K-household economy from functions of the expert's share alone."""
    fields = {"omega_expert": lambda x: omega["expert"](x[0])}
    for k in range(1, K + 1):
        fields[f"omega_household_{k}"] = lambda x: omega["household"](x[0])
    return fields


def reference_fit(column: str):
    """The two-agent reference (η in [0.05, 0.95], good to 1e-11) as a Chebyshev series of
    degree 40 (within 2e-10 of it), differentiable by JAX."""
    ref = pd.read_csv(REFERENCES / "bc_gamma2_ref.csv")
    coef = jnp.asarray(C.chebfit((2 * ref.eta.values - 1) / 0.9, ref[column].values, 40))
    return lambda eta: cheb.series(coef, ((2 * eta - 1) / 0.9)[None])


@pytest.fixture(scope="module")
def economies():
    two = walras.load("basak_cuoco", gamma=2).compile()
    return two, {K: walras.load(expert_households(K)).compile() for K in (2, 4)}


def test_the_households_split_is_irrelevant_to_the_equations(economies):
    """At fields that depend on the expert's share alone, every residual and output of the
    K-household economy is the two-agent one at that share, whatever the split (K = 2, 4)."""
    two, many = economies
    omega = {
        "expert": lambda e: 0.05 + 0.03 * jnp.exp(-3 * e) + 0.01 * e**2,
        "household": lambda e: 0.06 - 0.02 * e + 0.004 * jnp.sin(3 * e),
    }
    params = {k: jnp.asarray(v) for k, v in two.params.items()}
    eta_e = np.random.default_rng(0).uniform(0.05, 0.95, 9)
    base = two.residuals(
        {f"omega_{a}": (lambda x, a=a: omega[a](x[0])) for a in omega}, params, eta_e[:, None]
    )
    base_out = two.outputs(
        {f"omega_{a}": (lambda x, a=a: omega[a](x[0])) for a in omega}, params, eta_e[:, None]
    )
    for K, compiled in many.items():
        split = np.random.default_rng(K).dirichlet(np.ones(K), eta_e.size)
        x = jnp.asarray(np.c_[eta_e, (1 - eta_e)[:, None] * split][:, :K])
        got = compiled.residuals(two_agent_fields(K, omega), params, x)
        out = compiled.outputs(two_agent_fields(K, omega), params, x)
        np.testing.assert_allclose(got["euler_expert"], base["euler_expert"], atol=1e-14)
        for k in range(1, K + 1):
            np.testing.assert_allclose(
                got[f"euler_household_{k}"], base["euler_household"], atol=1e-14
            )
        for name in ("pd", "r", "risk_premium"):
            np.testing.assert_allclose(out[name], base_out[name], rtol=1e-13, err_msg=name)


def test_the_two_agent_reference_solves_every_households_equation(economies):
    """The independent two-agent reference, with every household at the two-agent household's
    ω, solves the K-household economy's equations at random splits (K = 2, 4)."""
    _, many = economies
    omega = {a: reference_fit(f"omega_{a}") for a in ("expert", "household")}
    eta_e = np.random.default_rng(1).uniform(0.1, 0.9, 25)
    for K, compiled in many.items():
        params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
        split = np.random.default_rng(K + 1).dirichlet(np.ones(K), eta_e.size)
        x = jnp.asarray(np.c_[eta_e, (1 - eta_e)[:, None] * split][:, :K])
        got = compiled.residuals(two_agent_fields(K, omega), params, x)
        for name, r in got.items():  # 2.3e-9 measured: the fit's second derivatives
            np.testing.assert_allclose(r, 0, atol=1e-8, err_msg=name)
        pd_ = compiled.outputs(two_agent_fields(K, omega), params, x)["pd"]
        want = jax.vmap(reference_fit("pd"))(jnp.asarray(eta_e))
        np.testing.assert_allclose(pd_, want, rtol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("K", [2, 4, 10])
def test_K_households_with_defaults_are_the_two_agent_reference(K):
    """Issue 12's row: ω_expert, every household's ω and pd within 1e-4 of the independent
    two-agent reference at 500 random points (expert share in [0.1, 0.9], random splits), the
    households solved as one agent; the error within the solve's own estimate."""
    solution = walras.solve(walras.load(expert_households(K)), quiet=True)
    assert solution.converged, solution.message
    assert f"household[{K}]: {K} identical members solved as one agent" in solution.message
    error = two_agent("bc_gamma2_ref.csv")(solution)
    assert error <= 1e-4
    assert error <= max(solution.errors.values())
