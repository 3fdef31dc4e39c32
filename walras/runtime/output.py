"""Safe writes of results and checkpoints: never over a file of another kind (a model, a
checkpoint, data), through symbolic links to their targets, atomically (a temporary file beside
the target, then a rename), with the permissions of the file replaced or, for a new file, those
the umask allows."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..grammar.diagnostics import Diagnostic, EconError

HDF5 = b"\x89HDF\r\n\x1a\n"  # NetCDF-4 files are HDF5 files
NETCDF3 = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
ZIP = b"PK\x03\x04"  # checkpoints are .npz archives


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)


def is_results(path: Path) -> bool:
    """Whether `path` is empty or a NetCDF file (version 3 or 4)."""
    head = _head(path)
    return not head or head == HDF5 or head[:4] in NETCDF3


def is_checkpoint(path: Path) -> bool:
    """Whether `path` is empty or a zip archive, whole or cut short (a checkpoint is one)."""
    return _head(path)[:4] in (b"", ZIP)


KINDS = {"results": is_results, "checkpoint": is_checkpoint}


def check_target(path: str | Path, kind: str = "results") -> Path:
    """The file a write to `path` replaces (a link's target); refuses a folder and an existing
    file of another kind (E180), and a folder that cannot be written (PermissionError)."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        _refuse(path, "it is a folder", f"give a file name, such as {Path(path) / 'out.nc'}")
    if target.exists() and not KINDS[kind](target):
        _refuse(
            path,
            f"it is not a {kind} file and would be lost",
            "choose another output name (results are NetCDF, usually NAME.nc)",
        )
    folder = next(p for p in [target.parent, *target.parents] if p.exists())
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"the folder {folder} cannot be written")
    return target


def _refuse(path, why: str, hint: str) -> None:
    raise EconError([Diagnostic("E180", f"refusing to write over {path}: {why}", None, hint)])


def write_atomic(path: str | Path, write: Callable[[str], None], kind: str = "results") -> Path:
    """`write(temporary path)`, then rename it over the target of `path`; returns the target."""
    target = check_target(path, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def beside(path: str | Path, tag: str) -> Path:
    """NAME.TAG.EXT next to NAME.EXT: where results that must not replace others go."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{tag}{path.suffix or '.nc'}")
