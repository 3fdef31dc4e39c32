"""The on-disk cache of exported functions (`runtime.cache`): a second solve loads what the first
exported, with the same numbers; stale and corrupt entries are rebuilt; an unwritable cache
folder means no cache, not a failure."""

import logging
import re
import shutil
from collections import OrderedDict

import jax
import numpy as np
import pytest
from references import lucas_pd

import walras
from walras.cli import main
from walras.compiler import checks, symbolic
from walras.runtime import cache, store
from walras.runtime.solvers.neural import estimate, polish


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache folder, nothing exported in this process yet, counters at zero."""
    monkeypatch.setenv("WALRAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_EXPORTED", OrderedDict())
    cache.STATS.clear()
    return tmp_path / "cache" / "export"


def _solve():
    """lucas by collocation, in a new process's state: nothing kept in memory from before."""
    cache._EXPORTED.clear()
    return walras.solve("lucas", method="collocation", degree=8).dataset["pd"].values


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """`_solve` once for the module, into an empty cache folder: the folder, the number of
    functions it exported (each built, none loaded) and its price-dividend ratio."""
    folder = tmp_path_factory.mktemp("cold") / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WALRAS_CACHE", str(folder))
        patch.setattr(cache, "_EXPORTED", OrderedDict())
        cache.STATS.clear()
        pd = _solve()
        built = cache.STATS["miss"]
        assert built > 0 and cache.STATS["hit"] == 0
        assert len(list((folder / "export").iterdir())) == built
    cache.STATS.clear()
    return folder, built, pd


def _after(cold, fresh) -> tuple[int, np.ndarray]:
    """The cold solve's cache folder copied into `fresh`'s: its count of functions and pd."""
    folder, built, pd = cold
    shutil.copytree(folder, fresh.parent)
    return built, pd


def _underived(monkeypatch):
    """Checking or deriving a model from here on fails the test."""

    def refused(*args, **kwargs):
        raise AssertionError("a warm solve checked or derived the model")

    monkeypatch.setattr(checks, "check", refused)
    monkeypatch.setattr(symbolic, "build", refused)


def test_second_solve_loads_the_exported_functions(cold, fresh, monkeypatch):
    """The second solve loads every function it runs, and neither checks nor derives the model
    (the checked model and the outline of its derivation are read back: `runtime.store`)."""
    built, first = _after(cold, fresh)
    _underived(monkeypatch)
    second = _solve()
    assert cache.STATS["hit"] == built and cache.STATS["miss"] == 0
    assert np.max(np.abs(second - first)) <= 1e-14 * lucas_pd()
    assert np.max(np.abs(second - lucas_pd())) < 1e-12 * lucas_pd()  # the closed form
    monkeypatch.undo()
    # the functions as traced in this process, not exported, give the same numbers
    unexported = walras.load("lucas").compile()
    object.__setattr__(unexported, "key", None)
    plain = walras.runtime.solvers.solve(
        unexported, walras.Settings().replace(degree=8, method="collocation")
    )
    assert np.max(np.abs(plain.dataset["pd"].values - second)) <= 1e-14 * lucas_pd()


# settings read on the host alone ("host"), changed: not part of the exported functions' names
HOST = dict(steps=150, lr=2e-3, lr_final=1e-6, polish=12, tol=1e-9, tol_error=1e-3, grid=51)


def _neural(key: bool = True, **changes):
    """lucas by the neural solver on a small budget, in a new process's state; with `key`
    False, the model has no cache key, so nothing is exported."""
    cache._EXPORTED.clear()
    compiled = walras.load("lucas").compile()
    if not key:
        object.__setattr__(compiled, "key", None)
    settings = walras.Settings().replace(
        **{"method": "neural", "steps": 100, "polish": 10, **changes}
    )
    return walras.runtime.solvers.solve(compiled, settings)


def _same_solve(one, other):
    np.testing.assert_allclose(other.history, one.history, rtol=1e-9)
    assert other.validation == pytest.approx(one.validation, rel=1e-6)
    assert other.errors == pytest.approx(one.errors, rel=1e-6)


def test_a_second_neural_solve_loads_its_exported_functions(fresh):
    """The neural solver's Adam steps, its polishes (the offsets', then every weight's), the
    validation and the error estimate are exported: a second solve loads each of them and gives
    the first's losses, validation and estimate; a third with other steps, learning rates,
    polish iterations and tolerances (read on the host alone) loads them too, and its
    price-dividend ratio is the closed form's within its estimate."""
    first = _neural()
    built = cache.STATS["miss"]
    assert built >= 7 and cache.STATS["hit"] == 0 and len(list(fresh.iterdir())) == built
    second = _neural()
    assert cache.STATS["hit"] == built and cache.STATS["miss"] == built
    _same_solve(first, second)
    third = _neural(**HOST)
    assert cache.STATS["hit"] == 2 * built and cache.STATS["miss"] == built
    assert len(third.history) > len(first.history)
    pd = third.dataset["pd"].values
    assert np.max(np.abs(pd - lucas_pd())) <= 2 * third.errors["pd"] * np.max(np.abs(pd))


def _compiled_names(run) -> list[str]:
    """The names of the programs JAX compiles (or reads from its cache) while `run()` runs."""
    names = []
    handler = logging.Handler()
    handler.emit = lambda record: names.extend(
        re.findall(r"^Compiling jit\((\w+)\)", record.getMessage())
    )
    logging.getLogger("jax").addHandler(handler)
    try:
        with jax.log_compiles():
            run()
    finally:
        logging.getLogger("jax").removeHandler(handler)
    return names


@pytest.mark.parametrize("dense", [True, False])
def test_a_warm_neural_solve_compiles_only_its_steps(dense, fresh, monkeypatch):
    """On a warm start the neural solver's host work (the fixed points, the faces, the initial
    weights, the flat vector of the weights) compiles nothing: besides the exported functions
    (`call`), only the keys' split, Adam's initial state and its learning rates, one program
    each. Before, some 75 eager operations were each lowered and looked up in the compilation
    cache (a second of brusan_log's warm start). The same with the polish and the estimate on
    Jacobian-vector products (a dense Jacobian too large: the eleven agents' path), where the
    first cost of the polish ran op by op and the estimate's products were traced anew in
    every process (brusan_log that way, warm: 212 programs and 20 s, now 12 and 5.4 s)."""
    if not dense:
        monkeypatch.setattr(polish, "DENSE_BYTES", 0)
        monkeypatch.setattr(estimate, "DENSE_BYTES", 0)
        monkeypatch.setattr(estimate, "MOST_POINTS", 0)  # at the polish's points: what is
        # compiled is the question here, not the products' cost at twice as many rows as weights
    _neural()
    jax.clear_caches()  # as in a new process
    names = _compiled_names(_neural)
    assert "call" in names
    assert set(names) - {"call"} <= {"split", "init_fn", "schedule"}, names
    assert len(names) - names.count("call") <= 6, names


def test_initial_weights_are_equinoxs_and_kept(fresh):
    """A network's initial weights are equinox's (the last layer scaled, or zero for a
    correction to a guess), built once and read back from the cache folder after, compiling
    nothing."""
    import equinox as eqx

    from walras.runtime.solvers.neural.networks import initial_mlp

    key = jax.random.PRNGKey(3)
    peer = eqx.nn.MLP(2, 1, 8, 2, jax.numpy.tanh, key=key, dtype=jax.numpy.float64)
    store.STATS.clear()
    for last in (0.1, None):
        expected = [np.asarray(v) for v in jax.tree.leaves(eqx.filter(peer, eqx.is_array))]
        # the last layer's weight and bias
        expected[-2:] = (
            [expected[-2] * last, expected[-1]] if last else [0 * v for v in expected[-2:]]
        )
        for _ in range(2):
            made = []
            names = _compiled_names(lambda: made.append(initial_mlp(key, 2, 1, 8, 2, "tanh", last)))
            got = [np.asarray(v) for v in jax.tree.leaves(eqx.filter(made[0], eqx.is_array))]
            assert len(got) == len(expected)
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_array_equal(g, e)
        assert names == []  # the second time, read back
    assert store.STATS["miss"] == store.STATS["hit"] == 2


@pytest.mark.slow
def test_a_neural_solve_that_exports_nothing_gives_the_same_numbers(fresh):
    """The exported functions are the traced ones: a solve of a model without a cache key
    (nothing exported) gives the same losses, validation and estimate."""
    exported = _neural()
    built = cache.STATS["miss"]
    _same_solve(exported, _neural(key=False))
    assert cache.STATS["miss"] == built


def _modules(folder) -> dict[str, str]:
    """Each exported function in `folder` by entry: its StableHLO without source locations
    (they name the callers)."""
    out = {}
    for p in folder.iterdir():
        text = jax.export.deserialize(p.read_bytes().split(b"\n", 3)[3]).mlir_module()
        lines = [line for line in text.splitlines() if not line.startswith("#loc")]
        out[p.name] = "\n".join(re.sub(r" loc\(#loc\d*\)", "", line) for line in lines)
    return out


@pytest.mark.slow
def test_settings_read_on_the_host_leave_the_exported_functions_as_they_are(fresh, monkeypatch):
    """Traced afresh with the settings marked "host" changed, every exported function is the
    same program under the same name: loading it in their place is exact."""
    _neural()
    other = fresh.parent / "other"
    monkeypatch.setenv("WALRAS_CACHE", str(other))
    _neural(**HOST)
    before, after = _modules(fresh), _modules(other / "export")
    assert len(before) >= 7 and after == before


def _entries(folder):
    return sorted(folder.iterdir())


DAMAGE = {
    "corrupt": (
        lambda data, other: data[: len(data) // 2],  # truncated
        lambda data, other: data[:-100] + bytes(b ^ 0xFF for b in data[-100:]),  # bad bytes
    ),
    "stale": (lambda data, other: other,),  # a valid entry, of another function, under this key
}


def test_damaged_entries_are_rebuilt(cold, fresh):
    _, reference = _after(cold, fresh)
    entries = _entries(fresh)
    damages = [(kind, f) for kind, fs in DAMAGE.items() for f in fs]
    assert len(entries) >= len(damages)
    good = [p.read_bytes() for p in entries]
    damaged = {}
    for i, p in enumerate(entries):
        kind, damage = damages[i % len(damages)]
        damaged[p] = damage(good[i], good[(i + 1) % len(entries)])
        p.write_bytes(damaged[p])
    cache.STATS.clear()
    again = _solve()
    kinds = [damages[i % len(damages)][0] for i in range(len(entries))]
    assert cache.STATS["stale"] == kinds.count("stale") > 0
    assert cache.STATS["corrupt"] == kinds.count("corrupt") > 0 and cache.STATS["hit"] == 0
    assert np.max(np.abs(again - reference)) <= 1e-14 * lucas_pd()
    assert all(p.read_bytes() != damaged[p] for p in entries)  # rewritten
    cache.STATS.clear()
    _solve()
    assert cache.STATS["hit"] == len(entries) and cache.STATS["miss"] == 0


def test_an_unwritable_cache_folder_means_no_cache(tmp_path, monkeypatch, capsys):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("WALRAS_CACHE", str(blocked / "cache"))
    monkeypatch.setattr(cache, "_EXPORTED", OrderedDict())
    cache.STATS.clear()
    code = main(["solve", "lucas", "--method", "collocation", "--degree", "8", "-q"])
    captured = capsys.readouterr()
    assert code == 0 and "Traceback" not in captured.err + captured.out
    assert "converged" in captured.out
    assert cache.STATS["unwritable"] == cache.STATS["miss"] > 0 and cache.STATS["hit"] == 0


def test_the_key_reads_the_model_not_its_layout():
    """Comments and layout leave the key as it is; a parameter's value, in the file or given,
    changes it."""
    from walras.models import resolve

    text = resolve("lucas").read_text()
    key = walras.load(text + "\n").key
    assert walras.load("# a comment\n" + text.replace("\n", "\n\n") + "\n").key == key
    changed = re.sub(r"gamma\s*=\s*5(\.0)?", "gamma = 4", text, count=1)
    assert changed != text and walras.load(changed + "\n").key != key
    assert walras.load(text + "\n", gamma=4.0).key not in (key, walras.load(changed + "\n").key)


def test_a_setting_or_a_version_names_other_entries(cold, fresh, monkeypatch):
    """Another degree is another system (new entries); another version of walras, JAX or the
    backend names other entries: none of the old ones is loaded, and the numbers are the same."""
    built, reference = _after(cold, fresh)
    cache._EXPORTED.clear()
    walras.solve("lucas", method="collocation", degree=9)
    assert cache.STATS["miss"] > 0 and cache.STATS["hit"] < built
    monkeypatch.setattr(cache, "versions", lambda: "another version")
    cache.STATS.clear()
    again = _solve()
    assert cache.STATS["hit"] == 0 and cache.STATS["miss"] == built
    assert np.max(np.abs(again - reference)) <= 1e-14 * lucas_pd()


def test_the_parse_tables_are_kept_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    """The parser's tables go to the cache folder; a damaged file is rebuilt, never used."""
    from walras.grammar import parser
    from walras.models import resolve

    monkeypatch.setenv("WALRAS_CACHE", str(tmp_path))
    text = resolve("lucas").read_text()
    expected = parser.parse(text)
    parser._lark.cache_clear()
    try:
        assert parser.parse(text) == expected
        (tables,) = (tmp_path / "grammar").iterdir()
        good = tables.read_bytes()
        damaged = good[: len(good) // 2]
        tables.write_bytes(damaged)
        parser._lark.cache_clear()
        assert parser.parse(text) == expected
        assert len(tables.read_bytes()) > len(damaged)  # written again, whole
    finally:
        parser._lark.cache_clear()


def test_parsed_models_are_kept_and_a_warm_load_needs_no_parser(fresh):
    """A model parsed once is read back (the same syntax tree, its places into the text), by a
    process that then never imports lark; a damaged entry is parsed again, and text with a
    syntax error is reported as before and kept nowhere."""
    import subprocess
    import sys

    from walras.grammar import EconError, parser

    model = walras.load("lucas")
    (entry,) = (fresh.parent / "parsed").iterdir()
    code = (
        "import sys, walras; m = walras.load('lucas'); lark = 'lark' in sys.modules; "
        "print(m.module == walras.grammar.parse(m.module.source.text, m.module.source.name), lark)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "False"], done.stderr
    entry.write_bytes(entry.read_bytes()[:-10])
    store.STATS.clear()
    assert walras.load("lucas").module == model.module and store.STATS["corrupt"] == 1
    for _ in range(2):
        with pytest.raises(EconError, match="E001"):
            walras.load(model.module.source.text.replace("shock Z", "shock Z Z"))
    assert len(list((fresh.parent / "parsed").iterdir())) == 1
    assert parser.parse(model.module.source.text, model.module.source.name) == model.module


@pytest.mark.slow
def test_a_warm_process_gives_the_cold_numbers(tmp_path):
    """Whole processes: a second `walras solve` (warm: every compiled function loaded from the
    cache) writes what the first (cold) wrote, to 1e-14, without importing sympy, the checks or
    equinox, and tracing nothing but the calls of exported functions (`JAX_LOG_COMPILES`)."""
    import os
    import subprocess
    import sys

    import xarray as xr

    env = {**os.environ, "WALRAS_CACHE": str(tmp_path / "cache"), "JAX_LOG_COMPILES": "1"}
    values = []
    for name in ("cold", "warm"):
        out = tmp_path / f"{name}.nc"
        command = ["solve", "lucas", "--method", "collocation", "--degree", "8", "-o", str(out)]
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "walras.cli", *command],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
        assert ("sympy" in imported) == ("walras.compiler.checks" in imported) == (name == "cold")
        traced = set(re.findall(r"Finished tracing (\S+) for jit", done.stderr))
        if name == "warm":
            assert "equinox" not in imported and traced == {"call"}  # `jax.export`'s calls
            assert "lark" not in imported  # the parsed model read back
        with xr.open_dataset(out, engine="h5netcdf") as ds:
            values.append(ds["pd"].values)
    assert np.max(np.abs(values[1] - values[0])) <= 1e-14 * lucas_pd()


def test_the_flat_layout_is_ravel_pytrees_and_compiles_nothing_on_the_host():
    """`Flat` lays a pytree out as `jax.flatten_util.ravel_pytree` does (the peer), NumPy in and
    NumPy out outside a trace, so a warm start compiles no operation of its own for it; in a
    trace it gives the same numbers."""
    import logging

    import jax
    from jax.flatten_util import ravel_pytree

    from walras.runtime.solvers.flat import Flat

    rng = np.random.default_rng(0)
    tree = {
        "coef": {"a": rng.normal(size=(2, 3, 4)), "b": rng.normal(size=(2, 5))},
        "scalar": {"c": rng.normal(size=())},
        "tau": None,
    }
    peer, peer_unravel = ravel_pytree(tree)
    flat = Flat(tree)
    compiled = []
    with jax.log_compiles():
        handler = logging.Handler()
        handler.emit = lambda record: compiled.append(record.getMessage())
        logging.getLogger("jax").addHandler(handler)
        try:
            vector = flat.ravel(tree)
            back = flat.unravel(vector)
        finally:
            logging.getLogger("jax").removeHandler(handler)
    assert compiled == [] and isinstance(vector, np.ndarray) and flat.size == peer.size
    assert np.array_equal(vector, np.asarray(peer))
    for x, y in zip(jax.tree.leaves(back), jax.tree.leaves(peer_unravel(peer)), strict=True):
        assert isinstance(x, np.ndarray) and np.array_equal(x, np.asarray(y))
    traced = jax.jit(lambda v: flat.ravel(jax.tree.map(lambda x: 2 * x, flat.unravel(v))))(peer)
    assert np.array_equal(np.asarray(traced), 2 * np.asarray(peer))


def test_checked_models_and_outlines_are_kept_and_rebuilt_when_damaged(fresh):
    """`walras check` reads the checked model and the outline back (no check, no derivation,
    the same objects); stale and corrupt entries are rebuilt, never used."""
    store.STATS.clear()
    model = walras.load("lucas")
    checked, outline = model.checked, model.outline
    assert store.STATS["miss"] == 3 and store.STATS["hit"] == 0  # parsed, checked, outline
    again = walras.load("lucas")
    assert again.checked == checked and again.outline == outline and store.STATS["hit"] == 3
    entries = sorted(p for kind in ("checked", "outline") for p in (fresh.parent / kind).iterdir())
    good = [p.read_bytes() for p in entries]
    entries[0].write_bytes(good[0][:-100] + bytes(b ^ 0xFF for b in good[0][-100:]))
    entries[1].write_bytes(good[0])  # a valid entry under another key
    store.STATS.clear()
    third = walras.load("lucas")
    assert third.checked == checked and third.outline == outline
    assert store.STATS["corrupt"] == store.STATS["stale"] == 1 and store.STATS["hit"] == 1
    store.STATS.clear()
    fourth = walras.load("lucas")
    assert fourth.checked == checked and fourth.outline == outline  # rewritten:
    assert store.STATS["hit"] == 3 and store.STATS["miss"] == 0


def test_a_changed_text_value_or_version_is_checked_and_derived_again(fresh, monkeypatch):
    """The checked model and the outline are read back only for the same text (its layout too:
    warnings point into it), the same values given and the same versions; an edited equation
    gives its own outline."""
    from walras.models import resolve

    text = resolve("lucas").read_text()
    walras.load(text).outline  # noqa: B018
    store.STATS.clear()
    walras.load(text + "\n").checked  # noqa: B018
    walras.load(text, gamma=4.0).checked  # noqa: B018
    assert store.STATS["miss"] == 3 and store.STATS["hit"] == 1  # the text parsed once more
    edited = text.replace("boundary at y = 2.0: d(pd, y) = 0\n", "")
    assert edited != text and len(walras.load(edited).outline.boundaries) == 1
    monkeypatch.setattr(store, "versions", lambda: "another version")
    store.STATS.clear()
    assert len(walras.load(text).outline.boundaries) == 2
    assert store.STATS["miss"] == 3 and store.STATS["hit"] == 0


def test_warm_check_and_compile_print_what_cold_ones_print(fresh, monkeypatch, capsys):
    """`walras check` and `walras compile` a second time: the same output, neither checking nor
    deriving."""
    outputs = []
    for warm in (False, True):
        if warm:
            _underived(monkeypatch)
        assert main(["check", "lucas"]) == 0 and main(["compile", "lucas"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and "ok: model 'lucas'" in outputs[0]
    assert "\\frac" in outputs[0] or "\\partial" in outputs[0]


def _bounds_by_sympy(system, params) -> dict:
    """Unknown -> (floor, cap): each complementarity's bound on its variable, substituted by
    sympy (the reference for `Outline.clamps`)."""
    import sympy as sp

    out = {}
    for r in system.residuals:
        if r.is_complementarity:
            unknown = system.atoms.meaning[r.var].unknown
            value = float(r.bound.subs({sp.Symbol(k): v for k, v in params.items()}))
            floor, cap = out.get(unknown, (None, None))
            out[unknown] = (floor, value) if r.upper else (value, cap)
    return out


@pytest.mark.parametrize("name", ["brusan_log", "he_krishnamurthy", "leland"])
def test_the_bounds_complementarities_clamp_are_read_without_deriving(name, fresh, monkeypatch):
    """brusan_log's ψ ≤ 1, he_krishnamurthy's θ ≤ 1 − λ (a parameter named like a Python
    keyword) and leland's E ≥ 0, at the file's parameters and at others: a warm process reads
    them from the outline without deriving the model, equal to sympy's substitution."""
    model = walras.load(name)
    params = model.compile().params
    other = {k: 1.1 * v for k, v in params.items()}
    system = model.derive()
    expected = [_bounds_by_sympy(system, p) for p in (params, other)]
    assert expected[0]
    _underived(monkeypatch)
    warm = walras.load(name).compile()
    assert [warm.clamps(p) for p in (params, other)] == expected


def test_a_function_of_a_network_is_exported_with_what_it_holds_in_its_key(fresh):
    """`cache.call` on a network (arrays, and an activation that is not one): exported once,
    loaded by a later process with the same values as the function itself; another activation
    names another entry."""
    import equinox as eqx

    def net(activation):
        return eqx.nn.MLP(1, 1, 8, 2, activation=activation, key=jax.random.PRNGKey(0))

    x = jax.numpy.linspace(0.0, 1.0, 5)[:, None]
    f = lambda m, x: jax.vmap(m)(x)  # noqa: E731
    values = []
    for activation in (jax.nn.tanh, jax.nn.tanh, jax.nn.softplus):
        cache._EXPORTED.clear()  # as a new process
        values.append(np.asarray(cache.call(f, "a network", net(activation), x)))
        direct = np.asarray(f(net(activation), x))
        np.testing.assert_allclose(values[-1], direct, atol=1e-14 * np.abs(direct).max())
    assert cache.STATS["miss"] == 2 and cache.STATS["hit"] == 1
    assert not np.allclose(values[0], values[2])


def test_a_function_holding_a_closure_is_not_exported(fresh):
    """Two closures of one name that hold other values are told apart by nothing in a key:
    `cache.call` runs them unexported, each with its own value."""

    def scaled(c):
        return lambda x: c * x

    f = lambda g, x: g(x)  # noqa: E731
    x = jax.numpy.ones(3)
    assert [float(cache.call(f, "a closure", scaled(c), x)[0]) for c in (2.0, 3.0)] == [2.0, 3.0]
    assert cache.STATS["miss"] == cache.STATS["hit"] == 0


def test_the_users_functions_are_not_exported(fresh):
    """Lambdas without a closure share a name (and the user's functions change between runs
    under theirs): a start given as one per unknown (`guess=`) is evaluated as written, each
    unknown its own, not the first one's exported function under a shared key."""
    from walras.runtime.solvers.start import fields_guess

    guess = fields_guess({"a": lambda x: 0.05 + 0 * x[0], "b": lambda x: 1.0 + 0 * x[0]})
    y = np.linspace(0.0, 1.0, 4)[:, None]
    assert [float(guess(u, y)[0]) for u in ("a", "b")] == [0.05, 1.0]
    assert cache.STATS["miss"] == cache.STATS["hit"] == 0


def test_sobol_points_are_kept_and_are_scipys(fresh):
    """The neural solver's Sobol points are built by scipy once and read back after, equal to
    scipy's."""
    from scipy.stats import qmc

    from walras.runtime.solvers.neural.sampling import sobol

    store.STATS.clear()
    expected = qmc.Sobol(3, scramble=True, seed=11).random_base2(6)
    for _ in range(2):
        np.testing.assert_array_equal(sobol(3, 64, 11), expected)
    assert store.STATS["miss"] == store.STATS["hit"] == 1


def test_numpy_scalars_among_the_arguments_are_exported(fresh):
    """A NumPy scalar (a two-piece solution's cut) is an array to the cache: the call is
    exported and loaded in the next process, not traced in each (the inward-drift check of
    every two-piece solve was)."""
    twice = lambda fields, x: fields["at"] * x  # noqa: E731
    args = ({"at": np.float64(2.0)}, np.ones(3))
    assert np.array_equal(cache.call(twice, "scalar test", *args), np.full(3, 2.0))
    assert cache.STATS["miss"] == 1
    cache._EXPORTED.clear()
    assert np.array_equal(cache.call(twice, "scalar test", *args), np.full(3, 2.0))
    assert cache.STATS["hit"] == 1 and cache.STATS["miss"] == 1


def test_the_conjugate_gradient_polish_step_is_exported(fresh, monkeypatch, caplog):
    """Where the polish's Jacobian would not fit (`DENSE_BYTES`), each step is by conjugate
    gradients on Jacobian-vector products: that step is exported too, so a second solve loads
    it instead of tracing it again (five of ggp_production's households: a warm solve of one
    polish iteration took 178 s instead of 215 s) and gives the first's losses."""
    monkeypatch.setattr(polish, "DENSE_BYTES", 0)
    first = _neural()
    caplog.set_level(logging.INFO, logger=cache.__name__)
    second = _neural()
    hits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cache hit")]
    assert any("damped step" in h for h in hits)
    _same_solve(first, second)
