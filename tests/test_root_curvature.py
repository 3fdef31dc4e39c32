"""The curvature at a constrained edge (`root._remainder`). Where a state constraint binds and the
state's volatility vanishes at the edge (wealth in units of income, Wang, Wang and Yang 2016), the
value has a term s^(3/2), its slope √s and its curvature 1/√s: in the square-root map the slope
is a series, but the curvature is a series plus the remainder the quotient drops. Without it the
collocation solve met its own equations to 6e-9 and said converged, 15% from the solution."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import chebyshev, polynomial

import walras
from walras.runtime.solvers.collocation import root

WWY = """model wwy "consumption-saving with uninsurable income (Wang, Wang and Yang 2016)"
parameter mu = 0.015, sigma = 0.1, r = 0.035, rho = 0.06, gamma = 3, psi = 1.1
parameter K = r + psi*(rho - r)
parameter Kp = (K/rho^psi)^(1/(1 - psi))
state w in [0, 1000]
shock Z
control c > 0
unknown p(w) > 0
process w: drift = (r - mu + sigma^2)*w + 1 - c, vol[Z] = -sigma*w
equation hjb: 0 = max(c): rho*psi/(psi - 1)*p*((c/(Kp*p))^(1 - 1/psi) - 1) + drift(p)
    + (mu - gamma*sigma^2/2)*p + (gamma - 1)*sigma^2*w*d(p, w) - gamma/2*sigma^2*w^2*d(p, w)^2/p
boundary at w = 0: drift(w) >= 0
boundary at w = 1000: d(p, w) = 1
guess p = 1 + w
"""


def test_the_derivatives_of_a_rooted_series_are_exact():
    """p(s) = s^(3/2) + s is t³ + t² in t = √s = (z + 1)/2, a cubic in z: its slope in s is
    (3/2)√s + 1 and its curvature 3/(4√s), by nested JVPs; at the edge the slope is 1 and the
    curvature is left at 0."""
    t = polynomial.Polynomial([0.5, 0.5])
    coef = np.zeros(6)
    found = chebyshev.poly2cheb((t**3 + t**2).coef)
    coef[: len(found)] = found
    coef = jnp.asarray(coef)

    def value(s):
        return root.series(coef, jnp.array([s]), (1.0,))

    def slope(s):
        return jax.jvp(value, (s,), (1.0,))[1]

    def curvature(s):
        return jax.jvp(slope, (s,), (1.0,))[1]

    for s in (1e-4, 0.01, 0.3, 0.9):
        assert np.isclose(value(s), s**1.5 + s, rtol=1e-13)
        assert np.isclose(slope(s), 1.5 * s**0.5 + 1, rtol=1e-13)
        assert np.isclose(curvature(s), 0.75 / s**0.5, rtol=1e-12)
    assert (slope(0.0), curvature(0.0)) == (1.0, 0.0)


@pytest.mark.parametrize("axis", [0, 1])
def test_the_remainder_reads_the_other_axes(axis):
    """(s^(3/2) + s)(1 + y²/2), the constrained axis first or second: the slope and curvature in
    s and the mixed derivative are exact (the remainder is a series over the other axis)."""
    t = polynomial.Polynomial([0.5, 0.5])
    rooted, plain = np.zeros(6), np.zeros(4)
    found = chebyshev.poly2cheb((t**3 + t**2).coef)
    rooted[: len(found)] = found
    plain[:3] = chebyshev.poly2cheb([1.0, 0.0, 0.5])
    coef = jnp.asarray(np.multiply.outer(*((rooted, plain) if axis == 0 else (plain, rooted))))
    sides = (1.0, 0.0) if axis == 0 else (0.0, 1.0)

    def value(s, y):
        return root.series(coef, jnp.array([s, y] if axis == 0 else [y, s]), sides)

    def slope(s, y):
        return jax.jvp(lambda s: value(s, y), (s,), (1.0,))[1]

    for s, y in ((0.04, 0.3), (0.5, -0.7)):
        other = 1 + y**2 / 2
        curvature = jax.jvp(lambda s: slope(s, y), (s,), (1.0,))[1]
        mixed = jax.jvp(lambda y: slope(s, y), (y,), (1.0,))[1]
        np.testing.assert_allclose(
            [value(s, y), slope(s, y), curvature, mixed],
            [
                (s**1.5 + s) * other,
                (1.5 * s**0.5 + 1) * other,
                0.75 / s**0.5 * other,
                (1.5 * s**0.5 + 1) * y,
            ],
            rtol=1e-12,
        )


def test_a_binding_constraint_with_vanishing_volatility_meets_its_ode():
    """ρ = 0.06: the constraint binds at w = 0. The solution meets the model's ODE written out in
    numpy (c from its first-order condition, p' and p'' by central differences of the output),
    relative to p, to 1e-6 on [0.05, 999] (1e-7 measured; before: 1.3e-2, with p 15% from a
    finite-difference solution at w = 1000)."""
    solution = walras.solve(walras.load(WWY), method="collocation", quiet=True)
    assert solution.converged, solution.message
    mu, sigma, r, rho, gamma, psi = 0.015, 0.1, 0.035, 0.06, 3.0, 1.1
    k = r + psi * (rho - r)
    h = 1e-2
    w = np.geomspace(0.05, 999, 400)
    p0, pm, pp = (solution.evaluate(w + d)["p"].values for d in (0.0, -h, h))
    slope, curvature = (pp - pm) / (2 * h), (pp - 2 * p0 + pm) / h**2
    residual = (
        (k * slope ** (1 - psi) - psi * rho) / (psi - 1) * p0
        + (mu - gamma * sigma**2 / 2) * p0
        + ((r - mu + gamma * sigma**2) * w + 1) * slope
        + 0.5 * sigma**2 * w**2 * (curvature - gamma * slope**2 / p0)
    )
    assert np.max(np.abs(residual / p0)) < 1e-6
