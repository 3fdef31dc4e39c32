"""Fuzzing the front end: random bytes, random Unicode text, long and deep expressions and mutated
library models, through `walras check` (in process) and `walras.load(...).checked`. Every input
ends with exit code 0 (it happens to be valid) or 1 with a coded message, never a traceback, each
in bounded time."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import walras
from walras.api import LIBRARY
from walras.cli import app
from walras.grammar import EconError

runner = CliRunner()
SOURCES = [
    p.read_text() for p in sorted(LIBRARY.glob("*.econ")) if "factor_model" not in p.read_text()
]
TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:e[-+]?\d+)?|\S")
EXTRA = ["(", ")", "[", "]", ",", ":", "=", "*", "^", "/", "-", "1e400", "0", "in", "perp", "<="]
FUZZ = settings(
    max_examples=12,
    deadline=60_000,  # ms per example (checking includes the symbolic stage; a shared CPU)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_file(tmp_path, data: bytes, name: str = "fuzz.econ") -> None:
    """`walras check` of a file: exit 0, or exit 1 with a coded error; never a traceback."""
    path = tmp_path / name
    path.write_bytes(data)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    if result.exit_code == 1:
        assert re.search(r"error\[[EF]\d{3}\]", result.output), result.output


def check_text(text: str) -> None:
    """`walras.load(text).checked`: a model, or an EconError that renders with a code."""
    try:
        walras.load(text if "\n" in text else text + "\n").checked  # noqa: B018
    except EconError as e:
        assert re.search(r"error\[[EF]\d{3}\]", str(e))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    check_file(tmp_path, data)


@FUZZ
@given(st.text(max_size=300))
def test_random_unicode(tmp_path, text):
    check_file(tmp_path, text.encode("utf-8"))
    check_text(text)


def expressions(depth: int):
    leaves = st.sampled_from(["pd", "y", "mu", "2", "0.5", "sigma"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(["exp", "log", "sqrt", "abs", "-"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
        ),
        max_leaves=depth,
    )


LUCAS = (LIBRARY / "lucas.econ").read_text()


@FUZZ
@given(expressions(60), st.integers(0, 400), st.sampled_from(["*(1 + y", "*(y", "+ exp(y"]))
def test_long_and_deep_expressions(tmp_path, expr, repeat, step):
    nested = "pd" + step * repeat + ")" * repeat
    text = LUCAS.replace(
        "equation stock_euler: mu_q + 1/pd - r",
        f"let e1 = {expr}\nlet e2 = {nested}\nequation stock_euler: mu_q + 1/pd - r + 1e-300*e1*e2",
    )
    check_file(tmp_path, text.encode())


@st.composite
def mutated(draw):
    """A library model with a few tokens deleted, inserted, replaced or swapped."""
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        words = TOKEN.findall(text)
        spans = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
        i = draw(st.integers(0, len(spans) - 1))
        a, b = spans[i]
        kind = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        new = draw(st.sampled_from(words + EXTRA))
        if kind == "delete":
            text = text[:a] + text[b:]
        elif kind == "insert":
            text = text[:a] + new + " " + text[a:]
        elif kind == "replace":
            text = text[:a] + new + text[b:]
        elif i + 1 < len(spans):
            c, d = spans[i + 1]
            text = text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    return text


@FUZZ
@given(mutated())
def test_mutated_library_models(tmp_path, text):
    check_file(tmp_path, text.encode())
    check_text(text)
