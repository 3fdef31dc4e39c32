"""Every face of a simplex where a share vanishes is treated alike by collocation: the last
stick-breaking coordinate, whose upper end is the face of the last share, is cut at both ends
and mapped in log(u/(1 − u)) (`chebyshev.Logit`), with the power-law rows at both cuts."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from numpy.polynomial import chebyshev as C

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import chebyshev as cheb
from walras.runtime.solvers.collocation import smolyak
from walras.runtime.solvers.collocation.problem import System


def test_the_logit_axis_is_symmetric_and_inverts():
    eps = 1e-4
    z = np.linspace(-1, 1, 41)[:, None]
    lo, hi = jnp.asarray([eps]), jnp.asarray([1 - eps])
    u = np.asarray(jax.jit(lambda z: cheb.to_box(z, lo, hi, (cheb.LOGIT,)))(z))
    assert abs(u[0, 0] - eps) < 1e-15 and abs(u[-1, 0] - (1 - eps)) < 1e-15
    np.testing.assert_allclose(1 - u[::-1], u, atol=1e-15)  # as fine near 1 as near 0
    expected = 1 / (1 + np.exp(-np.log(eps / (1 - eps)) * -z))  # logit affine in z
    np.testing.assert_allclose(u, expected, rtol=1e-13)
    back = np.asarray(cheb.to_unit(jnp.asarray(u), lo, hi, (cheb.LOGIT,)))
    np.testing.assert_allclose(back, z, atol=1e-12)


def test_derivatives_at_either_end_are_numpys():
    coef = np.random.default_rng(0).normal(size=(7, 5))
    for end in (-1.0, 1.0):
        got = np.asarray(cheb.end_derivative(jnp.asarray(coef), 0, 2, end))
        want = [C.chebval(end, C.chebder(coef[:, j], 2)) for j in range(5)]
        np.testing.assert_allclose(got, want, rtol=1e-12)
    sparse = smolyak.grid(2, 2)
    c = jnp.asarray(np.random.default_rng(1).normal(size=sparse.size))
    face = np.unique(sparse.nodes[:, 0])
    series = jax.jit(lambda z: smolyak.series(c, z, sparse))
    for end in (-1.0, 1.0):
        rows = np.asarray(smolyak.edge_curvature(c, sparse, 1, end))
        h = 1e-3  # central second difference along z_1 at the end, one sided inward
        f = lambda z0, z1: float(series(jnp.asarray([z0, z1])))  # noqa: E731
        want = [
            (f(z0, end) - 2 * f(z0, end - np.sign(end) * h) + f(z0, end - 2 * np.sign(end) * h))
            / h**2
            for z0 in face
        ]
        np.testing.assert_allclose(rows, want, rtol=1e-2, atol=1e-2 * np.abs(want).max())


def test_the_last_share_is_cut_like_the_others():
    text = "\n".join(
        [
            "model m",
            "shock Z",
            "endowment y: drift = 0.02*y, vol[Z] = 0.05*y",
            "asset bond: riskless, supply = 0",
            "asset stock: dividend = y, supply = 1",
            *[
                f"agent a{i}: utility = log, discount = 0.0{i + 2}, trades = [bond, stock]"
                for i in range(3)
            ],
        ]
    )
    problem = Problem.build(walras.load(text).compile())
    system = System(problem, 6, 1, edge=1e-3)
    (group,) = problem.domain.simplices
    assert system.maps[group[-1]] is cheb.LOGIT and system.maps[group[0]] is True
    lo, hi = (
        np.asarray(v)[0] for v in system.boxes(system.unravel(jnp.zeros(system.size)), system.lo)
    )
    np.testing.assert_allclose(lo[list(group)], 1e-3)
    np.testing.assert_allclose(hi[list(group)], [1, 1 - 1e-3])
    x = np.asarray(jax.jit(system.states_at)(jnp.asarray(system.reference), lo, hi))
    shares = np.c_[x[:, list(group)], 1 - x[:, list(group)].sum(1)]
    # the two shares the last coordinate splits come as near their faces as each other
    assert shares.min() > 0 and abs(shares[:, 1].min() / shares[:, 2].min() - 1) < 1e-12
    ends = {(i, end) for _, _, i, end in system.edge_terms}
    assert (group[-1], 1.0) in ends and (group[0], 1.0) not in ends


def test_beyond_either_cut_the_expansion_continues_linearly():
    coef = np.random.default_rng(2).normal(size=6)
    eps = 1e-3
    f = cheb.Chebyshev(jnp.asarray(coef), jnp.asarray([eps]), jnp.asarray([1 - eps]), (cheb.LOGIT,))
    for x, end in ((1e-5, -1.0), (1 - 1e-5, 1.0)):
        z = float(cheb.to_unit(jnp.asarray([x]), f.lo, f.hi, f.log)[0])
        want = C.chebval(end, coef) + (z - end) * C.chebval(end, C.chebder(coef))
        assert abs(z) > 1 and abs(float(f(jnp.asarray([x]))) - want) < 1e-12 * (1 + abs(want))
