"""`guess` statements: checked (E118, E129, E102), printed back, and the start of both solvers and
of continuation; boundary positions as expressions of parameters; a state named `d`.

The model with two solutions: f² = b + x on x ∈ [0, 1] has the roots ±√(b + x). From its
constant start (1) Newton finds the positive one; `guess f = -sqrt(b + x)` starts at the negative
one, which the solve must keep (a closed form of the branch it selects)."""

from __future__ import annotations

import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError
from walras.grammar.parser import parse
from walras.grammar.unparse import unparse
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.start import start_guess

TWO_ROOTS = """model two_roots "f^2 = b + x: two solutions"
parameter b = 1
state x in [0, 1]
process x: drift = 0
unknown f(x)
equation square: f^2 = b + x
"""
NEGATIVE = TWO_ROOTS + 'guess f = -sqrt(b + x)  "the negative root"\n'
X = np.linspace(0, 1, 21)


def errors(text: str) -> list:
    with pytest.raises(EconError) as caught:
        walras.load(text).checked  # noqa: B018
    return caught.value.diagnostics


def test_a_guess_reads_back_the_same():
    module = parse(NEGATIVE)
    assert parse(unparse(module)).statements == module.statements
    assert 'guess f = -sqrt(b + x)  "the negative root"' in unparse(module)


def test_misplaced_guesses_are_errors_at_their_place():
    text = TWO_ROOTS + (
        "shock Z\nstate y in [0, 1]\nprocess y: drift = 0\nlet g = f + 1\n"
        "guess b = 1\nguess ff = 1\nguess f = d(f, x) + y + g + Z\nguess f = 2\n"
    )
    found = [(d.code, d.span.line, d.span.column, d.hint) for d in errors(text)]
    assert found[:2] == [("E118", 11, 7, "unknowns: f"), ("E118", 12, 7, "did you mean 'f'?")]
    line = [(code, col) for code, ln, col, _ in found if ln == 13]
    assert line == [("E129", 11), ("E129", 21), ("E129", 25), ("E129", 29)]
    assert ("E102", 14, 1) in [(c, ln, col) for c, ln, col, _ in found]
    messages = [d.message for d in errors(text) if d.code == "E129"]
    assert "'y' is a state that 'f' does not depend on" in messages[1]
    assert "the definition 'g' uses the unknown 'f'" in messages[2]


def test_collocation_starts_from_the_guess():
    """Started at the negative root, Newton keeps it and takes at most one step (from an exact
    root no trial lowers the cost at rounding: refused trials at a raised damping are not
    steps); without the guess the same solve finds the positive root."""
    for text, sign in ((NEGATIVE, -1), (TWO_ROOTS, 1)):
        solution = walras.solve(text, method="collocation", degree=8)
        assert solution.converged, solution.message
        found = solution.evaluate({"x": X})["f"].values
        assert np.abs(found - sign * np.sqrt(1 + X)).max() < 1e-8
        if sign < 0:
            assert int(solution.extra["iterations"]) <= 1


def test_the_start_is_the_guess_at_the_parameters_of_the_step():
    """Continuation starts each walk from the guess at its first parameters (a homotopy's start),
    not at the model's own."""
    problem = Problem.build(walras.load(NEGATIVE).compile(), None)
    y = X[:, None]
    assert np.allclose(start_guess(problem, {"b": 4.0})("f", y), -np.sqrt(4 + X), atol=1e-15)
    assert np.allclose(start_guess(problem, {"b": 1.0})("f", y), -np.sqrt(1 + X), atol=1e-15)
    solution = walras.solve(NEGATIVE, method="collocation", degree=8, homotopy="b=4")
    assert solution.converged, solution.message
    assert np.abs(solution.evaluate({"x": X})["f"].values + np.sqrt(1 + X)).max() < 1e-8


def test_the_neural_networks_start_as_the_guess():
    """With no Adam step and no polish, each network is the guess itself (a correction to it,
    zero at first), everywhere, not only where it was fitted."""
    solution = walras.solve(NEGATIVE, method="neural", steps=0, polish=0)
    found = solution.evaluate({"x": X})["f"].values
    assert np.abs(found + np.sqrt(1 + X)).max() < 1e-14


@pytest.mark.slow
def test_the_neural_solve_keeps_the_branch_of_its_guess():
    """Fitted to the negative root, trained and polished, the networks stay on it (measured:
    within 3.1e-5 of −√(1 + x), 25 to 60 s on two shared cores)."""
    solution = walras.solve(NEGATIVE, method="neural", steps=300, polish=50)
    assert solution.converged, solution.message
    assert np.abs(solution.evaluate({"x": X})["f"].values + np.sqrt(1 + X)).max() < 1e-4


BOUNDED = """model bounded "a boundary at a parameter"
parameter rho = 0.05, kbar = 2
state k in [0.1*kbar, kbar]
shock Z
process k: drift = 0.01*k, vol[Z] = 0.1*k
unknown v(k)
equation hjb: rho*v = k + drift(v)
boundary at k = kbar: d(v, k) = 1/(rho - 0.01)
boundary at k = 0.1*kbar: d(v, k) = 1/(rho - 0.01)
"""


def test_boundary_positions_are_expressions_of_parameters():
    model = walras.load(BOUNDED).checked
    assert [(b.name, b.at) for b in model.boundaries] == [
        ("boundary_k_hi", 2.0),
        ("boundary_k_lo", pytest.approx(0.2)),
    ]
    assert [(b.at) for b in walras.load(BOUNDED, kbar=3).checked.boundaries] == [
        3.0,
        pytest.approx(0.3),
    ]
    inside = errors(BOUNDED.replace("k = kbar:", "k = 0.9*kbar:"))
    assert [(d.code, d.span.line, d.span.column, d.hint) for d in inside] == [
        ("E112", 8, 17, "the domain of 'k' is [0.2, 2]")
    ]
    assert [d.code for d in errors(BOUNDED.replace("k = kbar:", "k = rho*k:"))] == ["E120"]


def test_beyond_positions_are_expressions_of_parameters():
    text = (
        walras.api.resolve("lucas_disasters")
        .read_text()
        .replace("parameter rho = 0.05,", "parameter ylo = 0.5, rho = 0.05,")
        .replace("state y in [0.5, 2.0]", "state y in [ylo, 4*ylo]")
        .replace("beyond y < 0.5:", "beyond y < ylo:")
    )
    assert [(b.state, b.at) for b in walras.load(text).checked.beyond] == [("y", 0.5)]
    wrong = errors(text.replace("beyond y < ylo:", "beyond y < 2*ylo:"))
    assert [(d.code, d.hint) for d in wrong] == [("E128", "write 'beyond y < 0.5: ...'")]


def test_a_state_named_d_is_one_error():
    """`d` is the derivative operator: declaring it is E119, and its uses raise nothing more."""
    text = """model dd
state d in [0, 1]
shock Z
process d: drift = -d, vol[Z] = 0.1*d*(1 - d)
unknown v(d)
equation hjb: 0.05*v = d + drift(v)
boundary at d = 1: d(v, d) = 0
"""
    found = errors(text)
    assert [(d.code, d.span.line, d.message) for d in found] == [
        ("E119", 2, "'d' is the operator 'd(...)' and cannot be declared")
    ]
