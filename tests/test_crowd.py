"""Crowding collocation nodes towards an edge (collocation/crowd.py): the anchored log map of an
axis and its inverse, and what it buys, against closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from walras.runtime.solvers.collocation import chebyshev as cheb
from walras.runtime.solvers.collocation.crowd import log_formula

jax.config.update("jax_enable_x64", True)

LO, HI = -300.0, -2.0


@pytest.mark.parametrize("anchor", [HI + 0.05, LO - 0.05])
def test_the_anchored_map_is_inverted_and_crowds_towards_the_anchored_edge(anchor):
    lo, hi = jnp.asarray([LO, 0.5]), jnp.asarray([HI, 2.0])
    log = (cheb.Anchor(anchor), True)  # and a cut edge's log axis beside it
    z = jnp.stack([jnp.linspace(-1, 1, 41), jnp.linspace(-1, 1, 41)], -1)
    x = np.asarray(jax.vmap(lambda z: cheb.to_box(z, lo, hi, log))(z))
    np.testing.assert_allclose(x[[0, -1]], [[LO, 0.5], [HI, 2.0]], rtol=1e-13)
    np.testing.assert_allclose(jax.vmap(lambda x: cheb.to_unit(x, lo, hi, log))(x), z, atol=1e-12)
    np.testing.assert_allclose(x[:, 1], 0.5 * 4 ** ((z[:, 1] + 1) / 2), rtol=1e-13)  # log x
    near = np.abs(x[:, 0] - (HI if anchor > HI else LO))
    assert np.sort(near)[1] < 0.2  # the affine map's nearest node is 15 away
    assert cheb.cut_axes(log) == (False, True)


def test_a_square_root_at_an_edge_of_a_wide_range_is_a_short_expansion_when_crowded():
    """u = sqrt(s_max + 0.01 − s) on [−300, −2]: in the affine coordinate its Chebyshev
    interpolant of degree 32 misses by a tenth; anchored 0.01 beyond the edge, u is exp of a
    line in the coordinate, and degree 32 is exact to 1e-10, derivatives included (d/ds through
    the map by forward mode, against the closed form)."""
    u = lambda s: np.sqrt(HI + 0.01 - s)  # noqa: E731
    errors = {}
    for log in ((False,), (cheb.Anchor(HI + 0.01),)):
        coef = cheb.interpolate(lambda y: u(y[:, 0]), np.array([LO]), np.array([HI]), 33, log)
        field = cheb.Chebyshev(jnp.asarray(coef), jnp.asarray([LO]), jnp.asarray([HI]), log)
        s = np.linspace(LO, HI, 2001)
        values = jax.vmap(field)(jnp.asarray(s[:, None]))
        slope = jax.vmap(lambda x: jax.jvp(field, (x,), (jnp.ones(1),))[1])(jnp.asarray(s[:, None]))
        errors[log[0] is False] = (
            np.abs(values - u(s)).max(),
            np.abs(slope + 0.5 / u(s)).max() / (0.5 / u(HI)),
        )
    assert errors[True][0] > 1e-1
    assert errors[False][0] < 1e-10 and errors[False][1] < 1e-8


@pytest.mark.parametrize(
    ("at", "formula"),
    [(0.5, "log|a − 0.5|"), (-5.9e-4, "log|a + 0.00059|"), (0.0, "log|a|")],
)
def test_the_crowding_notes_formula_writes_the_anchor_for_a_state_named_a(at, formula):
    assert log_formula("a", at) == formula
