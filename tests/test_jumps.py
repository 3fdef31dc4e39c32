"""Jumps and regimes: Poisson shocks, discrete states and the generator in `drift`, against closed
forms (the disaster Lucas tree, regime-switching Lucas trees: a K×K linear system), with every
new check raising its code at its line."""

from __future__ import annotations

import numpy as np
import pytest
from references import disaster_pd, regime_disasters_pd, three_regimes, two_regimes

import walras
from walras.compiler.emit import latex
from walras.grammar.diagnostics import EconError
from walras.grammar.parser import parse
from walras.grammar.unparse import unparse

# --- the language ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lucas_disasters", "regime_lucas", "regime_lucas3"])
def test_library_jump_models_read_back_as_written(name):
    module = parse(walras.api.resolve(name).read_text())
    assert set(parse(unparse(module)).statements) == set(module.statements)


def test_latex_writes_the_jump_term_as_a_researcher_does():
    tex = latex(walras.load("lucas_disasters").compile().system)
    after = r"\xi\left(y + J^{y}_{N}\right) q\left(y + J^{y}_{N}\right)"
    assert r"\lambda_{N} \left(" + after + r" - \xi q\right)" in tex
    assert r"J^{y}_{N} &= -b y" in tex
    tex = latex(walras.load("regime_lucas3").compile().system)
    assert r"\lambda_{\mathit{Up}} &= p_{\text{up}} \mathbb{1}_{\{s < 2\}}" in tex


def test_the_generator_vanishes_at_the_closed_forms():
    """The residuals, evaluated at the closed forms, are zero: the jump terms of `drift` are
    λ (f after the jump − f), with the unknown read at the jumped point."""
    import jax.numpy as jnp

    model = walras.load("lucas_disasters").compile()
    pd = disaster_pd(model.params)
    params = {k: jnp.asarray(v) for k, v in model.params.items()}
    x = jnp.linspace(0.5, 2.0, 9)[:, None]
    r = model.residuals({"pd": lambda z: pd + 0 * z[0]}, params, x)["stock"]
    assert np.abs(np.asarray(r)).max() < 1e-14
    model = walras.load("regime_lucas3").compile()
    sol = three_regimes(model.params)
    params = {k: jnp.asarray(v) for k, v in model.params.items()}
    r = model.residuals(
        {"pd": lambda z: jnp.asarray(sol)[jnp.round(z[0]).astype(int)]},
        params,
        jnp.arange(3.0)[:, None],
    )["price"]
    assert np.abs(np.asarray(r)).max() < 1e-13


# --- checks ---------------------------------------------------------------------------------

BASE = """model m
parameter p = 0.1, lam = 0.02, b = 0.3
state y in [0.5, 2]
state s in {0, 1}
shock Z
shock N: poisson, rate = lam
shock Up: poisson, rate = p*(1 - s)
process y: drift = 0.01*y, vol[Z] = 0.1*y, jump[N] = -b*y
process s: jump[Up] = 1
unknown f(y, s)
equation e: drift(f) = f - 1
beyond y < 0.5: d(f, y) = 0
boundary at y = 0.5: d(f, y) = 0
boundary at y = 2: d(f, y) = 0
"""


def errors(text: str) -> list[tuple[str, int]]:
    with pytest.raises(EconError) as err:
        walras.load(text).checked  # noqa: B018
    return [(d.code, d.span.line if d.span else None) for d in err.value.diagnostics]


def test_the_base_model_is_clean():
    assert walras.load(BASE).warnings == ()


@pytest.mark.parametrize(
    "old, new, code, line",
    [
        ("vol[Z] = 0.1*y", "vol[N] = 0.1*y", "E124", 8),
        ("drift(f) = f", "drift(f) + vol(f, N) = f", "E124", 11),
        ("jump[N] = -b*y", "jump[Z] = -b*y", "E125", 8),
        ("drift(f) = f", "drift(f) + rate(Z) = f", "E125", 11),
        ("drift(f) = f", "drift(f) + jump(f, Z) = f", "E125", 11),
        ("jump[Up] = 1", "jump[Up] = 2", "E126", 9),
        ("rate = p*(1 - s)", "rate = p", "E126", 9),
        ("drift(f) = f", "drift(f) + d(f, s) = f", "E127", 11),
        ("process s: jump[Up] = 1", "process s: drift = 0.1, jump[Up] = 1", "E127", 9),
        ("state s in {0, 1}", "state s in {0, 1, 1}", "E127", 4),
        ("state s in {0, 1}", "state s in {1}", "E127", 4),
        ("boundary at y = 2: d(f, y) = 0", "boundary at s = 1: f = 0", "E127", 14),
        ("beyond y < 0.5: d(f, y) = 0", "beyond y < 0.6: d(f, y) = 0", "E128", 12),
        ("beyond y < 0.5: d(f, y) = 0", "beyond y < 0.5: d(f, y, y) = 0", "E128", 12),
        ("beyond y < 0.5: d(f, y) = 0", "beyond s < 0: d(f, y) = 0", "E128", 12),
        ("jump[N] = -b*y", "jump[M] = -b*y", "E105", 8),
        ("drift(f) = f", "drift(f) + N = f", "E114", 11),
    ],
)
def test_each_check_raises_its_code_at_its_line(old, new, code, line):
    assert old in BASE
    assert (code, line) in errors(BASE.replace(old, new))


def test_a_jump_out_of_the_domain_is_a_warning_at_its_place_unless_beyond_says_so():
    model = walras.load(BASE.replace("beyond y < 0.5: d(f, y) = 0\n", ""))
    (w,) = model.warnings
    assert (w.code, w.span.line) == ("W178", 8)
    assert "held at their value at y = 0.5" in w.message
    up = BASE.replace("jump[N] = -b*y", "jump[N] = b*y")
    assert [(w.code, w.span.line) for w in walras.load(up).warnings] == [("W178", 8)]


def test_comparisons_are_indicators():
    text = BASE.replace("rate = p*(1 - s)", "rate = p*(s == 0) + 0*(s != 0)*(s >= 0)*(s <= 1)")
    assert walras.load(text).warnings == ()


# --- solvers --------------------------------------------------------------------------------


def test_disaster_lucas_by_collocation():
    model = walras.load("lucas_disasters")
    solution = walras.solve(model, method="collocation", degree=8)
    assert solution.converged, solution.message
    pd = disaster_pd(model.compile().params)
    assert np.abs(solution.dataset["pd"].values - pd).max() < 1e-8 * pd


@pytest.mark.parametrize(
    "name, reference", [("regime_lucas", two_regimes), ("regime_lucas3", three_regimes)]
)
def test_regime_lucas_by_collocation(name, reference):
    model = walras.load(name)
    solution = walras.solve(model, method="collocation", degree=4)
    assert solution.converged, solution.message
    expected = reference(model.compile().params)
    np.testing.assert_allclose(solution.dataset["pd"].values, expected, rtol=1e-10)
    assert list(solution.dataset["s"].values) == list(range(len(expected)))


def test_regimes_and_disasters_together_by_collocation():
    """An unknown of a continuous and a discrete state: one expansion in y per regime, read at
    the jumped y and at the other regime."""
    model = walras.load("regime_disasters")
    solution = walras.solve(model, method="collocation", degree=6)
    assert solution.converged, solution.message
    expected = regime_disasters_pd(model.compile().params)
    pd = solution.dataset["pd"].transpose("y", "s").values
    np.testing.assert_allclose(pd, np.broadcast_to(expected, pd.shape), rtol=1e-10)


NEURAL = [
    pytest.param("regime_lucas", two_regimes, dict(steps=100, polish=30, width=8), 1e-6),
    pytest.param(
        "regime_lucas3", three_regimes, dict(steps=500, polish=100), 1e-6, marks=pytest.mark.slow
    ),
    pytest.param(
        "lucas_disasters", disaster_pd, dict(steps=500, polish=100), 1e-5, marks=pytest.mark.slow
    ),
]


@pytest.mark.parametrize("name, reference, settings, tolerance", NEURAL)
def test_the_neural_solver_against_the_closed_forms(name, reference, settings, tolerance):
    """Discrete states are the networks' inputs; jumped points are other inputs."""
    model = walras.load(name)
    solution = walras.solve(model, method="neural", **settings)
    expected = reference(model.compile().params)
    pd = solution.dataset["pd"].values
    np.testing.assert_allclose(pd, np.broadcast_to(expected, pd.shape), rtol=tolerance)
