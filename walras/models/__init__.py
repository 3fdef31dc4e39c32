"""The model library: `.econ` files (and their data) installed with the package."""

from __future__ import annotations

import re
from pathlib import Path

from ..grammar.diagnostics import Diagnostic, EconError, did_you_mean

LIBRARY = Path(__file__).parent


def library() -> list[str]:
    """Names of the bundled models."""
    return sorted(p.stem for p in LIBRARY.glob("*.econ"))


TITLE = re.compile(r'^\s*(?:model|factor_model)\s+\w+\s+"([^"]*)"', re.MULTILINE)


def title(name: str) -> str:
    """The title of a bundled model: the string of its first `model` or `factor_model` line."""
    found = TITLE.search((LIBRARY / f"{name}.econ").read_text(encoding="utf-8"))
    return found.group(1) if found else ""


def resolve(target: str | Path) -> Path:
    """A path to an existing file, or the bundled model of that name."""
    path = Path(target)
    if path.exists():
        return path
    bundled = LIBRARY / f"{target}.econ"
    if bundled.exists():
        return bundled
    hint = did_you_mean(str(target), library()) or f"library models: {', '.join(library())}"
    raise EconError([Diagnostic("E130", f"no file or library model named '{target}'", None, hint)])
