"""`ggp_production`'s start (seed 001's production economy with ten households), written out here
in numpy (aggregate labor 3 + 1.4 n, households ordered by state): the expert, of log utility and
without labor income, consumes rho_e times its net worth (q - sum b) K at the riskless steady
state's q = exp(phi delta), and the households share what the goods market leaves,
y - iota K - c_expert, in proportion to their riskless steady-state consumption
w l_p + rho_h b_p K; so the expert's consumption is positive on the whole domain, and q, which the
layer solves from the goods market (docs/economy.md, rule 23), is exp(phi delta) there."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import walras
from walras.compiler.start import _evaluate, guess_values

P = dict(alpha=0.3, phi=10.0, delta=0.05, rho_e=0.05, rho_h=0.05, ell_low=0.3, ell_high=1.7)


def test_households_start_at_their_wage_and_interest_and_leave_the_expert_a_share():
    model = walras.load("ggp_production").checked
    values = guess_values(model)
    params = {k: jnp.float64(v) for k, v in model.params.items()}
    unknowns = {u.name: u.args for u in model.unknowns}
    states = {s.name: s for s in model.states}
    rng = np.random.default_rng(0)
    n_points = 400
    x = {
        s: rng.choice(st.values, n_points) if st.discrete else rng.uniform(st.lo, st.hi, n_points)
        for s, st in states.items()
    }
    x["k"][:2] = states["k"].lo  # the least capital, every household at its largest bonds
    for p in range(1, 11):
        x[f"b_household_{p}"][:2] = states[f"b_household_{p}"].hi
    x["n_ell"][:2] = (0, 10)
    k, n = x["k"], x["n_ell"]
    labor = 3 + 1.4 * n
    y = k ** P["alpha"] * labor ** (1 - P["alpha"])
    wage = (1 - P["alpha"]) * y / labor
    q = np.exp(P["phi"] * P["delta"])
    bonds = sum(x[f"b_household_{p}"] for p in range(1, 11))
    expert = P["rho_e"] * (q - bonds) * k
    spend = y - (q - 1) / P["phi"] * k - expert
    earn = (1 - P["alpha"]) * y + P["rho_h"] * bonds * k
    total, guessed = 0.0, {}
    for p in range(1, 11):
        name = f"c_household_{p}"
        ell = np.where(n >= p, P["ell_high"], P["ell_low"])
        expected = (wage * ell + P["rho_h"] * x[f"b_household_{p}"] * k) * spend / earn
        y_cols = jnp.asarray(np.column_stack([x[a] for a in unknowns[name]]))
        got = np.asarray(values(name, y_cols, params))
        assert np.max(np.abs(got / expected - 1)) < 1e-12
        total = total + got
        guessed[p] = got
    assert np.min(spend) > 0
    c_expert = y - (q - 1) / P["phi"] * k - total
    assert np.max(np.abs(c_expert / expert - 1)) < 1e-12
    assert np.min(c_expert) > 0
    # q is no unknown: the model's definition, the goods market solved for q, at the start
    assert "q" not in unknowns
    env = {**params, **{s: jnp.asarray(v) for s, v in x.items()}}
    env.update({f"c_household_{p}": jnp.asarray(c) for p, c in guessed.items()})
    cleared = _evaluate(model.definitions["q"].expr, env, model.definitions)
    np.testing.assert_allclose(cleared, q, rtol=1e-12)
