"""The package's structure: what imports what, where float64 is configured, the public API."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import walras

PACKAGE = Path(walras.__file__).parent
ROOT = PACKAGE.parent


def _fresh(code: str) -> str:
    """Run `code` in a fresh interpreter; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("module", ["walras", "walras.grammar", "walras.models"])
def test_light_imports_do_not_import_jax(module):
    loaded = _fresh(
        f"import sys, {module}; print(sorted(m for m in sys.modules "
        f"if m.split('.')[0] in ('jax', 'jaxlib', 'equinox')))"
    )
    assert loaded == "[]"


def test_a_solve_imports_no_labelling_libraries():
    """A collocation solve (the warm start's path) loads neither xarray nor pandas (they load
    when results are labelled: `Solution.dataset`), nor the neural solver's and the simulator's
    libraries, nor scipy.optimize (a free boundary's search loads it when it runs), nor sympy
    (a derivation loads it: a warm run reads what it needs back, `docs/cache.md`), nor equinox
    (the expansions are pytrees of their own: `runtime.pytree`)."""
    loaded = _fresh(
        "import sys, walras.api, walras.cli, walras.runtime.results, "
        "walras.runtime.solvers.collocation.driver, walras.runtime.solvers.inward; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'xarray', 'pandas', 'optax', 'diffrax', 'matplotlib', 'sympy', 'equinox'}), "
        "'scipy.optimize' in sys.modules)"
    )
    assert loaded == "[] False"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    """Every module an `import` statement of the file names, relative imports resolved; for
    `from X import a`, `X.a` when that is a module, else `X`."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if _is_module(sub) else base)
    return found


def _is_module(name: str) -> bool:
    """Whether `name` is a module or package of walras (other packages do not matter here)."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_imports_resolve_relative_names():
    found = _imported(PACKAGE / "runtime" / "__init__.py")
    assert "walras.precision" in found and "walras" not in found


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "runtime").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_runtime_does_not_import_the_front(path):
    """The runtime returns data: it imports neither the package's front (`walras`, `walras.api`)
    nor the presentation (`walras.cli`)."""
    bad = {m for m in _imported(path) if m == "walras" or re.match(r"walras\.(api|cli)(\.|$)", m)}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_float64_is_configured_in_one_place():
    places = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "jax_enable_x64" in p.read_text()
    ]
    assert places == ["precision.py"]
    assert _fresh("import jax.numpy as jnp, walras.runtime; print(jnp.ones(1).dtype)") == "float64"
    assert (
        _fresh("import jax.numpy as jnp, walras.compiler.codegen; print(jnp.ones(1).dtype)")
        == "float64"
    )


def test_public_names():
    for name in walras.__all__:
        assert getattr(walras, name) is not None
    assert set(walras.__all__) <= set(dir(walras))
    from walras.api import Model, load, solve
    from walras.runtime.factors import estimate
    from walras.runtime.results import Solution
    from walras.settings import Settings

    assert (walras.Model, walras.load, walras.solve) == (Model, load, solve)
    assert (walras.Solution, walras.Settings, walras.estimate) == (Solution, Settings, estimate)
    with pytest.raises(AttributeError):
        walras.no_such_name


def test_estimate_shows_its_signature():
    params = inspect.signature(walras.estimate).parameters
    assert list(params)[:3] == ["spec_or_path_or_name", "name", "data"]
    assert "factor model" in inspect.getdoc(walras.estimate)


def test_one_version():
    from importlib.metadata import version

    assert walras.__version__ == version("walras")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'version = {attr = "walras._version.__version__"}' in pyproject
