"""Diagnostics: source spans, error codes, caret rendering and "did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A named piece of `.econ` text."""

    name: str
    text: str

    @property
    def lines(self) -> list[str]:
        """The lines as the parser counts them: ended by a newline only (not by the other
        characters `str.splitlines` takes for line ends)."""
        return [line.removesuffix("\r") for line in self.text.split("\n")]

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""


@dataclass(frozen=True)
class Span:
    """A region of a source: 1-based line and column of its start and end."""

    line: int
    column: int
    end_line: int
    end_column: int
    source: Source | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        name = self.source.name if self.source else "<input>"
        return f"{name}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One message for the user: an error or a warning, with a code and a place."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    def render(self) -> str:
        out = [f"{self.severity}[{self.code}]: {self.message}"]
        if self.span is not None:
            out.append(f"  --> {self.span}")
            if self.span.source is not None:
                out.extend(_excerpt(self.span))
        out.extend(f"  = note: {n}" for n in self.notes)
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)


TAB = 4  # columns a tab takes in an excerpt


def _excerpt(span: Span) -> list[str]:
    """The span's first line, tabs shown as spaces, with carets under the span."""
    text = span.source.line(span.line)
    end = span.end_column if span.end_line == span.line else len(text) + 1

    def shown(column: int) -> int:  # where a column of the text falls on the shown line
        return len(text[: column - 1].expandtabs(TAB))

    start, stop = shown(span.column), shown(end)
    carets = "^" * max(1, stop - start)
    pad = " " * len(str(span.line))
    return [
        f" {pad} |",
        f" {span.line} | {text.expandtabs(TAB)}",
        f" {pad} | {' ' * start}{carets}",
    ]


class EconError(Exception):
    """Raised with every diagnostic of a file at once; `str()` is the rendered report."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(
            sorted(diagnostics, key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
        )
        super().__init__(self.render())

    def render(self) -> str:
        errors = [d for d in self.diagnostics if d.severity == "error"]
        body = "\n\n".join(d.render() for d in self.diagnostics)
        return f"{body}\n\n{len(errors)} error{'s' if len(errors) != 1 else ''} found"


class Collector:
    """Gathers diagnostics during a pass; `raise_if_errors` ends the pass with all of them."""

    def __init__(self):
        self.items: list[Diagnostic] = []

    def error(
        self,
        code: str,
        message: str,
        span: Span | None = None,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.items.append(Diagnostic(code, message, span, hint, notes))

    warn = error  # the code's first letter (E or W) decides the severity

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise EconError(self.items)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint when a candidate is close to `name`."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
