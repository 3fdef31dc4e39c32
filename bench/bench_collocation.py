"""Collocation on every library model with at most three states: degree, Newton iterations, time
(in-process after the first compile, and whole-process with the compilation cache warm), and the
neural-versus-collocation accuracy table (max |neural − collocation| per unknown, and against the
closed form or ODE reference where one exists).

Run: python bench/bench_collocation.py [--steps N] [--no-neural] [MODEL ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import walras
from walras.runtime import solvers
from walras.runtime.compare import compare

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from references import BrusanLog, lucas_pd  # noqa: E402

REFERENCES = {
    "lucas": lambda ds: {"pd": np.full(ds["y"].shape, lucas_pd())},
    "lucas_economy": lambda ds: {"pd": np.asarray(lucas_pd(0.05, 5.0, 0.02, 0.05))},
    "brusan_log": lambda ds: (
        lambda ref: {"q": ref.q(ds["eta"].values), "psi": ref.psi(ds["eta"].values)}
    )(BrusanLog().solve()),
}


def candidates(names: list[str]) -> list[str]:
    out = []
    for name in names or walras.api.library():
        try:
            model = walras.load(name)
            if len(model.states) <= 3 and model.unknowns:
                out.append(name)
        except Exception:  # factor-model files and the like have no equilibrium to solve
            continue
    return out


def whole_process(name: str) -> float:
    """Wall time of a fresh `python -c 'walras.solve(...)'` (the compilation cache is warm)."""
    code = f"import walras; walras.solve({name!r}, method='collocation').dataset"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def run(name: str, steps: int, neural: bool) -> dict:
    model = walras.load(name)
    compiled = model.compile()
    settings = walras.api.settings_for(model, method="collocation")
    t0 = time.perf_counter()
    first = solvers.solve(compiled, settings, compiled.params, quiet=True)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = solvers.solve(compiled, settings, compiled.params, quiet=True)
    t_again = time.perf_counter() - t0
    ds = again.dataset
    row = {
        "model": name,
        "states": len(model.states),
        "degree": int(ds["degree"]),
        "iterations": int(ds["iterations"]),
        "first": t_first,
        "again": t_again,
        "process": whole_process(name),
        "converged": again.converged,
        "sup": float(ds["residual_sup"].max()),
        "message": first.message,
    }
    ref = REFERENCES.get(name, lambda ds: {})(ds)
    row["colloc_vs_ref"] = {k: float(np.max(np.abs(ds[k].values - v))) for k, v in ref.items()}
    if neural:
        t0 = time.perf_counter()
        net = walras.solve(model, method="neural", steps=steps)
        row["neural_time"] = time.perf_counter() - t0
        table = compare(ds, net.dataset)
        row["neural_vs_colloc"] = {
            u: float(table.max_abs.sel(variable=u)) for u in model.unknowns if u in table.variable
        }
        row["neural_vs_ref"] = {
            k: float(np.max(np.abs(net.dataset[k].values - v))) for k, v in ref.items()
        }
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*")
    parser.add_argument("--steps", type=int, default=2000, help="Adam steps of the neural solves")
    parser.add_argument("--no-neural", action="store_true")
    args = parser.parse_args()
    rows = []
    for name in candidates(args.models):
        try:
            rows.append(run(name, args.steps, not args.no_neural))
        except Exception as e:  # report and go on: one model must not hide the others
            print(f"{name}: failed: {type(e).__name__}: {e}", file=sys.stderr)
    print(
        "| model | states | degree | Newton iterations | solve, first (s) | solve, again (s) "
        "| whole process (s) | residual sup-norm | converged |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['states']} | {r['degree']} | {r['iterations']} | "
            f"{r['first']:.2f} | {r['again']:.3f} | {r['process']:.2f} | {r['sup']:.1e} | "
            f"{'yes' if r['converged'] else 'no'} |"
        )
    print()
    print(
        "| model | unknown | max abs neural - collocation | collocation vs reference "
        "| neural vs reference | neural time (s) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        for u, diff in r.get("neural_vs_colloc", {}).items():
            print(
                f"| {r['model']} | {u} | {diff:.1e} | "
                f"{_fmt(r['colloc_vs_ref'].get(u))} | {_fmt(r['neural_vs_ref'].get(u))} | "
                f"{r['neural_time']:.1f} |"
            )
    print()
    for r in rows:
        print(f"{r['model']}: {r['message']}")


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.1e}"


if __name__ == "__main__":
    main()
