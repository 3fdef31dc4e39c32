"""Progress of a solve or a simulation: on a terminal a bar with the loss and the time left
(rich); elsewhere (a log file, a batch job) a line on stderr every `EVERY` seconds of a long run;
silent when asked.

A solver whose inner iterations run deep in shared code (collocation's Levenberg-Marquardt
calls) makes its progress `active`: each iteration of `least_squares` then counts on it
(`iteration`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _Rich

EVERY = 30.0  # seconds between the lines of a run that is not on a terminal

_ACTIVE: ContextVar[Progress | None] = ContextVar("progress", default=None)


def iteration(loss: float) -> None:
    """One iteration of an inner solver, counted on the active progress (if any)."""
    if (progress := _ACTIVE.get()) is not None:
        progress.advance(1, loss)


class Progress:
    """`total` steps (None: a count without an end, collocation's iterations), advanced with
    the loss after each (without `loss`, a count alone: simulation)."""

    def __init__(
        self,
        total: int | None,
        quiet: bool = False,
        description: str = "solving",
        loss: bool = True,
    ):
        self.bar, self.lines = None, None
        if quiet:
            return
        if not sys.stderr.isatty():
            self.lines = _Lines(total, description, loss)
            return
        left = (TextColumn("left"), TimeRemainingColumn()) if total is not None else ()
        self.bar = _Rich(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            *([TextColumn("loss {task.fields[loss]:.3e}")] if loss else []),
            TimeElapsedColumn(),
            *left,
            transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task(description, total=total, loss=float("nan"))

    def advance(self, n: int, loss: float = float("nan")) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=n, loss=loss)
        elif self.lines is not None:
            self.lines.advance(n, loss)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()

    @contextmanager
    def active(self) -> Iterator[Progress]:
        """Within: `iteration` counts on this progress; closed at the end."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)
            self.close()


class _Lines:
    """The progress as a line on stderr at most every `EVERY` seconds: what is done, the loss,
    the time spent and, with a total, the time left at the pace since the line before (a solve's
    steps differ in cost from phase to phase: the neural solver's polish iterations take a
    hundred times Adam's steps, and the pace so far said half a minute was left of ten)."""

    def __init__(self, total: int | None, description: str, loss: bool):
        self.total, self.description, self.loss = total, description, loss
        self.done, self.start = 0, time.monotonic()
        self.last, self.last_done = self.start, 0

    def advance(self, n: int, loss: float) -> None:
        self.done += n
        now = time.monotonic()
        if n == 0 or now - self.last < EVERY:
            return
        pace = (now - self.last) / max(self.done - self.last_done, 1)
        self.last, self.last_done = now, self.done
        spent = now - self.start
        if self.total is None:
            count = f"{self.done} iterations"
        else:
            count = f"{self.done}/{self.total}"
        shown = f", loss {loss:.3e}" if self.loss else ""
        line = f"{self.description}: {count}{shown}, {_clock(spent)} elapsed"
        if self.total and 0 < self.done < self.total:
            line += f", about {_clock(pace * (self.total - self.done))} left"
        print(line, file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))
