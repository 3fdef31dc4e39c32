"""A progress bar with the loss and the time left (rich), silent when asked or not on a terminal."""

from __future__ import annotations

import sys

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _Rich


class Progress:
    def __init__(self, total: int, quiet: bool = False, description: str = "solving"):
        self.bar = None
        if not quiet:
            self.bar = _Rich(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.3e}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                disable=not sys.stderr.isatty(),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task(description, total=total, loss=float("nan"))

    def advance(self, n: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=n, loss=loss)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
