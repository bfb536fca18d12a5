"""Tell a target that stopped completing IO from a slow one, by fio's status lines.

fio shows rates in its status line only while IO completes: a hung target's
lines read ``Jobs: 1 (f=1): [w(1)][40.0%][eta 00m:03s]``, with no rates, for
as long as the hang lasts (fio waits for every IO it issued, so a time-based
cell never ends either). fio also shows no rates in its first ~2 s and
during ramp time (state '/'), and none while it sets up or lays out files
(P C I p): those lines restart the clock instead of counting towards a stall.

A stall is `timeout_s` seconds with no line that shows a rate above zero
(or one of those waiting states) since fio started. A target that merely
slows down, however far, is not stalled: it completes IO, so fio shows a rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from nvmeprobe.errors import InputError
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.units import parse_seconds

DEFAULT_STALL_TIMEOUT_S = 120.0
"""Well past the NVMe driver's 30 s IO timeout and a busy QLC drive's pauses, short of an
afternoon.
"""

MIN_TIMEOUT_S = 5.0
"""Shorter limits would trip on healthy cells: fio shows no rates in its first ~2 s."""

_NOT_MEASURING = frozenset("PCIp/")


def stall_timeout(text: str) -> float | None:
    """Seconds from `--stall-timeout` ('2m', '90s'); None for '0' (never stop fio)."""
    seconds = parse_seconds(text)
    if seconds == 0:
        return None
    if seconds < MIN_TIMEOUT_S:
        raise InputError(
            f"--stall-timeout {text}: use 0 (off) or at least {MIN_TIMEOUT_S:.0f}s;"
            " fio shows no rates in its first seconds"
        )
    return seconds


class StallWatch:
    """Fed fio's status samples (from any thread); says when no IO has completed for `timeout_s`."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        self._last_progress = clock()
        self.stalled_s: float | None = None  # how long nothing had completed when it tripped

    def feed(self, status: FioStatus) -> None:
        """Take one status sample; completed IO (or a not-yet-measuring state) restarts the
        clock.
        """
        if status.completing or (status.states and set(status.states) <= _NOT_MEASURING):
            self._last_progress = self._clock()

    def check(self) -> bool:
        """True once no IO has completed for `timeout_s` (and stays True, with `stalled_s` set)."""
        if self.stalled_s is None:
            idle = self._clock() - self._last_progress
            if idle >= self.timeout_s:
                self.stalled_s = idle
        return self.stalled_s is not None
