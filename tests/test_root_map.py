"""Collocation at a state constraint's edge: the square-root map (runtime/solvers/collocation/
root.py). Where the constraint binds, consumption grows like √(a − a_min) and the value has a
term (a − a_min)^(3/2); the solver expands the unknowns in z with a − a_min = R((z + 1)/2)², in
which such a solution is smooth, and evaluates the slope in a as a series that is finite on the
face. Checked against closed forms: the expansion's slope at and off the edge, a household with
one income state (r = 0, log utility: c(a) from Lambert's W); `consumption_saving` against
the solution by ODEs in consumption is in test_state_constraints.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import lambertw

import walras
from walras.runtime.solvers.collocation import chebyshev as cheb
from walras.runtime.solvers.collocation import root

LO, HI = -0.15, 2.0


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_the_slope_of_an_expansion_is_finite_and_exact_at_the_constrained_edge(side):
    """f = 1 + 2s + 3s^(3/2) + sin s, s the distance to the edge as a share of the range: its
    expansion of degree 19 in the map, and its slope in the state by a JVP, at the edge (the
    limit 3/R), off it (2 + 4.5√s + cos s)/R, and at the far edge."""
    R = HI - LO
    share = lambda a: (a - LO) / R if side > 0 else (HI - a) / R  # noqa: E731
    f = lambda a: 1 + 2 * share(a) + 3 * share(a) ** 1.5 + np.sin(share(a))  # noqa: E731
    maps = (root.Root(side),)
    coef = cheb.interpolate(lambda x: f(x[:, 0]), np.array([LO]), np.array([HI]), 20, maps)
    u = cheb.Chebyshev(jnp.asarray(coef), jnp.array([LO]), jnp.array([HI]), maps)
    a = np.linspace(LO, HI, 9)
    s = share(a)
    value, slope = jax.vmap(lambda x: jax.jvp(u, (x,), (jnp.ones(1),)))(jnp.asarray(a)[:, None])
    exact = side * (2 + 4.5 * np.sqrt(s) + np.cos(s)) / R
    assert np.abs(value - f(a)).max() < 1e-13
    assert np.abs(slope - exact).max() < 1e-10
    assert abs(float(root.end_slope(jnp.asarray(coef), 0, side))) < 1e-11  # finite slope: 0


DISSAVING = """model dissaving
parameter rho = 0.05, z = 0.1, a_min = -0.5, a_max = 1
state a in [a_min, a_max]
control c > 0
unknown V(a)
process a: drift = z - c
equation hjb: rho*V = max(c): log(c) + drift(V)
boundary at a = a_min: drift(a) >= 0
let cg = z + sqrt(2*z*rho*(a - a_min))
guess V = (log(cg) + z/cg - 1)/rho
"""


def test_a_binding_borrowing_limit_is_solved_to_its_closed_form():
    """One income z, r = 0, log utility: the Euler equation c' = −ρc/(z − c) with c(a_min) = z
    integrates to z log c − c = z log z − z − ρ(a − a_min), so c = −z W₋₁(−e^(−1 − ρ(a − a_min)/z))
    (Lambert's W, lower branch), c − z ≈ √(2zρ(a − a_min)) at the limit, and ρV = log c + z/c − 1.
    From a guess with that square root (the HJB's V at it), collocation with defaults converges
    directly with an honest estimate, V and c to rounding on the whole domain (measured 5e-16,
    7e-16; in a these converge only algebraically). (From V = log(z + ρ(a − a_min))/ρ the direct
    solve fails and the walk in pseudo-time reaches the same solution, at twice the cost.)"""
    rho, z, a_min, a_max = 0.05, 0.1, -0.5, 1.0
    sol = walras.solve(walras.load(DISSAVING), method="collocation", quiet=True)
    a = np.linspace(a_min, a_max, 301)
    c = np.where(a > a_min, -z * lambertw(-np.exp(-1 - rho * (a - a_min) / z), -1).real, z)
    V = (np.log(c) + z / c - 1) / rho
    found = sol.evaluate({"a": a})
    error_V = np.abs(found["V"].values - V).max() / np.abs(V).max()
    assert sol.converged
    assert np.abs(found["c"].values - c).max() < 1e-12
    assert error_V < 1e-12
    assert error_V <= 10 * max(sol.errors.values()) + 1e-13
