"""The jump part of `drift` as one step (`system.JumpSum`): the code generator evaluates g once,
its moved atoms vectors over the shocks, and the values of the unknowns after all arrivals in one
call (`jump_eval.Jumps`). References: the same system with each such step written out one term
per shock by `jumps.generator` (the form the residuals had before), and each unknown evaluated
by hand at the point its arrival leads to, clipped into the domain."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.compiler import ito, jumps
from walras.compiler.codegen import Compiled
from walras.compiler.pointwise import Point, point_groups
from walras.compiler.system import Assign, JumpSum, rate_symbol
from walras.models import resolve

jax.config.update("jax_enable_x64", True)

TWO_HOUSEHOLDS = (
    "ggp_production",
    {"household[10]": "household[2]", "state k in [15, 40]": "state k in [4, 12]"},
)


def compiled(name: str, edits: dict | None = None) -> Compiled:
    text = open(str(resolve(name))).read()
    if edits:  # the start, written for ten households, left out
        text = text[: text.index("# the start")]
    for old, new in (edits or {}).items():
        text = text.replace(old, new)
    return walras.load(text).compile()


def trial_fields(c: Compiled) -> dict:
    """A smooth positive function of its own states for each unknown, different for each."""
    return {
        u.name: (
            lambda y, i=i: (
                0.5 + 0.1 * i + 0.05 * jnp.sum(jnp.sin((i + 1.0) * y + jnp.arange(y.size)))
            )
        )
        for i, u in enumerate(c.system.unknowns)
    }


def points(c: Compiled, n: int = 7) -> jnp.ndarray:
    rng = np.random.default_rng(3)
    cols = [
        rng.choice(s.values, n) if s.discrete else rng.uniform(s.lo, s.hi, n)
        for s in c.model.states
    ]
    return jnp.asarray(np.column_stack(cols))


def written_out(c: Compiled) -> Compiled:
    """The system with each `JumpSum` an assignment of Σ_N rate_N (g after N − g)."""
    system = c.system
    rates = {k: rate_symbol(k) for k in system.model.rates}
    steps = tuple(
        Assign(s.symbol, jumps.generator(system.atoms, s.expr, rates, system.jumps))
        if isinstance(s, JumpSum)
        else s
        for s in system.steps
    )
    return Compiled(dataclasses.replace(system, steps=steps))


@pytest.fixture(scope="module", params=["lucas_disasters", "ggp2"])
def model(request):
    if request.param == "ggp2":
        return compiled(*TWO_HOUSEHOLDS)
    return compiled(request.param)


def test_residuals_equal_the_written_out_jump_terms(model):
    assert any(isinstance(s, JumpSum) for s in model.system.steps)
    assert_equal_residuals(model, written_out(model), points(model))


def assert_equal_residuals(model: Compiled, reference: Compiled, x) -> None:
    """The residuals of `model` and `reference` at trial fields agree to 1e-13 (relative to
    max(1, |residual|)), every one finite."""
    fields, params = trial_fields(model), model.params
    new = model.residuals(fields, params, x)
    old = reference.residuals(fields, params, x)
    for name in model.equations:
        scale = max(1.0, float(jnp.max(jnp.abs(old[name]))))
        assert np.all(np.isfinite(np.asarray(old[name])))
        assert float(jnp.max(jnp.abs(new[name] - old[name]))) <= 1e-13 * scale, name


def test_values_after_arrivals_are_the_unknowns_at_the_jumped_point(model):
    """Every jumped value against the unknown evaluated at clip(x + J_N) by hand."""
    system, fields, params = model.system, trial_fields(model), model.params
    x = points(model, 3)
    shocks = tuple(model.model.rates)
    _, moves = model.arrivals(fields, params, x)
    lo = np.array([s.lo for s in model.model.states])
    hi = np.array([s.hi for s in model.model.states])
    index = {s: i for i, s in enumerate(model.states)}
    jumped = [
        (sym, m)
        for sym, m in system.atoms.meaning.items()
        if isinstance(m, ito.Jumped) and not m.alpha
    ]
    assert jumped
    groups, steps = point_groups(system), system.step_of()
    for n in range(x.shape[0]):
        p = Point(system, steps, groups, fields, params, x[n])
        for sym, m in jumped:
            y = np.clip(np.asarray(x[n]) + np.asarray(moves[n, :, shocks.index(m.shock)]), lo, hi)
            args = [index[a] for a in system.atoms.unknown_args[m.unknown]]
            expected = fields[m.unknown](jnp.asarray(y[args]))
            assert abs(float(p.symbol(sym)) - float(expected)) <= 1e-14, (sym, n)
