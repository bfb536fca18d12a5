"""Stop signals: Ctrl-C, SIGTERM and SIGHUP stop a run cleanly, even when Python drops them.

A run stops as on Ctrl-C: fio is stopped, finished cells are kept, and
`run --resume` does the rest. Python runs signal handlers in the main
thread, between bytecodes, so the KeyboardInterrupt a handler raises can
land anywhere: inside sh while it starts fio (leaving a fio that nobody
stops), or in code that may not raise, such as the at-fork hooks, where
Python drops it ("Exception ignored in ..."). So the handler records every
stop signal; while fio is being started it only records it, and the
interrupt is raised once the process is known (`stop_signals_deferred`); and
the runner checks the record before each cell (`raise_if_stopped`).

Only the main thread can set signal handlers. When several targets run in
threads (run/parallel.py) the main thread takes the signals and stops every
target's fio; `stop_signals_as_interrupt` in a worker thread does nothing, and
a worker learns of the stop from the record (`raise_if_stopped`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, `kill`, and a closed terminal or SSH session."""

_received: list[int] = []
_deferring: list[bool] = []


@contextmanager
def stop_signals_as_interrupt() -> Iterator[None]:
    """While inside, a stop signal raises KeyboardInterrupt (unless deferred) and is recorded."""

    def handler(signum: int, frame: Any) -> None:
        _received.append(signum)
        if not _deferring:
            raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield  # the main thread handles the signals for every thread
        return
    _received.clear()
    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


@contextmanager
def stop_signals_deferred() -> Iterator[None]:
    """Inside, a stop signal is only recorded; on leaving, KeyboardInterrupt if one came."""
    _deferring.append(True)
    try:
        yield
    finally:
        _deferring.pop()
    raise_if_stopped()


def raise_if_stopped() -> None:
    """Raise KeyboardInterrupt if a stop signal arrived, even one whose exception was dropped."""
    if _received:
        raise KeyboardInterrupt(f"signal {_received[0]}")


def wait_for_threads(threads: list[threading.Thread]) -> None:
    """Join every thread; KeyboardInterrupt as soon as a stop signal arrives.

    The threads are left running when it raises: the caller stops their work.
    """
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
            raise_if_stopped()
