"""Progress off a terminal (a log file, a batch job): a line on stderr every so often with what is
done, the loss and the time, from both solvers and from simulation; nothing when quiet. The
reference for each line's loss is the solve's own history."""

from __future__ import annotations

import re

import numpy as np
import pytest

import walras
from walras.runtime import progress

NEURAL = re.compile(
    r"^neural: (\d+)/(\d+), loss (\S+), \d+:\d\d:\d\d elapsed(, about \d+:\d\d:\d\d left)?$"
)
COLLOCATION = re.compile(r"^collocation: (\d+) iterations, loss (\S+), \d+:\d\d:\d\d elapsed$")


@pytest.fixture
def every_step(monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 0.0)


def lines(err: str, pattern: re.Pattern) -> list[tuple[str, ...]]:
    found = [pattern.match(line) for line in err.splitlines()]
    return [m.groups() for m in found if m]


def test_a_neural_solve_off_a_terminal_reports_its_steps(every_step, capsys):
    solution = walras.solve("lucas", method="neural", steps=100, polish=3, quiet=False)
    reported = lines(capsys.readouterr().err, NEURAL)
    done = [int(d) for d, *_ in reported]
    assert done[:2] == [50, 100]  # Adam's chunks, then each polish iteration
    assert done[-1] == 103 and all(total == "103" for _, total, *_ in reported)
    assert all(left for *_, left in reported[:-1]) and reported[-1][3] is None
    losses = [float(loss) for _, _, loss, _ in reported]
    np.testing.assert_allclose(losses, solution.history[np.asarray(done) - 1], rtol=1e-3)


def test_a_collocation_solve_off_a_terminal_counts_its_iterations(every_step, capsys):
    solution = walras.solve("lucas", method="collocation", degree=8, quiet=False)
    reported = lines(capsys.readouterr().err, COLLOCATION)
    assert [int(n) for n, _ in reported] == list(range(1, len(reported) + 1))
    # the first solve's iterations come first, each with the sum of squares its history keeps
    first = [float(loss) for _, loss in reported[:3]]
    np.testing.assert_allclose(first, solution.history[1:4], rtol=1e-3)
    assert float(reported[-1][1]) < 1e-20


def test_a_quiet_solve_says_nothing(every_step, capsys):
    walras.solve("lucas", method="collocation", degree=8, quiet=True)
    assert capsys.readouterr().err == ""


def test_lines_are_spaced_in_time(monkeypatch, capsys):
    clock = iter([0.0, 10.0, 31.0, 40.0, 65.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    bar = progress.Progress(40, description="neural")
    for _ in range(4):
        bar.advance(10, 0.5)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "neural: 20/40, loss 5.000e-01, 0:00:31 elapsed, about 0:00:31 left",
        "neural: 40/40, loss 5.000e-01, 0:01:05 elapsed",
    ]


def test_the_time_left_is_at_the_pace_since_the_line_before(monkeypatch, capsys):
    """100 steps in 31 s, then 2 in a minute (Adam's steps, then the polish's iterations): the
    8 left take 30 s each at the recent pace, 4 minutes, not 7 s at the pace so far."""
    clock = iter([0.0, 31.0, 91.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    bar = progress.Progress(110, description="neural")
    bar.advance(100, 0.5)
    bar.advance(2, 0.5)
    assert capsys.readouterr().err.splitlines() == [
        "neural: 100/110, loss 5.000e-01, 0:00:31 elapsed, about 0:00:03 left",
        "neural: 102/110, loss 5.000e-01, 0:01:31 elapsed, about 0:04:00 left",
    ]


def test_a_simulation_off_a_terminal_counts_its_saved_times(every_step, capsys):
    """About twenty calls, each advancing by the times it saved, to every saved time."""
    from test_simulation import OU

    from walras.runtime import dynamics, simulate

    ou = dynamics.from_solution(walras.solve(walras.load(OU)))
    capsys.readouterr()
    simulate.simulate(ou, paths=10, years=10.0, dt=0.1, start=[0.0], quiet=False)
    err = capsys.readouterr().err.splitlines()
    done = [int(re.match(r"^simulating: (\d+)/100, \d+:\d\d:\d\d elapsed", e)[1]) for e in err]
    assert done == list(range(5, 101, 5))
