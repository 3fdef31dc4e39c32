"""Diagnostics: exact messages (code, line, column, caret, suggestion) for broken files, every
error of a file in one run, and no traceback for any mutation of the library models."""

import math
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import walras
from walras.api import LIBRARY
from walras.grammar import EconError, parse

GOOD = textwrap.dedent("""\
    model m "a small model"
    parameter a = 0.1, b = 2
    state x in [0, 1]
    shock Z
    process x: drift = a*x, vol[Z] = b*x
    unknown f(x) > 0
    let g = f*x
    equation e: drift(g) = a*g  boundary at x = 1: d(f, x) = 0
    """)


def errors(text: str) -> list:
    with pytest.raises(EconError) as info:
        walras.load(text).compile()
    return [d for d in info.value.diagnostics if d.severity == "error"]


def render(text: str) -> str:
    with pytest.raises(EconError) as info:
        walras.load(text).compile()
    return str(info.value)


def test_good_model_has_no_diagnostics():
    model = walras.load(GOOD)
    model.compile()
    assert model.warnings == ()


def test_misspelt_keyword_renders_with_caret_and_suggestion():
    assert render(GOOD.replace("parameter", "paramter")) == textwrap.dedent("""\
        error[E001]: unexpected 'paramter'; expected a new statement or the end of the file
          --> <input>:2:1
           |
         2 | paramter a = 0.1, b = 2
           | ^^^^^^^^
          = help: did you mean 'parameter'?

        1 error found""")


def test_syntax_error_lists_what_was_expected():
    (d,) = errors(GOOD.replace("state x in [0, 1]", "state x in [0 1]"))
    assert (d.code, d.span.line, d.span.column) == ("E001", 3, 15)
    assert d.message == "unexpected '1'; expected '*', '+', ',', '-', '/' or '^'"


def test_undeclared_name_with_suggestion():
    (d,) = errors(GOOD.replace("let g = f*x", "let g = f*xx"))
    assert (d.code, d.message, d.span.line, d.span.column, d.hint) == (
        "E101",
        "undeclared name 'xx'",
        7,
        11,
        "did you mean 'x'?",
    )
    assert render(GOOD.replace("let g = f*x", "let g = f*xx")).splitlines()[1:5] == [
        "  --> <input>:7:11",
        "   |",
        " 7 | let g = f*xx",
        "   |           ^^",
    ]


def test_double_declaration_names_the_first():
    (d,) = errors(GOOD + "let a = 3\n")
    assert (d.code, d.message, d.span.line) == ("E102", "'a' is declared twice", 9)
    assert d.notes == ("first declared as a parameter at line 2",)


def test_unknown_of_a_non_state():
    (d,) = errors(GOOD.replace("unknown f(x) > 0", "unknown f(x, a) > 0"))
    assert (d.code, d.span.line, d.span.column) == ("E103", 6, 14)
    assert d.message == "unknown 'f' depends on 'a', which is a parameter, not a state"


def test_process_for_undeclared_state():
    ds = errors(GOOD.replace("process x:", "process xs:"))
    assert [(d.code, d.message, d.span.line, d.span.column, d.hint) for d in ds] == [
        ("E106", "state 'x' has no process", 3, 1, "add 'process x: drift = ..., vol[...] = ...'"),
        ("E104", "process for undeclared state 'xs'", 5, 9, "did you mean 'x'?"),
    ]


def test_vol_of_undeclared_shock():
    (d,) = errors(GOOD.replace("vol[Z]", "vol[Zz]"))
    assert (d.code, d.message, d.span.line, d.span.column, d.hint) == (
        "E105",
        "vol[Zz] names an undeclared shock",
        5,
        29,
        "did you mean 'Z'?",
    )


def test_equation_count():
    (d,) = errors(GOOD + "equation e2: f = 1\n")
    assert (d.code, d.message) == ("E107", "2 equations for 1 unknown function")
    assert d.notes == ("unknowns: f", "equations: e, e2")


def test_unused_parameter_is_a_warning():
    model = walras.load(GOOD.replace("parameter a = 0.1, b = 2", "parameter a = 0.1, b = 2, c = 3"))
    model.compile()
    (w,) = model.warnings
    assert (w.code, w.message, w.span.line, w.span.column) == (
        "W108",
        "parameter 'c' is never used",
        2,
        27,
    )


def test_nonlinear_cycle_names_every_member_and_line():
    text = GOOD.replace("let g = f*x", "let g = f*x*h\nlet h = vol(f, Z)*g + 1").replace(
        "vol[Z] = b*x", "vol[Z] = b*x*g"
    )
    (d,) = errors(text)
    assert d.code == "E109"
    assert "not linear" in d.message
    assert sorted(d.notes) == ["'g' at line 7", "'h' at line 8", "'vol[Z] of x' at line 5"]


def test_linear_cycle_is_solved_not_reported():
    text = GOOD.replace("let g = f*x", "let g = f*x + h/2\nlet h = vol(f, Z) + g/3")
    walras.load(text).compile()


def test_all_errors_reported_at_once():
    text = GOOD.replace("let g = f*x", "let g = ff*x").replace("vol[Z]", "vol[W]") + "let a = 1\n"
    codes = sorted(d.code for d in errors(text))
    assert codes == ["E101", "E102", "E105"]


def test_unknown_function_suggestion():
    (d,) = errors(GOOD.replace("let g = f*x", "let g = exq(f)*x"))
    assert (d.code, d.message, d.hint) == ("E111", "unknown function 'exq'", "did you mean 'exp'?")


def test_boundary_must_be_at_an_edge():
    (d,) = errors(GOOD + "boundary at x = 0.5: f = 1\n")
    assert (d.code, d.hint) == ("E112", "the domain of 'x' is [0, 1]")


def test_unknown_solver_setting():
    (d,) = errors(GOOD + "solver stesp = 10\n")
    assert (d.code, d.message, d.hint) == (
        "E115",
        "unknown solver setting 'stesp'",
        "did you mean 'steps'?",
    )


def test_misspelt_parameter_override():
    with pytest.raises(EconError) as info:
        walras.load("lucas").with_params(gamm=3)
    assert info.value.diagnostics[0].hint == "did you mean 'gamma'?"


DERIVED = """model m
parameter gamma = 2, sigma = 0.015
parameter level = sigma*sqrt(gamma)
parameter top = log(level) + 1
state s in [-3, top]
shock Z
process s: drift = -s, vol[Z] = sigma
unknown p(s) > 0
equation e: drift(p) + 1 = p
"""


def test_parameters_defined_from_an_overridden_one_follow_it():
    """Setting gamma moves the parameters written from it, and the state's domain with them;
    setting a derived parameter itself replaces its expression."""
    model = walras.load(DERIVED).with_params(gamma=3, sigma=0.02)
    params = model.compile().params
    assert math.isclose(params["level"], 0.02 * math.sqrt(3), rel_tol=1e-15)
    assert math.isclose(params["top"], math.log(0.02 * math.sqrt(3)) + 1, rel_tol=1e-15)
    assert math.isclose(model.checked.states[0].hi, params["top"], rel_tol=1e-15)
    pinned = walras.load(DERIVED).with_params(level=0.05).compile().params
    assert pinned["level"] == 0.05 and math.isclose(pinned["top"], math.log(0.05) + 1)


def test_unexpected_end_of_file():
    (d,) = errors("model m\nlet a = (1 + 2")
    assert (d.code, d.span.line, d.span.column) == ("E003", 2, 15)
    assert d.message == "unexpected end of file; expected ')'"


# --- mutations never give a traceback --------------------------------------------------------

SOURCES = [p.read_text() for p in sorted(LIBRARY.glob("*.econ"))]
TOKENS = [
    "x",
    "(",
    ")",
    "=",
    ",",
    ":",
    "^",
    "*",
    "perp",
    "<=",
    "let",
    "unknown",
    "vol",
    "drift",
    "d",
    "[",
    "]",
    "1e400",
    "0",
    "-",
    "gamma",
    "eta",
    "Z",
    '"',
    "state",
    "process",
    "\n",
]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 12)))
        text = text[:i] + draw(st.sampled_from(["", " "] + TOKENS)) + text[j:]
    return text


# 30 mutations (about 0.8 s each: most compile): the suite's time on two cores
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_raise_anything_but_econ_error(text):
    try:
        module = parse(text, "mutated.econ")
        if any(type(s).__name__ == "FactorModelDecl" for s in module.statements):
            return  # factor specifications are checked by their own path
        walras.load(text).compile()
    except EconError as e:
        assert str(e)  # renders


def test_every_syntax_error_of_a_file_is_reported():
    text = (
        GOOD.replace("parameter a = 0.1, b = 2", "parameter a = 0.1 0.2, b = 2")
        .replace("let g = f*x", "let g = f*/x")
        .replace("equation e:", "equation e")
    )
    with pytest.raises(EconError) as info:
        parse(text, "broken.econ")
    assert [(d.code, d.span.line, d.span.column) for d in info.value.diagnostics] == [
        ("E001", 2, 19),
        ("E001", 7, 11),
        ("E001", 8, 12),
    ]
