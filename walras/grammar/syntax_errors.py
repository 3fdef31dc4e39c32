"""Syntax errors as diagnostics: lark's exception for the first error, the errors after it
(parsing resumes at the next statement), and what was expected, in the language's words."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic, Source, Span, did_you_mean

MAX_SYNTAX_ERRORS = 20


def syntax_errors(
    lark: Lark, text: str, first: UnexpectedInput, source: Source
) -> list[Diagnostic]:
    """The first error and those after it: parsing resumes at the next line that starts a
    statement, with the text before it blanked so that lines and columns stay exact."""
    found = [_diagnostic(lark, first, source)]
    lines = text.split("\n")
    words = _statement_words(lark)
    line = first.line  # 1-based line of the last error; the search resumes after it
    while len(found) < MAX_SYNTAX_ERRORS and line > 0:
        restart = next(
            (
                i
                for i in range(line, len(lines))
                if lines[i].split(None, 1)[:1] and lines[i].split(None, 1)[0] in words
            ),
            None,
        )
        if restart is None:
            break
        blanked = "\n" * restart + "\n".join(lines[restart:])
        try:
            lark.parse(blanked)
            break
        except UnexpectedInput as e:
            found.append(_diagnostic(lark, e, source))
            line = e.line
    return found


def _statement_words(lark: Lark) -> frozenset[str]:
    """The bare statement keywords (`let`, `state`, ...)."""
    return frozenset(k.strip("'") for k in _statement_keywords(lark))


_QUIET = ("SIDE", "EQUALITY")
_KINDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "CMP": "'<=' or '>='",
    "$END": "the end of the file",
}


def _describe(lark: Lark, terminal: str) -> str:
    if terminal in _KINDS:
        return _KINDS[terminal]
    short = terminal.split("__")[-1]
    if short in _KINDS:
        return _KINDS[short]
    for t in lark.terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return terminal.lower()


def _keyword_names(lark: Lark) -> list[str]:
    """Every keyword of the language (for "did you mean")."""
    return [
        t.pattern.value
        for t in lark.terminals
        if t.pattern.type == "str" and t.pattern.value.isidentifier()
    ]


@lru_cache(maxsize=1)
def _statement_keywords(lark: Lark) -> frozenset[str]:
    """The keywords that may start a statement, read off the parse table's start state."""
    table = lark.parser.parser.parser.parse_table
    first = table.states[table.start_states["start"]]
    terminals = {t.name for t in lark.terminals}
    return frozenset(_describe(lark, t) for t in first if t in terminals)


def _diagnostic(lark: Lark, e: UnexpectedInput, source: Source) -> Diagnostic:
    terminals = (
        (e.accepts or e.expected) if isinstance(e, UnexpectedToken) else getattr(e, "allowed", ())
    )
    # a comparison may follow any expression in parentheses: offering it everywhere is noise
    offered = {_describe(lark, t) for t in terminals or () if t.split("__")[-1] not in _QUIET}
    if "')'" in offered:
        offered.discard(_KINDS["CMP"])
    starts = _statement_keywords(lark)
    expected = (offered - starts) | {"a new statement"} if starts <= offered else offered
    expected = sorted(expected)
    want = (
        "expected "
        + (", ".join(expected[:-1]) + " or " + expected[-1] if len(expected) > 1 else expected[0])
        if expected
        else None
    )
    if isinstance(e, UnexpectedToken) and e.token.type != "$END":
        tok = e.token
        span = Span(tok.line, tok.column, tok.end_line, tok.end_column, source)
        hint = "write powers as 'x^2'" if str(tok) == "*" else None
        if tok.type.endswith("NAME"):
            keywords = [k for k in _keyword_names(lark) if f"'{k}'" in offered]
            hint = did_you_mean(str(tok), keywords)
        return Diagnostic("E001", f"unexpected '{tok}'" + (f"; {want}" if want else ""), span, hint)
    if isinstance(e, UnexpectedCharacters):
        span = Span(e.line, e.column, e.line, e.column + 1, source)
        char = e.char
        hint = "'#' starts a comment" if char in "%/" else _spelled(char)
        return Diagnostic(
            "E002", f"unexpected character '{char}'" + (f"; {want}" if want else ""), span, hint
        )
    lines = Source(source.name, source.text.rstrip()).lines
    span = Span(len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2, source)
    return Diagnostic(
        "E003",
        "unexpected end of file" + (f"; {want}" if want else ""),
        span,
        "a statement is incomplete",
    )


def _spelled(char: str) -> str | None:
    """How to write a letter the language does not read: a Greek letter by its name (γ as
    'gamma'), any other letter in ASCII; None for anything else."""
    if not char.isalpha() or char.isascii():
        return None
    words = unicodedata.name(char, "").split()
    if words[:1] == ["GREEK"] and "LETTER" in words:
        name = words[-1].capitalize() if "CAPITAL" in words else words[-1].lower()
        return f"names are ASCII letters, digits and '_': write '{name}' for '{char}'"
    return "names are ASCII letters, digits and '_'"
