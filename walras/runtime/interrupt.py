"""Ctrl-C during a solve: the first one sets a flag that the solver loops check between steps
(they stop, and the solution keeps what they have) and says so; the second one stops the process
at once. Both are seen even while the main thread is in a long call that runs no Python (XLA
compiling a large program): a thread reads the presses from `signal.set_wakeup_fd`.

`catching()` installs the handler for the duration of a block (nested blocks share it) and
`requested()` reads the flag. Outside the main thread signals cannot be caught, and the block
changes nothing."""

from __future__ import annotations

import os
import signal
import sys
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


def _watch(presses: int) -> None:
    """The signals the interpreter's C handler writes to `presses` as they arrive: at the first
    Ctrl-C the flag, and a line saying what happens; at the second, the end of the process."""
    count = 0
    while data := os.read(presses, 64):
        for number in data:
            if number != signal.SIGINT:
                continue
            count += 1
            if count > 1:
                sys.stderr.write("\nCtrl-C again: stopped at once, nothing saved\n")
                sys.stderr.flush()
                os._exit(130)
            if _state["depth"]:  # (not a press read after its block ended)
                _state["requested"] = True
                sys.stderr.write(
                    "\nCtrl-C: stopping at the next step to save; again stops at once\n"
                )
    os.close(presses)


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
        presses, written = os.pipe()
        os.set_blocking(written, False)
        woken = signal.set_wakeup_fd(written, warn_on_full_buffer=False)
        threading.Thread(target=_watch, args=(presses,), daemon=True).start()
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if outer:
            signal.set_wakeup_fd(woken)
            os.close(written)  # the watching thread reads the end and closes its side
            signal.signal(signal.SIGINT, previous)
            _state["requested"] = False  # outside every block nothing was pressed
