"""Reading a model file: its text, or a coded error naming the file (and the place of the first
byte that is not UTF-8)."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import Diagnostic, EconError, Source, Span


def read_text(path: str | Path) -> str:
    """The text of a model file; a coded error when it cannot be read or is not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        what = (
            "is a folder, not a model file" if path.is_dir() else f"cannot be read ({e.strerror})"
        )
        raise EconError(
            [Diagnostic("E171", f"'{path}' {what}", None, "give the path of an .econ file")]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise EconError([_not_utf8(path, data, e)]) from None
    return text


def _not_utf8(path: Path, data: bytes, e: UnicodeDecodeError) -> Diagnostic:
    """The place of the first byte that is not UTF-8, shown in the text decoded leniently."""
    before = data[: e.start]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    text = data.decode("utf-8", "replace")
    shown = "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)
    source = Source(str(path), shown)
    return Diagnostic(
        "E170",
        f"'{path}' is not UTF-8 text: byte 0x{data[e.start]:02x} cannot be decoded",
        Span(line, column, line, column + 1, source),
        "save the file as UTF-8 (an .econ file is text; is this the right file?)",
    )
