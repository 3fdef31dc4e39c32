"""The on-disk caches, shared by the solvers, under one folder: $WALRAS_CACHE, else
~/.cache/walras (`docs/cache.md`).

- `jax/`: compiled XLA programs (JAX's persistent compilation cache): compiling goes.
- `export/`: functions exported with `jax.export` (StableHLO), by a key that names the model (a
  hash of its canonical text and parameter overrides), the function and its settings, the shapes
  of its inputs and the versions (walras and its source, JAX, jaxlib, Python): a second run of a
  model neither derives, nor traces, nor compiles them. Each entry carries its full key and a
  hash of its bytes; one whose key differs (stale) or whose bytes do not match (corrupt) is
  rebuilt and rewritten, never trusted. Writes are atomic (a temporary file, then `os.replace`).

When the folder cannot be written, solves run without these caches."""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Callable

import jax
import numpy as np

from ..folders import root
from ..folders import writable as _writable
from .store import digest as _digest
from .store import read, versions, write

log = logging.getLogger(__name__)
STATS: Counter = Counter()  # "hit", "miss" (built and written), "stale", "corrupt",
# "unwritable", "unexportable"


def persistent_cache() -> None:
    """Keep compiled XLA programs on disk between processes (unless a cache is already set)."""
    if jax.config.jax_compilation_cache_dir:
        return
    path = root() / "jax"
    if not _writable(path):
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


class Exported:
    """`fn`, jitted, exported on its first call per shape of its inputs and kept on disk under
    `key`; later calls (in this process or another) load it, so `fn` is neither traced nor
    compiled again. Inputs are a pytree of arrays; outputs of arrays in tuples, lists, dicts."""

    def __init__(self, fn: Callable, key: str):
        self.fn, self.key = fn, key
        self.calls: dict = {}

    def __call__(self, *args):
        leaves, tree = jax.tree.flatten(args)
        # host arrays go to the call as they are: jit's dispatch moves them (a device_put per
        # leaf here cost 15 times the call)
        leaves = [v if isinstance(v, jax.Array) else np.asarray(v) for v in leaves]
        shapes = tuple((v.shape, v.dtype) for v in leaves)
        call = self.calls.get((tree, shapes))
        if call is None:
            named = tuple((shape, str(dtype)) for shape, dtype in shapes)
            call = self.calls[tree, shapes] = self._load(tree, leaves, f"{self.key} {named}")
        return call(*leaves)

    def _load(self, tree, leaves, key: str) -> Callable:
        full = f"{key}\n{tree}\n{versions()}".encode()
        path = root() / "export" / f"{_digest(full).decode()}.bin"
        payload = read(path, full, STATS)
        if payload is not None:
            try:
                exported = jax.export.deserialize(payload)
                STATS["hit"] += 1
                log.info("cache hit: %s", key)
                return jax.jit(exported.call)
            except Exception:  # bytes that pass the hash but do not load: rebuilt below
                STATS["corrupt"] += 1
        specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in leaves]
        flat = jax.jit(lambda *v: self.fn(*jax.tree.unflatten(tree, v)))
        try:
            exported = jax.export.export(flat)(*specs)
            payload = exported.serialize()
        except Exception as e:  # a function JAX cannot export or serialize: run it unexported
            STATS["unexportable"] += 1
            log.info("not exported: %s (%s)", key, e)
            return flat
        STATS["miss"] += 1
        log.info("cache miss: %s", key)
        write(path, full, payload, STATS)
        return jax.jit(exported.call)


def call(fn: Callable, key: str | None, *args):
    """`fn(*args)` as one compiled function: exported under `key` (`exported`) when there is a
    key and the arrays are on one device, so a warm run neither traces nor derives it. Leaves
    that are not arrays (a network's activation) are held fixed and name the entry with the
    arrays' structure (`held`); where one of them is a function its name does not identify (a
    closure, the user's own code), the entry is not exported. Else `fn` jitted by equinox (one
    trace per `fn` and function held)."""
    leaves = jax.tree.leaves(args)
    if key and all(isinstance(v, jax.Array | np.ndarray | np.number) for v in leaves):
        if all(_one_device(v) for v in leaves):
            return exported(fn, key)(*args)
    import equinox as eqx  # (loaded when used: a warm collocation solve does without it)

    arrays, static = eqx.partition(args, eqx.is_array)
    named = held(static)
    if key and named and all(_one_device(v) for v in jax.tree.leaves(arrays)):
        return exported(lambda a: fn(*eqx.combine(a, static)), f"{key} {named}")(arrays)
    return eqx.filter_jit(fn)(*args)


LIBRARIES = ("walras", "jax", "jaxlib", "equinox")  # whose functions a name identifies: their
# versions (walras's source) are in every key


def held(tree) -> str | None:
    """A digest of what a function holds fixed, for its key: the structure of `tree`, the bytes
    of its arrays and its other leaves by value (numbers, text) or by name (`_named`); None where
    a leaf is a function its name does not identify."""
    leaves, structure = jax.tree.flatten(tree)
    parts = [str(structure).encode()]
    for v in leaves:
        name = np.asarray(v).tobytes() if isinstance(v, jax.Array | np.ndarray) else _named(v)
        if name is None:
            return None
        parts.append(name if isinstance(name, bytes) else name.encode())
    return _digest(b"\n".join(parts)).decode()[:16]


def _named(leaf) -> str | None:
    """A plain value by its value; a function or class of walras or a library of `LIBRARIES` by
    its module, qualified name and first line (lambdas of one module share a name); None for
    anything else: a closure, or the user's code, whose lambdas share a name and whose functions
    change between runs under the same one."""
    if isinstance(leaf, (int, float, complex, str, bytes, bool, type(None))):
        return repr(leaf)
    module = getattr(leaf, "__module__", None) or type(leaf).__module__
    if module.split(".")[0] not in LIBRARIES or getattr(leaf, "__closure__", None) is not None:
        return None
    code = getattr(leaf, "__code__", None)
    line = code.co_firstlineno if code is not None else ""
    return f"{module}.{getattr(leaf, '__qualname__', type(leaf).__name__)}:{line}"


def _one_device(leaf) -> bool:
    """A NumPy array or scalar (a two-piece solution's cut), or a JAX array on one device (what
    an exported function is made for)."""
    if isinstance(leaf, jax.Array):
        return len(leaf.sharding.device_set) == 1
    return isinstance(leaf, np.ndarray | np.number)


def compiled(fn: Callable, key: str | None) -> Callable:
    """`fn` exported under `key` (`exported`), or jitted where there is no key."""
    return exported(fn, key) if key else jax.jit(fn)


_EXPORTED: OrderedDict[str, Exported] = OrderedDict()
KEPT = 32  # the functions kept loaded in a process, the most recently used


def exported(fn: Callable, key: str) -> Exported:
    """The `Exported` of `key` in this process: loaded once, kept while among the KEPT most
    recently used (a homotopy calls one system's functions many times)."""
    if key not in _EXPORTED:
        _EXPORTED[key] = Exported(fn, key)
        if len(_EXPORTED) > KEPT:
            _EXPORTED.popitem(last=False)
    _EXPORTED.move_to_end(key)
    return _EXPORTED[key]
