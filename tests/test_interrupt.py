"""Ctrl-C: the first SIGINT stops a solve at its next check and the solution keeps what it
reached; the command saves it (and the checkpoint), says where, and exits 130; --resume
continues the loss history of the checkpoint."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

import walras
from walras.runtime import interrupt, progress
from walras.runtime.solvers.base import Outcome
from walras.runtime.solvers.least_squares import levenberg_marquardt

MARKER = "Ctrl-C stops and saves"


def test_first_ctrl_c_sets_the_flag_and_the_second_stops_at_once():
    before = signal.getsignal(signal.SIGINT)
    with interrupt.catching():
        assert not interrupt.requested()
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupt.requested()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is before
    assert not interrupt.requested()  # outside every block nothing is pressed
    with interrupt.catching():
        assert not interrupt.requested()  # a new block starts afresh


LONG_CALL = """
import numpy as np
from walras.runtime import interrupt

a = np.random.default_rng(0).normal(size=(2000, 2000))
with interrupt.catching():
    print("ready", flush=True)
    np.linalg.svd(a)  # seconds in LAPACK, no Python run (as XLA compiling a large program)
    print("the call ended", flush=True)
"""


def test_ctrl_c_is_seen_during_a_long_call_and_twice_stops_at_once():
    """While the main thread is in one long call that runs no Python, the first Ctrl-C says at
    once what happens and the second ends the process (exit code 130) before the call ends."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.Popen(
        [sys.executable, "-c", LONG_CALL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert run.stdout.readline().strip() == b"ready"
    time.sleep(0.3)
    run.send_signal(signal.SIGINT)
    time.sleep(0.3)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130 and b"the call ended" not in out
    assert b"Ctrl-C: stopping at the next step" in err and b"stopped at once" in err


def test_levenberg_marquardt_asked_to_stop_before_it_begins_evaluates_nothing():
    """After Ctrl-C a solve that has not begun (the next of a walk, the last polish) returns
    its start without a linearisation, which may take minutes at a high degree."""

    def residual(theta):
        raise AssertionError("evaluated after Ctrl-C")

    with interrupt.catching():
        os.kill(os.getpid(), signal.SIGINT)
        result = levenberg_marquardt(residual, np.array([1.0, 2.0]))
    assert result.interrupted and result.iterations == 0 and result.history == []
    np.testing.assert_array_equal(result.theta, [1.0, 2.0])


@pytest.fixture
def ctrl_c_at(monkeypatch):
    """Send SIGINT to this process at the n-th step a progress bar counts."""

    def arm(n):
        advance, calls = progress.Progress.advance, []

        def advance_then_kill(self, k, loss):
            advance(self, k, loss)
            calls.append(k)
            if len(calls) == n:
                os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(progress.Progress, "advance", advance_then_kill)

    return arm


def test_neural_polish_stops_and_keeps_its_iterations(ctrl_c_at, tmp_path):
    ctrl_c_at(5)  # the start, two Adam chunks, then the second polish iteration
    ckpt = tmp_path / "lucas.ckpt"
    solution = walras.solve("lucas", method="neural", steps=100, polish=40, checkpoint=ckpt)
    assert solution.outcome is Outcome.INTERRUPTED
    assert solution.message.startswith("interrupted during the polish")
    assert len(solution.history) == 100 + 2  # Adam's steps and the polish's two iterations
    assert np.all(np.isfinite(solution.dataset["pd"].values))
    assert ckpt.exists()


def test_neural_error_estimate_stops_at_its_next_product(monkeypatch):
    """Ctrl-C as the estimate's least-squares solve begins (hundreds of Jacobian-vector products,
    minutes on a three-state model, where a new user's SIGTERM waited more than a minute): the
    first product stops it, and the solve says where it was interrupted."""
    from walras.runtime.solvers.neural import estimate

    step, products = estimate.gauss_newton_step, []

    def ctrl_c_then_step(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return step(*args, **kwargs)

    monkeypatch.setattr(estimate, "gauss_newton_step", ctrl_c_then_step)
    check = interrupt.check
    monkeypatch.setattr(interrupt, "check", lambda: products.append(1) or check())
    solution = walras.solve("lucas", method="neural", steps=100, polish=0)
    assert solution.outcome is Outcome.INTERRUPTED
    assert solution.message.startswith("interrupted during the error estimate")
    assert products == [1] and solution.errors == {}
    assert np.all(np.isfinite(solution.dataset["pd"].values))


def test_collocation_stops_between_iterations(ctrl_c_at):
    ctrl_c_at(2)  # after the second Levenberg-Marquardt iteration, on the homotopy's first step
    solution = walras.solve(
        "lucas", method="collocation", homotopy="gamma=1", homotopy_steps=5, degree=8
    )
    assert solution.outcome is Outcome.INTERRUPTED and not solution.converged
    assert solution.message.startswith("interrupted at degree 8, not converged: ")


def start(tmp_path, *args):
    """`walras solve lucas ARGS` in a subprocess, once it says it is solving."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "walras.cli", "solve", "lucas", *map(str, args)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert MARKER in proc.stderr.readline()
    return proc


def stop(proc, number=signal.SIGINT):
    proc.send_signal(number)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def test_ctrl_c_while_tracing_saves_the_start(tmp_path):
    proc = start(tmp_path, "-o", "early.nc", "--method", "neural", "--steps", 100_000)
    code, text = stop(proc)  # during the warm start's tracing and compilation
    assert code == 130, text
    assert "interrupted at step 0" in text and "Exception ignored" not in text
    assert "continue with --resume" in text
    assert (tmp_path / "early.nc").exists() and (tmp_path / "early.ckpt").exists()
    with xr.open_dataset(tmp_path / "early.nc", engine="h5netcdf") as ds:
        assert ds.attrs["converged"] == 0 and ds.attrs["message"].startswith("interrupted")


@pytest.mark.slow
def test_ctrl_c_during_adam_then_resume(tmp_path):
    proc = start(
        tmp_path,
        "-o",
        "run.nc",
        "--method",
        "neural",
        "--steps",
        100_000,
        "--solver",
        "checkpoint_every=50",
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "run.ckpt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    code, text = stop(proc)
    assert code == 130, text
    with xr.open_dataset(tmp_path / "run.nc", engine="h5netcdf") as ds:
        first = ds["loss"].values
        assert ds.attrs["message"] == f"interrupted at step {len(first)}"
    assert len(first) >= 50 and len(first) % 50 == 0
    more = len(first) + 100
    done = subprocess.run(
        [sys.executable, "-m", "walras.cli", "solve", "lucas", "-o", "run.nc", "--resume"]
        + ["--method", "neural", "--steps", str(more), "--polish", "0", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr
    path = tmp_path / ("run.nc" if done.returncode == 0 else "run.unconverged.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        resumed = ds["loss"].values
    assert len(resumed) == more
    np.testing.assert_array_equal(resumed[: len(first)], first)


def test_ctrl_c_during_collocation_saves_what_it_reached(tmp_path):
    proc = start(tmp_path, "--method", "collocation", "-o", "col.nc", "--homotopy", "gamma=1")
    code, text = stop(proc)
    assert code == 130, text
    assert "results so far in col.nc" in text and "--resume" not in text
    with xr.open_dataset(tmp_path / "col.nc", engine="h5netcdf") as ds:
        assert ds.attrs["message"].startswith("interrupted")
        assert ds.attrs["converged"] == 0


def test_sigterm_stops_and_saves_like_ctrl_c(tmp_path):
    """SIGTERM (`timeout`, `kill`, a batch scheduler at the end of a job's time) stops the solve
    at its next step and saves what it reached, as Ctrl-C does; the exit code is 143."""
    proc = start(tmp_path, "--method", "collocation", "-o", "col.nc", "--homotopy", "gamma=1")
    code, text = stop(proc, signal.SIGTERM)
    assert code == 143, text
    assert "SIGTERM: interrupted" in text and "results so far in col.nc" in text
    with xr.open_dataset(tmp_path / "col.nc", engine="h5netcdf") as ds:
        assert ds.attrs["message"].startswith("interrupted")
        assert ds.attrs["converged"] == 0
