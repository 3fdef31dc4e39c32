"""Compile time of the neural training step of `ggp_production` (seed 001's production economy
with labor chains), or with `--model eleven` of the log economy of `bench_eleven.py` (an expert
and N bond-only households), this checkout beside a baseline checkout, in one run.

For each checkout a child process compiles the model with `household[N]`, builds the neural
solver's networks (seed 0) and jits one training step (the loss on a batch and its gradient):
the time to trace and lower it, to compile it with XLA (CPU time and wall time), the size of the
program, and the residuals of every equation at fixed points. The residuals of the two checkouts
must agree (printed: the largest difference relative to the residuals' size).

A baseline is a copy of another commit, e.g. `git archive main | tar -x -C /tmp/base`.
The machine is shared: read wall time with the CPU time.

Run: python bench/bench_ggp_compile.py --households 2 5 10 [--model eleven] [--baseline /tmp/base]
[--points 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]


def model_text(model: str, households: int) -> str:
    """The economy's text with `households` members in its array."""
    if model == "eleven":
        from bench_eleven import MODEL

        return MODEL.replace("1:10", f"1:{households}").replace("/9", f"/{households - 1}")
    from walras.models import resolve

    text = resolve(model).read_text()
    if households != 10 and "# the start" in text:  # the start is written for ten households
        text = text[: text.index("# the start")]
    return text.replace("household[10]", f"household[{households}]")


def measure(model: str, households: int, points: int, out: str) -> None:
    """In the child: time the training step's compilation; write the figures and residuals."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    import walras
    from walras.runtime.solvers.base import Problem
    from walras.runtime.solvers.neural.fields import compose, init_fields
    from walras.runtime.solvers.neural.rows import Rows

    text = model_text(model, households)
    figures = {}
    t, c = time.perf_counter(), time.process_time()
    compiled = walras.load(text).compile()
    figures["model compile"] = (time.perf_counter() - t, time.process_time() - c)
    problem = Problem.build(compiled)
    settings = walras.Settings(method="neural", points=points)
    rows = Rows(problem, settings)
    fields = init_fields(problem, settings, compiled.params, rows.cut, jax.random.PRNGKey(0))
    params = {k: jnp.float64(v) for k, v in compiled.params.items()}
    step = eqx.filter_jit(lambda f, p, k: eqx.filter_value_and_grad(rows.loss)(f, p, k))
    t, c = time.perf_counter(), time.process_time()
    lowered = step.lower(fields, params, jax.random.PRNGKey(1))
    figures["trace and lower"] = (time.perf_counter() - t, time.process_time() - c)
    lines = lowered.as_text().count("\n")
    t, c = time.perf_counter(), time.process_time()
    lowered.compile()
    figures["XLA compile"] = (time.perf_counter() - t, time.process_time() - c)
    x = rows.sampler.fixed(points, 0)
    res = compiled.residuals(compose(problem, fields), params, x)
    np.savez(out, **{k: np.asarray(v) for k, v in res.items()})
    info = {"figures": figures, "lines": lines, "source": str(Path(walras.__file__).parent)}
    Path(out + ".json").write_text(json.dumps(info))


def run(checkout: Path, model: str, households: int, points: int, out: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    code = (
        f"import sys; sys.path.insert(0, {str(HERE / 'bench')!r}); import bench_ggp_compile as b; "
        f"b.measure({model!r}, {households}, {points}, {out!r})"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tempfile.gettempdir())
    return json.loads(Path(out + ".json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="ggp_production", help="a library model or 'eleven'")
    parser.add_argument("--households", type=int, nargs="+", default=[5])
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with")
    a = parser.parse_args()
    for households in a.households:
        compare(a.model, households, a.points, a.baseline)


def compare(model: str, households: int, points: int, baseline: Path | None) -> None:
    """Both checkouts at one number of households: figures, and their residuals' difference."""
    print(f"household[{households}]:")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("this checkout", HERE)] + ([("baseline", baseline)] if baseline else [])
        found = {}
        for label, checkout in runs:
            out = str(Path(tmp) / label.replace(" ", "_"))
            info = run(checkout, model, households, points, out)
            found[label] = np.load(out + ".npz")
            print(f"{label} (walras from {info['source']}): {info['lines']} lines of StableHLO")
            for what, (wall, cpu) in info["figures"].items():
                print(f"  {what}: {wall:.1f} s wall, {cpu:.1f} s CPU")
        if baseline:
            new, old = found["this checkout"], found["baseline"]
            worst = max(
                float(np.max(np.abs(new[k] - old[k])) / max(1.0, np.max(np.abs(old[k]))))
                for k in old.files
            )
            print(f"residuals: largest difference {worst:.1e} (relative to max(1, |residual|))")


if __name__ == "__main__":
    main()
