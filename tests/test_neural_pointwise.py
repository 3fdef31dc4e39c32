"""The polish's dense Jacobian, built point by point in chunks of points (`pointwise`): the same
matrix as reverse mode on the whole residual vector, with memory that follows the chunk."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural import pointwise
from walras.runtime.solvers.neural.fields import init_fields
from walras.runtime.solvers.neural.polish import Polish
from walras.runtime.solvers.neural.rows import Rows


@pytest.fixture(scope="module")
def lucas():
    """The polish of `lucas` (an equation, a boundary row at each edge) on a small network at
    random weights."""
    compiled = walras.load("lucas").compile()
    problem = Problem.build(compiled)
    settings = walras.Settings(method="neural", width=6, polish_points=40, boundary_points=3)
    rows = Rows(problem, settings)
    fields = init_fields(problem, settings, problem.params, rows.cut, jax.random.PRNGKey(3))
    polish = Polish(rows, fields, settings)
    theta = ravel_pytree(eqx.partition(fields, polish.spec)[0])[0]
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    return polish, theta, params


def _jacobian(polish):
    """The polish's Jacobian jitted afresh (a new function: no trace kept from another chunk)."""
    return jax.jit(lambda theta, params: polish.jacobian(theta, params))


def test_chunked_jacobian_is_reverse_mode_on_the_whole_vector(lucas, monkeypatch):
    """Chunks of 7 of the 40 interior points (the last padded) and of each edge's 3 points,
    against forward mode on the whole vector. (Reverse mode on the whole vector, jitted, is not a
    reference: on an AMD EPYC host XLA 0.9.2 to 0.10.2 miscompiles it here, every odd row wrong
    by up to 0.26, while the same program unjitted, or compiled at
    `--xla_backend_optimization_level=0`, agrees with forward mode and finite differences.)"""
    polish, theta, params = lucas
    monkeypatch.setattr(pointwise, "chunk_size", lambda per_point, points: 7)
    expected = jax.jit(jax.jacfwd(polish.residual))(theta, params)
    found = _jacobian(polish)(theta, params)
    assert found.shape == expected.shape == (polish.size, theta.size)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)))


def test_memory_follows_the_chunk(lucas, monkeypatch):
    """XLA's own account of the compiled Jacobian's temporaries beside the matrix itself: a
    chunk of 4 points holds a fraction of what all 40 at once hold; the chunk is what the
    traced budget allows."""
    polish, theta, params = lucas
    matrix = polish.size * theta.size * 8

    def temporaries(chunk):
        monkeypatch.setattr(pointwise, "chunk_size", lambda per_point, points: chunk)
        compiled = _jacobian(polish).lower(theta, params).compile()
        return compiled.memory_analysis().temp_size_in_bytes - matrix

    assert temporaries(4) < temporaries(40) / 4
    monkeypatch.undo()
    assert pointwise.chunk_size(10, 40, memory=35) == 3
    assert pointwise.chunk_size(10**9, 40, memory=35) == 1
    assert pointwise.chunk_size(1, 40, memory=10**6) == 40
