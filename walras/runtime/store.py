"""Entries of the cache folder (`docs/cache.md`), light (no JAX, no sympy): a payload kept
under the digest of its key, with the digests of its key and of its bytes, written atomically.
`runtime.cache` keeps exported functions this way; `load` and `save` keep Python objects (a
checked model, the outline of its derivation), so that a warm run neither checks nor derives.

An entry whose key differs (stale) or whose bytes do not match (corrupt) is never used: the
caller rebuilds it and writes it again. When the folder cannot be written, nothing is kept."""

from __future__ import annotations

import copyreg
import hashlib
import logging
import os
import pickle
import platform
import tempfile
from collections import Counter
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from .._version import __version__
from ..folders import root
from ..folders import writable as _writable

log = logging.getLogger(__name__)
T = TypeVar("T")
FORMAT = b"walras-export 1\n"  # the first line of every entry
STATS: Counter = Counter()  # of `load`: "hit", "miss" (built and saved), "stale", "corrupt",
# "unwritable"


def _proxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


copyreg.pickle(MappingProxyType, lambda m: (_proxy, (dict(m),)))  # in checked models


@cache
def versions() -> str:
    """walras (its version and a digest of its source), JAX, jaxlib, equinox and Python: a change
    of any makes every entry stale."""
    source = hashlib.sha256()
    package = Path(__file__).parents[1]
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.lark")):
        source.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return (
        f"walras {__version__} {source.hexdigest()[:16]}; jax {_version('jax')}; "
        f"jaxlib {_version('jaxlib')}; equinox {_version('equinox')}; "
        f"python {platform.python_version()}"
    )


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover
        return "none"


def load(kind: str, key: str):
    """The object saved as `kind` under `key` (with these versions), or None when there is none
    or it is stale or corrupt."""
    full = _full(kind, key)
    payload = read(_path(kind, full), full, STATS)
    if payload is None:
        return None
    try:
        value = pickle.loads(payload)
    except Exception:  # bytes that pass the hash but do not load: rebuilt by the caller
        STATS["corrupt"] += 1
        return None
    STATS["hit"] += 1
    log.info("cache hit: %s %s", kind, key)
    return value


def save(kind: str, key: str, value) -> None:
    """Keep `value` as `kind` under `key`; nothing when it cannot be pickled or written."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # an object that does not pickle: left out of the cache
        log.info("not kept: %s %s (%s)", kind, key, e)
        return
    STATS["miss"] += 1
    full = _full(kind, key)
    write(_path(kind, full), full, payload, STATS)


def kept(kind: str, key: str | None, build: Callable[[], T]) -> T:
    """The object saved as `kind` under `key`, else `build()`, saved there (without a key,
    `build()` alone)."""
    value = load(kind, key) if key else None
    if value is None:
        value = build()
        if key:
            save(kind, key, value)
    return value


def _full(kind: str, key: str) -> bytes:
    return f"{kind} {key}\n{versions()}".encode()


def _path(kind: str, full: bytes) -> Path:
    return root() / kind / f"{digest(full).decode()}.bin"


def read(path: Path, full: bytes, stats: Counter) -> bytes | None:
    """An entry's payload, or None when it is missing, stale (another key) or corrupt."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    lines = data.split(b"\n", 3)
    if len(lines) < 4 or lines[0] + b"\n" != FORMAT:
        stats["corrupt"] += 1
        return None
    if lines[1] != digest(full):
        stats["stale"] += 1
        return None
    if lines[2] != digest(lines[3]):
        stats["corrupt"] += 1
        return None
    return lines[3]


def write(path: Path, full: bytes, payload: bytes, stats: Counter) -> None:
    """The entry (format line, key digest, payload digest, payload), atomically; nothing when
    the folder cannot be written."""
    if not _writable(path.parent):
        stats["unwritable"] += 1
        return
    data = b"\n".join([FORMAT.rstrip(), digest(full), digest(payload), payload])
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        stats["unwritable"] += 1
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).hexdigest().encode()
