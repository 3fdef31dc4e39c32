"""Ctrl-C (SIGINT) or SIGTERM (`timeout`, `kill`, a batch scheduler ending a job) during a
solve: the first sets a flag that the solver loops check between steps (they stop, and the
solution keeps what they have) and says so; a second stops the process at once. Both are seen
even while the main thread is in a long call that runs no Python (XLA compiling a large
program): a thread reads the signals from `signal.set_wakeup_fd`.

`catching()` installs the handlers for the duration of a block (nested blocks share them),
`requested()` reads the flag and `by()` names the signal. Outside the main thread signals
cannot be caught, and the block changes nothing."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as the shell's
_state = {"depth": 0, "requested": None}


class Interrupted(Exception):
    """Raised inside a long computation that has no steps of its own to stop between (a least-
    squares solve by products) when Ctrl-C or SIGTERM came: its caller stops there."""


def check() -> None:
    """Raise `Interrupted` if Ctrl-C or SIGTERM came inside the current `catching()` block."""
    if requested():
        raise Interrupted


def requested() -> bool:
    """Whether Ctrl-C or SIGTERM came inside the current `catching()` block."""
    return _state["requested"] is not None


def by() -> tuple[str, int]:
    """The signal that asked the solve to stop, and the exit code that says so."""
    number = _state["requested"] or signal.SIGINT
    return NAMES[number], CODES[number]


def _handler(signum, frame) -> None:
    _state["requested"] = _state["requested"] or signum
    for number in NAMES:  # a second signal stops the process at once
        signal.signal(number, signal.SIG_DFL)


def _watch(presses: int) -> None:
    """The signals the interpreter's C handler writes to `presses` as they arrive: at the first
    the flag, and a line saying what happens; at the second, the end of the process."""
    count = 0
    while data := os.read(presses, 64):
        for number in data:
            if number not in NAMES:
                continue
            count += 1
            name = NAMES[signal.Signals(number)]
            if count > 1:
                sys.stderr.write(f"\n{name} again: stopped at once, nothing saved\n")
                sys.stderr.flush()
                os._exit(CODES[signal.Signals(number)])
            if _state["depth"]:  # (not a signal read after its block ended)
                _state["requested"] = _state["requested"] or signal.Signals(number)
                sys.stderr.write(
                    f"\n{name}: stopping at the next step to save; again stops at once\n"
                )
    os.close(presses)


@contextmanager
def catching() -> Iterator[None]:
    """Catch Ctrl-C and SIGTERM as a flag inside the block; the previous handlers come back
    after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer = _state["depth"] == 0
    if outer:
        previous = {number: signal.signal(number, _handler) for number in NAMES}
        _state["requested"] = None
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
            for number, handler in previous.items():
                signal.signal(number, handler)
            _state["requested"] = None  # outside every block nothing came
