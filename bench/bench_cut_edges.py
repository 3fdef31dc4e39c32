"""Collocation solves by an earlier path and as now: each row of the robustness matrix named is
solved by collocation with default settings twice, in fresh processes with empty caches: once
by the earlier path and once as now. The earlier path is, by default, every cut edge tracing and
compiling its own system (`problem.SHARE` off; now systems at other cuts share their compiled
functions), or, with `--baseline DIR`, the walras of another checkout (a copy of another commit,
e.g. `git archive main | tar -x -C /tmp/base`). Prints wall-clock and CPU time of each, their
ratio, whether each converged, the estimated error, the error against the row's reference
(bench_robustness.py) and the largest difference between the two paths' answers (unknowns at
results points) and estimates.

Run: python bench/bench_cut_edges.py [--baseline DIR] [NAME ...]   (default: risk_sharing,
basak_cuoco γ=2, γ=5); a NAME is a row of the matrix or "MODEL PARAMETER=VALUE ..." (a variant,
with no reference).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT = ["risk_sharing", "basak_cuoco γ=2", "basak_cuoco γ=5"]


def child(name: str, share: bool, out: str) -> None:
    """Solve one row (in this process, fresh) and write times, estimate, error and answers."""
    sys.path.insert(0, str(HERE))
    from bench_robustness import interior, matrix

    import walras
    from walras.runtime.solvers.collocation import problem

    problem.SHARE = share
    rows = {row[0]: row for row in matrix()}
    if name in rows:
        _, load, error, _ = rows[name]
        model = load()
    else:  # a library model with other parameters: "MODEL NAME=VALUE ...", no reference
        model_name, *pairs = name.split()
        params = {k: float(v) for k, v in (pair.split("=") for pair in pairs)}
        model, error = walras.load(model_name, **params), lambda sol: float("nan")
    wall, cpu = time.perf_counter(), time.process_time()
    sol = walras.solve(model, method="collocation", quiet=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    x = interior(sol)
    values = sol.evaluate(x)
    names = [u.name for u in sol.compiled.model.unknowns if values[u.name].ndim]
    result = {
        "wall": wall,
        "cpu": cpu,
        "converged": bool(sol.converged),
        "errors": {u: float(e) for u, e in sol.errors.items()},
        "error": float(error(sol)),
        "values": {u: np.asarray(values[u].values, float).tolist() for u in names},
    }
    Path(out).write_text(json.dumps(result))


def run(name: str, share: bool, tree: str | None = None) -> dict:
    """One row in a fresh process with an empty cache folder, walras from `tree` (by default
    this checkout's)."""
    with tempfile.TemporaryDirectory() as cache:
        out = Path(cache) / "result.json"
        env = {"WALRAS_CACHE": cache, "PYTHONPATH": tree or str(HERE.parent)}
        command = [sys.executable, __file__, "--child", name, str(int(share)), str(out)]
        subprocess.run(command, check=True, env={**os.environ, **env})
        return json.loads(out.read_text())


def _differ(before, after) -> float:
    """Largest difference relative to the largest size; the points below a cut (NaN) must be
    the same, else infinite."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    if not np.array_equal(np.isnan(before), np.isnan(after)):
        return float("inf")
    return float(np.nanmax(np.abs(before - after)) / max(np.nanmax(np.abs(after)), 1e-300))


def main(names: list[str], baseline: str | None = None) -> None:
    print(
        "| model | earlier: wall (s) | CPU (s) | now: wall (s) | CPU (s) | CPU ratio | converged "
        "| estimated error | error | answers differ by | estimates differ by |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        before = run(name, True, baseline) if baseline else run(name, False)
        after = run(name, True)
        differ = max(_differ(before["values"][u], after["values"][u]) for u in after["values"])
        estimate = max(after["errors"].values(), default=float("nan"))
        estimates = max(
            abs(before["errors"][u] - e) / max(e, 1e-300) for u, e in after["errors"].items()
        )
        converged = (
            f"{'yes' if before['converged'] else 'no'} / {'yes' if after['converged'] else 'no'}"
        )
        print(
            f"| {name} | {before['wall']:.1f} | {before['cpu']:.1f} | {after['wall']:.1f} | "
            f"{after['cpu']:.1f} | {before['cpu'] / after['cpu']:.1f} | {converged} | "
            f"{estimate:.1e} | {after['error']:.1e} | {differ:.1e} | {estimates:.1e} (relative) |",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3] == "1", sys.argv[4])
    else:
        args = sys.argv[1:]
        baseline = None
        if args[:1] == ["--baseline"]:
            baseline, args = str(Path(args[1]).resolve()), args[2:]
        main(args or DEFAULT, baseline)
