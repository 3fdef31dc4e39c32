"""Smolyak sparse grids: the hierarchical interpolant against the combination technique built
from numpy's tensor Chebyshev interpolants, exactness on its polynomial space, derivatives
against numpy's Chebyshev derivatives, and collocation on the simplex against closed forms."""

from __future__ import annotations

import itertools
from math import comb

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import chebyshev as C
from test_simplex import RHO, log_agents

import walras
from walras.runtime.domain import Domain
from walras.runtime.solvers.collocation import smolyak


def smooth(x: np.ndarray) -> np.ndarray:
    """Analytic on [−1, 1]^d, neither additive nor a product, not a polynomial."""
    return np.exp(0.4 * x.sum(1)) / (2.5 + x[:, 0] * x[:, -1])


def tensor_interpolant(f, points_per_axis, x: np.ndarray) -> np.ndarray:
    """numpy: the tensor Chebyshev interpolant of f at the Gauss points (numpy's Chebyshev points
    of the first kind), evaluated at x."""
    axes = [np.sort(C.chebpts1(m)) for m in points_per_axis]
    grid = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], -1)
    V = np.ones((len(grid), 1))
    W = np.ones((len(x), 1))
    for k, m in enumerate(points_per_axis):
        V = (V[:, :, None] * C.chebvander(grid[:, k], m - 1)[:, None, :]).reshape(len(grid), -1)
        W = (W[:, :, None] * C.chebvander(x[:, k], m - 1)[:, None, :]).reshape(len(x), -1)
    return W @ np.linalg.solve(V, f(grid))


def combination(f, d: int, level: int, x: np.ndarray) -> np.ndarray:
    """The Smolyak interpolant by the combination technique (Wasilkowski and Woźniakowski 1995):
    Σ_{q−d+1 ≤ |l| ≤ q} (−1)^{q−|l|} C(d−1, q−|l|) ⊗_k U^{l_k}, q = d + level, with U^l the
    interpolant at the 3^(l−1) Gauss points."""
    q, out = d + level, np.zeros(len(x))
    for levels in itertools.product(range(1, level + 2), repeat=d):
        s = sum(levels)
        if q - d + 1 <= s <= q:
            sign = (-1) ** (q - s) * comb(d - 1, q - s)
            out += sign * tensor_interpolant(f, [3 ** (lv - 1) for lv in levels], x)
    return out


def at(coef, sparse, x):
    field = smolyak.Smolyak(
        jnp.asarray(coef),
        -jnp.ones(sparse.d),
        jnp.ones(sparse.d),
        (False,) * sparse.d,
        False,
        (),
        sparse,
    )
    return np.asarray(jax.vmap(field)(jnp.asarray(x)))


@pytest.mark.parametrize("d, level", [(3, 3), (4, 2)])
def test_the_interpolant_is_the_combination_technique(d, level):
    sparse = smolyak.grid(d, level)
    x = np.random.default_rng(d).uniform(-1, 1, (300, d))
    coef = smolyak.interpolate(smooth, -np.ones(d), np.ones(d), sparse)
    ours = at(coef, sparse, x)
    np.testing.assert_allclose(ours, combination(smooth, d, level, x), atol=1e-12)


@pytest.mark.parametrize("d", [2, 4])
def test_the_error_falls_with_the_level_as_the_combination_technique_says(d):
    """Against the exact function: the error at each level is the combination technique's, and
    it falls with the level."""
    x = np.random.default_rng(10 + d).uniform(-1, 1, (300, d))
    errors = []
    for level in (1, 2, 3):
        sparse = smolyak.grid(d, level)
        coef = smolyak.interpolate(smooth, -np.ones(d), np.ones(d), sparse)
        error = np.abs(at(coef, sparse, x) - smooth(x)).max()
        reference = np.abs(combination(smooth, d, level, x) - smooth(x)).max()
        assert error == pytest.approx(reference, rel=1e-6)
        errors.append(error)
    assert errors[2] < errors[1] < errors[0]


@pytest.mark.parametrize("d, level", [(2, 4), (4, 3)])
def test_polynomials_of_the_space_are_reproduced(d, level):
    """Every basis function's degrees: a random polynomial of the space is interpolated exactly,
    with as many nodes as basis functions; values and derivatives (numpy's chebder) at random
    points, and second derivatives on an edge."""
    sparse = smolyak.grid(d, level)
    assert sparse.nodes.shape == sparse.index.shape == (sparse.size, d)
    assert len(np.unique(sparse.nodes.round(14), axis=0)) == sparse.size
    rng = np.random.default_rng(level)
    c = rng.normal(size=sparse.size)

    def poly(x, axis=None, order=1):
        columns = []
        for alpha in sparse.index:
            term = np.ones(len(x))
            for k, a in enumerate(alpha):
                e = np.eye(a + 1)[a]
                term *= C.chebval(x[:, k], C.chebder(e, order) if k == axis else e)
            columns.append(term)
        return np.stack(columns, -1) @ c

    coef = smolyak.interpolate(poly, -np.ones(d), np.ones(d), sparse)
    np.testing.assert_allclose(coef, c, atol=1e-13 * np.abs(c).max() * sparse.size**0.5)
    x = rng.uniform(-1, 1, (100, d))
    np.testing.assert_allclose(at(c, sparse, x), poly(x), atol=1e-12 * np.abs(poly(x)).max())
    field = smolyak.Smolyak(
        jnp.asarray(c), -jnp.ones(d), jnp.ones(d), (False,) * d, False, (), sparse
    )
    e = jnp.zeros(d).at[d - 1].set(1.0)
    slope = np.asarray(jax.vmap(lambda y: jax.jvp(field, (y,), (e,))[1])(jnp.asarray(x)))
    np.testing.assert_allclose(slope, poly(x, d - 1), atol=1e-11 * np.abs(poly(x, d - 1)).max())
    # the rows a cut edge imposes: the second derivative along axis 0 at z_0 = −1
    face = np.insert(np.unique(np.delete(sparse.nodes, 0, axis=1), axis=0), 0, -1.0, axis=1)
    curvature = np.asarray(smolyak.edge_curvature(jnp.asarray(c), sparse, 0))
    np.testing.assert_allclose(
        curvature, poly(face, 0, 2), atol=1e-11 * np.abs(poly(face, 0, 2)).max()
    )


def test_sizes_and_levels():
    """Counts of the hierarchical construction (JMMV Table 1 counts for doubling grids; these
    are the tripling counts, by the formula Σ_{|l| ≤ d + μ} Π (3^(l−1) − 3^(l−2)))."""

    def count(d, level):
        new = [1] + [3 ** (lv - 1) - 3 ** (lv - 2) for lv in range(2, level + 2)]
        return sum(
            np.prod([new[lv] for lv in ls])
            for ls in itertools.product(range(level + 1), repeat=d)
            if sum(ls) <= level
        )

    for d in (2, 3, 4):
        for level in range(4):
            assert smolyak.size(d, level) == count(d, level)
    assert smolyak.size(4, 4) == 1473 and smolyak.degree_of(4) == 80
    assert [smolyak.level_for(k) for k in (0, 1, 2, 3, 8, 9, 32)] == [0, 1, 1, 2, 2, 3, 4]


def on_simplex(solution, n: int = 4000, floor: float = 0.01, seed: int = 2):
    """Random points of the solution's simplex with every share >= floor: (states, all shares)."""
    x = Domain.of(solution.compiled.model).sample(n, seed=seed)
    eta = np.c_[x, 1 - x.sum(1)]
    keep = (eta >= floor).all(1)
    return x[keep], eta[keep]


@pytest.mark.slow  # the suite's time on two cores
def test_three_log_agents_on_a_sparse_grid_are_the_closed_form():
    """ω_i = ρ_i and pd = 1/Σ ρ_i η_i everywhere on the simplex with all shares >= 0.01; the
    error estimate is the change to the next level."""
    solution = walras.solve(
        walras.load(log_agents()), method="collocation", basis="smolyak", degree=8
    )
    assert solution.converged, solution.message
    assert int(solution.dataset["degree"]) == 8
    assert solution.dataset["chebyshev_omega_a0"].shape == (1, 9)
    x, eta = on_simplex(solution)
    ds = solution.evaluate(x)
    for i, rho in enumerate(RHO):
        np.testing.assert_allclose(ds[f"omega_a{i}"], rho, atol=1e-10)
    np.testing.assert_allclose(ds["pd"], 1 / (eta @ np.array(RHO)), rtol=1e-10)
    assert max(solution.errors.values()) < 1e-10


@pytest.mark.slow
def test_five_log_agents_on_four_states():
    """Four states: the default basis is the sparse grid (level 2 here: 57 coefficients per
    unknown, the error estimate at level 3, 305)."""
    rho = (0.02, 0.035, 0.05, 0.065, 0.08)
    solution = walras.solve(walras.load(log_agents(rho)), method="collocation", degree=8)
    assert solution.converged, solution.message
    x, eta = on_simplex(solution, seed=5)
    ds = solution.evaluate(x)
    for i, r in enumerate(rho):
        np.testing.assert_allclose(ds[f"omega_a{i}"], r, atol=1e-8)
    np.testing.assert_allclose(ds["pd"], 1 / (eta @ np.array(rho)), rtol=1e-8)
