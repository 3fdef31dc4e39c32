"""The place terms of pooled members as one step each (`system.PlaceSum`, rule 26 of
docs/economy.md): the code generator gathers every member's unknown after every switch from one
matrix. Reference: the same system with each such step the definition as the economy layer
wrote it, one term per switch and place (the form the residuals had before)."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
from test_jump_steps import assert_equal_residuals, compiled, points, trial_fields

from walras.compiler import economy_chains
from walras.compiler.codegen import Compiled
from walras.compiler.system import Assign, PlaceSum

GGP = {"state k in [15, 40]": "state k in [4, 12]"}


def written_out(c: Compiled) -> Compiled:
    """The system with each `PlaceSum` the assignment of its written-out definition."""
    steps = tuple(
        Assign(s.symbol, s.written) if isinstance(s, PlaceSum) else s for s in c.system.steps
    )
    return Compiled(dataclasses.replace(c.system, steps=steps))


def pooled_pair(folder) -> Compiled:
    """Two households, pooled (forced: pooling starts above four positions), derived inside
    the patch and in a cache folder of their own (the shared one, keyed by the text, holds the
    written-out economy of the same text)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(economy_chains, "MAX_COMBINATIONS", 3)
        patch.setenv("WALRAS_CACHE", str(folder))
        c = compiled("ggp_production", {**GGP, "household[10]": "household[2]"})
        assert c.system  # derived now, not on first use after the patch
        return c


@pytest.fixture(scope="module", params=[2, 5])
def model(request, tmp_path_factory):
    households = request.param
    if households == 2:
        return pooled_pair(tmp_path_factory.mktemp("cache"))
    return compiled("ggp_production", {**GGP, "household[10]": f"household[{households}]"})


def place_terms(c: Compiled, x, written: bool) -> jnp.ndarray:
    """Every member's place terms at the points, [point, member], as one step each or written
    out."""
    steps = [s for s in c.system.steps if isinstance(s, PlaceSum)]
    instead = {s.symbol: Assign(s.symbol, s.written) for s in steps} if written else None
    return c._map(
        trial_fields(c),
        c.params,
        x,
        lambda p: jnp.stack([p.eval(s.symbol) for s in steps]),
        instead,
    )


def test_place_sums_equal_the_written_out_place_terms(model):
    steps = [s for s in model.system.steps if isinstance(s, PlaceSum)]
    assert len(steps) == len([u for u in model.system.unknowns if u.name.startswith("c_")])
    x = points(model, 9)
    new, old = place_terms(model, x, False), place_terms(model, x, True)
    assert np.all(np.abs(np.asarray(old)).max(axis=0) > 1e-3)  # none vanishes at every point
    np.testing.assert_allclose(new, old, rtol=1e-13, atol=1e-13 * float(jnp.max(jnp.abs(old))))


@pytest.mark.slow
def test_residuals_equal_the_written_out_ones(tmp_path):
    """The whole system of the two pooled households, each place sum written out."""
    model = pooled_pair(tmp_path)
    assert_equal_residuals(model, written_out(model), points(model, 5))
