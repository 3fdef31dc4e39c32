"""Ctrl-C during a solve: the first one sets a flag that the solver loops check between steps
(they stop, and the solution keeps what they have); the second one stops the process at once.

`catching()` installs the handler for the duration of a block (nested blocks share it) and
`requested()` reads the flag. Outside the main thread signals cannot be caught, and the block
changes nothing."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = {"depth": 0, "requested": False}


def requested() -> bool:
    """Whether Ctrl-C was pressed inside the current `catching()` block."""
    return _state["requested"]


def _handler(signum, frame) -> None:
    _state["requested"] = True
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C stops the process at once


@contextmanager
def catching() -> Iterator[None]:
    """Catch Ctrl-C as a flag inside the block; the previous handler comes back after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer = _state["depth"] == 0
    if outer:
        previous = signal.signal(signal.SIGINT, _handler)
        _state["requested"] = False
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if outer:
            signal.signal(signal.SIGINT, previous)
            _state["requested"] = False  # outside every block nothing was pressed
