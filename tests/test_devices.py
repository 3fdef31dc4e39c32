"""Data-parallel solving on JAX's engine: the neural solver's points sharded over four forced host
devices give the one-device run's loss history and solution (same sampling, same seeds; only the
order of floating-point sums differs), for a model and for a parametric family; two processes
joined by `jax.distributed` (CPU collectives) solve `lucas` as one process does.

Each run is a subprocess, since the device count and `jax.distributed` are fixed when JAX starts."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError

FOUR = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
SMALL = "steps=60, polish=4, points=64, polish_points=32, boundary_points=4, width=8, seed=3"


def _run(script: str, env: dict, timeout: int = 900) -> dict:
    """The JSON a script prints last, run in a fresh interpreter with `env` added."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**os.environ, "WALRAS_DEVICES": "", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


RUN = f"""
    import json, sys
    import jax, numpy as np
    import walras

    def run(devices, over=None):
        s = walras.solve("lucas", method="neural", devices=devices, over=over, {SMALL})
        grid = np.asarray(s.dataset["pd"]).ravel()
        return {{"history": s.history.tolist(), "pd": grid.tolist(),
                 "validation": s.validation, "errors": s.errors}}
"""


def _close(a: dict, b: dict, tol: float = 1e-10) -> None:
    """Loss histories, solutions on the grid and validations equal to `tol`; the estimated errors
    to 1e-6 (LSQR's 400 iterations amplify the order of sums: 3e-7 measured)."""
    import numpy as np

    for key in ("history", "pd"):
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.shape == y.shape and len(x) > 0
        np.testing.assert_allclose(x, y, rtol=tol, atol=0)
    for key, rtol in (("validation", tol), ("errors", 1e-6)):
        assert a[key].keys() == b[key].keys()
        for name, value in a[key].items():
            assert abs(value - b[key][name]) <= rtol * abs(b[key][name])


@pytest.mark.slow  # the suite's time on two cores
def test_four_devices_give_the_one_device_run():
    """The same subprocess, four devices, runs on one of them and then on all four (the step's
    compiled loss then holds an all-reduce over the four: the work is split, not repeated)."""
    out = _run(
        RUN
        + """
    import equinox as eqx
    from walras.runtime.devices import choose
    from walras.runtime.solvers.base import Problem
    from walras.runtime.solvers.neural.rows import Rows
    from walras.runtime.solvers.neural.fields import init_fields
    problem = Problem.build(walras.load("lucas").compile())
    rows = Rows(problem, walras.Settings(method="neural", points=64), choose(4))
    f = init_fields(problem, rows.settings, problem.params, rows.cut, jax.random.PRNGKey(0))
    arrays, static = eqx.partition(f, eqx.is_array)
    loss = jax.jit(lambda a, p, k: rows.loss(eqx.combine(a, static), p, k))
    hlo = loss.lower(arrays, problem.params, jax.random.PRNGKey(1)).compile().as_text()
    print(json.dumps({"devices": jax.device_count(), "all_reduce": "all-reduce" in hlo,
                      "one": run(1), "four": run(4)}))
    """,
        FOUR,
    )
    assert out["devices"] == 4 and out["all_reduce"]
    _close(out["four"], out["one"])


@pytest.mark.slow
def test_a_parametric_family_sharded_over_points_is_the_one_device_one():
    script = (
        RUN
        + """
    over = {"gamma": (3.0, 6.0)}
    print(json.dumps({"one": run(1, over), "four": run(4, over)}))
    """
    )
    out = _run(script, FOUR)
    _close(out["four"], out["one"])


def test_the_default_is_every_device_and_too_many_is_an_error():
    out = _run(
        """
    import json
    from walras.runtime.devices import choose
    print(json.dumps({"default": choose().count}))
    """,
        {**FOUR},
    )
    assert out["default"] == 4
    with pytest.raises(EconError) as e:
        walras.solve("lucas", method="neural", devices=64, steps=1)
    assert e.value.diagnostics[0].code == "E141"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_joined_by_jax_distributed_solve_lucas_as_one():
    """Gloo's CPU collectives between two processes of one device each (3.5 min on two busy
    cores: each of LSQR's iterations in the error estimate is a round of collectives)."""
    script = RUN + "\n    out = run(None)\n    print(json.dumps({'n': jax.device_count(), **out}))"
    one = _run(script, {})
    address = f"localhost:{_free_port()}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script)],
            env={**os.environ, "WALRAS_DEVICES": "", "WALRAS_DISTRIBUTED": f"{address},2,{i}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    joined = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    assert one["n"] == 1 and all(j["n"] == 2 for j in joined)
    for j in joined:
        _close(j, one)


def test_ipca_and_neurif_sharded_over_periods_are_the_unsharded_fits():
    """A planted IPCA panel of 50 periods (uneven over four devices), some cells missing: IPCA's
    loadings and factors, and a NeurIF (spatial and temporal attention) after a few Adam epochs,
    on four devices equal those on one."""
    out = _run(
        """
    import json
    import jax, numpy as np, equinox as eqx
    from jax.flatten_util import ravel_pytree
    from walras.runtime.devices import choose
    from walras.runtime.factors.ipca import ipca
    from walras.runtime.factors.neural import train
    from walras.runtime.factors.neurif import NeurIF

    rng = np.random.default_rng(0)
    T, N, L, K = 50, 30, 5, 2
    x = rng.normal(size=(T, N, L))
    G = np.linalg.qr(rng.normal(size=(L, K)))[0]
    f = rng.normal(0.3, 1.0, size=(T, K))
    r = np.einsum("tnl,lk,tk->tn", x, G, f) + 0.3 * rng.normal(size=(T, N))
    m = rng.random((T, N)) > 0.1
    split = {"train": np.arange(T) < 35, "valid": np.arange(T) >= 35}
    out = {}
    for n in (1, 4):
        fit = ipca(x, r, m, K, intercept=True, devices=choose(n))
        net = NeurIF(L, K, 8, 2, 1, True, jax.random.PRNGKey(0))
        trained = train(net, x, r, m, split, lr=1e-2, epochs=8, devices=choose(n))
        theta = ravel_pytree(eqx.filter(trained.model, eqx.is_inexact_array))[0]
        out[n] = {"gamma": fit.gamma.tolist(), "alpha": fit.gamma_alpha.tolist(),
                  "factors": fit.factors.tolist(), "iterations": fit.iterations,
                  "neurif": np.asarray(theta).tolist(), "valid": trained.valid_loss}
    print(json.dumps(out))
    """,
        FOUR,
    )
    import numpy as np

    one, four = out["1"], out["4"]
    assert one["iterations"] == four["iterations"] > 1
    for key in ("gamma", "alpha", "factors", "neurif"):
        np.testing.assert_allclose(four[key], one[key], rtol=0, atol=1e-10 * np.abs(one[key]).max())
    assert abs(four["valid"] - one["valid"]) <= 1e-10 * one["valid"]


TWO = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}


@pytest.mark.slow  # four small neural solves (3.5 min on two busy cores)
def test_two_seeds_at_once_are_two_one_seed_runs():
    """`seeds=2` on two forced host devices: the solution kept is the one-seed run of the seed it
    names (loss history and solution to 1e-10), and its estimated error is the larger of that
    run's estimate and the spread between the two runs, computed here from the separate runs on
    the same points."""
    out = _run(
        RUN
        + """
    from walras.runtime.solvers.neural.rows import Rows
    from walras.runtime.solvers.base import Problem
    from walras.runtime.devices import choose
    both = walras.solve("lucas", method="neural", seeds=2, {SMALL})
    runs = {k: walras.solve("lucas", method="neural", devices=1, **{**dict({SMALL}), "seed": k})
            for k in (3, 4)}
    best = 3 if "the best by validation is seed 3" in both.message else 4
    problem = Problem.build(walras.load("lucas").compile())
    settings = walras.Settings(method="neural", {SMALL})
    x = Rows(problem, settings, choose(1)).sampler.fixed(4 * settings.points, 3 + 7919)
    pd = {k: r.evaluate(np.asarray(x))["pd"].values for k, r in runs.items()}
    spread = float(np.max(np.abs(pd[7 - best] - pd[best])) / np.max(np.abs(pd[best])))
    print(json.dumps({
        "best": best, "message": both.message,
        "both": {"history": both.history.tolist(), "pd": np.asarray(both.dataset["pd"]).tolist()},
        "run": {"history": runs[best].history.tolist(),
                "pd": np.asarray(runs[best].dataset["pd"]).tolist()},
        "errors": both.errors["pd"], "own": runs[best].errors["pd"], "spread": spread}))
    """.replace("{SMALL}", SMALL),
        TWO,
    )
    for key in ("history", "pd"):
        np.testing.assert_allclose(out["both"][key], out["run"][key], rtol=1e-10, atol=0)
    assert out["spread"] > 0
    expected = max(out["own"], out["spread"])
    assert abs(out["errors"] - expected) <= 1e-10 * expected, out["message"]
