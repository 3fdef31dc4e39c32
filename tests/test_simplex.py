"""Wealth shares on the simplex: the statement, the domain, and collocation in stick-breaking
coordinates against the closed form of log agents (ω_i = ρ_i, pd = 1/Σ ρ_i η_i)."""

from __future__ import annotations

import numpy as np
import pytest

import walras
from walras.grammar.unparse import unparse
from walras.runtime.domain import Domain, from_cube, to_cube
from walras.runtime.points import ExtrapolationWarning

RHO = (0.02, 0.05, 0.08)


def log_agents(rho=RHO, trades="[bond, stock]") -> str:
    agents = "\n".join(
        f"parameter rho_{i} = {r}\nagent a{i}: utility = log, discount = rho_{i}, trades = {trades}"
        for i, r in enumerate(rho)
    )
    return f"""model log_agents
parameter mu = 0.02, sigma = 0.05
shock Z
endowment y: drift = mu*y, vol[Z] = sigma*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
{agents}
"""


def test_the_statement_declares_states_on_a_simplex():
    text = """model m
parameter k = 1
state a, b in simplex "shares"
shock Z
process a: drift = -a, vol[Z] = 0.1*a
process b: drift = -b, vol[Z] = 0.1*b
unknown f(a, b)
equation e: f = k*(1 - a - b)
"""
    model = walras.load(text)
    assert model.checked.simplices == (("a", "b"),)
    assert [(s.name, s.lo, s.hi) for s in model.checked.states] == [("a", 0, 1), ("b", 0, 1)]
    again = walras.load(unparse(model.checked.module))
    assert again.checked.simplices == (("a", "b"),)
    assert 'state a, b in simplex  "shares"' in unparse(model.checked.module)


def test_three_agents_share_the_simplex_and_a_declared_share_warns():
    model = walras.load(log_agents())
    assert model.checked.simplices == (("eta_a0", "eta_a1"),)
    boxed = walras.load(log_agents() + "state eta_a0 in [0.1, 0.5]\n")
    assert boxed.checked.simplices == ()
    assert [w.code for w in boxed.warnings] == ["W222"]
    two = walras.load(log_agents(rho=(0.02, 0.05)))
    assert two.checked.simplices == ()


def test_the_domain_draws_uniformly_and_stick_breaking_inverts():
    domain = Domain(np.zeros(3), np.ones(3), ((0, 2),))
    x = domain.sample(200_000, seed=1)
    assert domain.inside(x).all()
    # uniform on the simplex {x0 + x2 <= 1}: Dirichlet(1, 1, 1), mean 1/3 and variance 1/18
    np.testing.assert_allclose(x[:, [0, 2]].mean(0), 1 / 3, atol=3e-3)
    np.testing.assert_allclose(x[:, [0, 2]].var(0), 1 / 18, atol=1e-3)
    np.testing.assert_allclose(x[:, 1].mean(), 1 / 2, atol=3e-3)
    assert not domain.inside(np.array([[0.6, 0.5, 0.5]])).any()
    u = np.random.default_rng(0).uniform(0, 1, (50, 3))
    import jax.numpy as jnp

    y = np.asarray(from_cube(jnp.asarray(u), (0, 2)))
    assert domain.inside(y).all()
    np.testing.assert_allclose(np.asarray(to_cube(jnp.asarray(y), (0, 2))), u, rtol=1e-12)


def test_a_discrete_state_is_drawn_from_its_values():
    """The results of a model with a discrete state are sampled at its values, each equally
    likely (they were drawn from the interval between the first and the last)."""
    model = walras.load(
        "model two\nparameter p = 0.5\nstate x in [0, 1]\nstate s in {0, 1, 3}\n"
        "shock Up: poisson, rate = p*(s < 3)\nshock Down: poisson, rate = p*(s > 0)\n"
        "process s: jump[Up] = 1 + (s == 1), jump[Down] = -1 - (s == 3)\n"
        "process x: drift = 0.1*(1 - x)*x\nunknown f(x, s)\nequation e: f = x + s\n"
    ).checked
    domain = Domain.of(model)
    x = domain.sample(30_000, seed=4)
    column = x[:, model.state_names.index("s")]
    assert set(np.unique(column)) == {0.0, 1.0, 3.0}
    np.testing.assert_allclose([np.mean(column == v) for v in (0, 1, 3)], 1 / 3, atol=0.01)
    assert domain.inside(x).all()


@pytest.fixture(scope="module")
def three_log_agents():
    """Degree 6 meets the closed form to 7e-16 (pd) and 3e-17 (ω), as degree 10 does."""
    return walras.solve(walras.load(log_agents()), method="collocation", degree=6)


def test_three_log_agents_by_collocation_are_the_closed_form(three_log_agents):
    solution = three_log_agents
    assert solution.converged
    domain = Domain.of(solution.compiled.model)
    x = domain.sample(4000, seed=2)
    eta = np.c_[x, 1 - x.sum(1)]
    x = x[(eta >= 0.01).all(1)]
    eta = eta[(eta >= 0.01).all(1)]
    ds = solution.evaluate(x)
    for i, rho in enumerate(RHO):
        np.testing.assert_allclose(ds[f"omega_a{i}"], rho, atol=1e-10)
    np.testing.assert_allclose(ds["pd"], 1 / (eta @ np.array(RHO)), rtol=1e-10)


def test_results_lie_on_the_simplex(three_log_agents):
    ds = three_log_agents.dataset
    a, b = np.meshgrid(ds.eta_a0, ds.eta_a1, indexing="ij")
    outside = a + b > 1
    assert np.isnan(ds.pd.values[outside]).all() and np.isfinite(ds.pd.values[~outside]).all()
    with pytest.warns(ExtrapolationWarning, match="eta_a0 \\+ eta_a1 up to 1.2"):
        at = three_log_agents.evaluate(np.array([[0.6, 0.6], [0.2, 0.3]]))
    assert at.inside.values.tolist() == [False, True]
