"""The model library: `.econ` files (and their data) installed with the package."""

from __future__ import annotations

import os
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
    """A path to an existing file, or the bundled model of that name. A bare name (no folder
    separator) that is a folder here still names the bundled model; a folder given as a path is
    a coded error."""
    here, bundled = _kind(Path(target)), LIBRARY / f"{target}.econ"
    in_library = _kind(bundled) == "file"
    if here == "folder" and not (in_library and not _names_a_path(target)):
        hint = (
            f"for the library model, write '{Path(target).name}' alone"
            if _kind(LIBRARY / f"{Path(target).name}.econ") == "file"
            else _hint(target)
        )
        raise EconError(
            [Diagnostic("E171", f"'{target}' is a folder, not a model file", None, hint)]
        )
    if here == "file":
        return Path(target)
    if in_library:
        return bundled
    raise EconError(
        [Diagnostic("E130", f"no file or library model named '{target}'", None, _hint(target))]
    )


def _kind(path: Path) -> str | None:
    """'file', 'folder', or None (nothing there, or not a usable path)."""
    try:
        return "folder" if path.is_dir() else "file" if path.exists() else None
    except (OSError, ValueError):  # a name too long, or with a NUL character
        return None


def _names_a_path(target: str | Path) -> bool:
    return isinstance(target, Path) or "/" in target or os.sep in target


def _hint(target: str | Path) -> str:
    close = did_you_mean(Path(target).name, library())
    return close or f"give an .econ file or a library model: {', '.join(library())}"
