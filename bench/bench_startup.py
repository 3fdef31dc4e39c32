"""Start-up: whole-process times of `import walras`, `walras check`, `walras compile`, `walras
solve lucas --method collocation` (cold: an empty cache folder; warm: the same command again),
and brusan_log by the neural solver (warm) with its defaults and with a smaller budget, with
its error against the reference ODE solution; which heavy packages the warm solve imports, and
their import times.
Every figure is also given against baselines measured in the same run: `python -c pass`
(warm-pass: the seconds beyond the interpreter's start), `python -c 'import jax'` (the floor of
any solve; warm/jax), and cold against warm; wall times, and for the warm runs CPU times too
(user and system, every thread), steadier on a machine shared with other jobs.

Goals (issue 18): warm solve, check and compile <= 2 s; `import walras` <= 0.5 s; brusan_log
warm to Deep-MacroFin's accuracy (q 6.7e-3, psi 3.3e-2) in <= 4 s and to q 1e-5, psi 1e-4 in
<= 10 s. On a machine shared with other jobs the seconds are noisy; the ratios less so.

With `--library`, also every library economy with one continuous state by collocation, cold and
warm (issue 13: each in <= 5 s warm), with the exit code of the warm run.

Run: python bench/bench_startup.py [--repeats N] [--no-neural] [--library]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from references import BrusanLog  # noqa: E402

WALRAS = [sys.executable, "-m", "walras.cli"]
COMMANDS = {
    "walras check lucas": [*WALRAS, "check", "lucas"],
    "walras compile lucas": [*WALRAS, "compile", "lucas"],
    "walras solve lucas --method collocation": [
        *WALRAS,
        "solve",
        "lucas",
        "--method",
        "collocation",
        "-q",
    ],
}
SOLVE = "walras solve lucas --method collocation"
HEAVY = ("jax", "sympy", "equinox", "typer", "pydantic", "rich", "lark", "scipy")  # and
LEFT_OUT = ("xarray", "pandas", "optax", "diffrax", "matplotlib")  # those a warm solve avoids
DMF = {"q": 6.7e-3, "psi": 3.3e-2}  # Deep-MacroFin's errors on brusan_log (issue 18)
TIGHT = {"q": 1e-5, "psi": 1e-4}
BUDGETS = {"defaults": [], "--steps 0 --polish 20": ["--steps", "0", "--polish", "20"]}
ECONOMY = re.compile(r"^model\s", re.MULTILINE)  # a file that declares an economy


def timed(command: list[str], cache: Path) -> tuple[float, float]:
    """Wall time and CPU time (user and system, every thread) of one process; it must
    succeed. On a machine shared with other jobs the CPU time is the steadier figure."""
    env = {**os.environ, "WALRAS_CACHE": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def one_state() -> list[str]:
    """The library's economies with one continuous state (discrete states aside)."""
    import walras
    from walras.models import LIBRARY, library

    names = []
    for name in library():
        if not ECONOMY.search((LIBRARY / f"{name}.econ").read_text(encoding="utf-8")):
            continue  # a factor model's specification
        states = walras.load(name).checked.states
        if sum(not s.discrete for s in states) == 1:
            names.append(name)
    return names


def library_times(cache: Path, repeats: int) -> None:
    """`walras solve NAME --method collocation -q` for each of `one_state`: the first run
    (compiling and filling the cache), the least wall time of `repeats` warm runs, their exit."""
    env = {**os.environ, "WALRAS_CACHE": str(cache)}
    print(f"{'model (collocation)':<24} {'cold':>7} {'warm':>7} {'exit':>5}")
    for name in one_state():
        command = [*WALRAS, "solve", name, "--method", "collocation", "-q"]
        runs = []
        for _ in range(1 + repeats):
            t0 = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, check=False)
            runs.append(time.perf_counter() - t0)
        print(f"{name:<24} {runs[0]:6.2f}s {min(runs[1:]):6.2f}s {done.returncode:>5}")


def best(command: list[str], cache: Path, repeats: int) -> tuple[float, float]:
    """The least wall time and the least CPU time of `repeats` runs."""
    runs = [timed(command, cache) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def import_time() -> float:
    """`import walras` as `python -X importtime` counts it (cumulative, seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import walras"],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [s for s in done.stderr.splitlines() if re.search(r"\|\s+walras$", s)][-1]
    return int(line.split("|")[1]) / 1e6


def imports(command: list[str], cache: Path) -> dict[str, float]:
    """The packages of HEAVY and LEFT_OUT that one run of `command` imports, with the seconds
    `python -X importtime` gives each (cumulative, where it is first imported: a package
    imported by another counts in both)."""
    env = {**os.environ, "WALRAS_CACHE": str(cache)}
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        name = parts[-1].strip()
        if len(parts) == 3 and name in HEAVY + LEFT_OUT:
            seconds[name] = int(parts[1]) / 1e6
    return seconds


def brusan(cache: Path, budget: list[str]) -> tuple[float, dict[str, float]]:
    """brusan_log by the neural solver (the options `budget`), warm: the second of two runs;
    its errors."""
    import xarray as xr

    out = cache / "brusan_log.nc"
    command = [*WALRAS, "solve", "brusan_log", "--method", "neural", *budget, "-q", "-o", str(out)]
    env = {**os.environ, "WALRAS_CACHE": str(cache)}
    subprocess.run(command, env=env, capture_output=True, check=False)  # warms the cache
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - t0
    ref = BrusanLog().solve()
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        eta = ds["eta"].values
        errors = {
            "q": float(np.max(np.abs(ds["q"].values - ref.q(eta)))),
            "psi": float(np.max(np.abs(ds["psi"].values - ref.psi(eta)))),
        }
    return seconds, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm runs (the best is kept)")
    parser.add_argument("--no-neural", action="store_true", help="skip brusan_log")
    parser.add_argument(
        "--library", action="store_true", help="also each one-state economy, cold and warm"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.gettempdir())
    base, base_cpu = best([sys.executable, "-c", "pass"], tmp, args.repeats)
    jax, jax_cpu = best([sys.executable, "-c", "import jax"], tmp, args.repeats)
    walras_import, walras_cpu = best(
        [sys.executable, "-c", "import walras"], Path("."), args.repeats
    )
    print(
        f"baseline `python -c pass`: {base:.2f} s ({base_cpu:.2f} s CPU); "
        f"`python -c 'import jax'`: {jax:.2f} s ({jax_cpu:.2f} s CPU)"
    )
    print(
        f"{'import walras':<42} whole process {walras_import:.2f} s ({walras_cpu:.2f} s CPU); "
        f"-X importtime {import_time():.3f} s (goal 0.5)"
    )
    print(
        f"{'command':<42} {'cold':>7} {'warm':>7} {'cold/warm':>10} {'warm/jax':>9} "
        f"{'warm-pass':>10} {'warm CPU':>9} {'CPU/jax':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name, command in COMMANDS.items():
            cache = Path(folder) / name.replace(" ", "_")
            cold = timed(command, cache)[0]
            warm, warm_cpu = best(command, cache, args.repeats)
            print(
                f"{name:<42} {cold:6.2f}s {warm:6.2f}s {cold / warm:9.1f}x {warm / jax:8.2f}x "
                f"{warm - base:9.2f}s {warm_cpu:8.2f}s {warm_cpu / jax_cpu:7.2f}x"
            )
        seconds = imports(COMMANDS[SOLVE], Path(folder) / SOLVE.replace(" ", "_"))
        found = ", ".join(f"{k} {seconds[k]:.2f} s" for k in HEAVY + LEFT_OUT if k in seconds)
        absent = ", ".join(k for k in HEAVY + LEFT_OUT if k not in seconds)
        print(f"warm `{SOLVE}` imports (-X importtime): {found}; not: {absent or 'none'}")
        for budget, options in {} if args.no_neural else BUDGETS.items():
            seconds, errors = brusan(Path(folder), options)
            reached = ", ".join(
                f"{k} {v:.1e} (DMF {DMF[k]:.1e}: {'met' if v <= DMF[k] else 'not met'}; "
                f"tight {TIGHT[k]:.0e}: {'met' if v <= TIGHT[k] else 'not met'})"
                for k, v in errors.items()
            )
            print(
                f"{'walras solve brusan_log --method neural':<42} {budget}, warm: {seconds:.2f} s "
                f"({seconds / base:.0f}x baseline): {reached}"
            )
        if args.library:
            library_times(Path(folder) / "library", args.repeats)


if __name__ == "__main__":
    main()
