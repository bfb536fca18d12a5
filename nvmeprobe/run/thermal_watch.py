"""Sample a drive's temperature while a sustained write runs (docs/field-notes.md section 9).

A thread reads the drive's thermal report (`Session.thermal`: composite
temperature and throttling counters) when the cell starts, then every
`INTERVAL_S`, and once more when it ends. The first and last snapshots say
whether the throttling counters moved during the cell; the temperatures,
seconds from the cell's start, become the profile's "temp" series. A target
that reports no temperature is read once and then left alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pandas as pd

from nvmeprobe.discover.thermal_log import ThermalCounters, throttling_moved
from nvmeprobe.errors import ProbeError

INTERVAL_S = 1.0

ThermalReader = Callable[[], "ThermalCounters | None"]


class ThermalWatch:
    """Context manager: samples `read` from entry to exit on a background thread."""

    def __init__(self, read: ThermalReader, interval_s: float = INTERVAL_S) -> None:
        self.read = read
        self.interval_s = interval_s
        self.samples: list[tuple[float, int]] = []
        self.first: ThermalCounters | None = None
        self.last: ThermalCounters | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0

    def _take(self) -> ThermalCounters | None:
        try:
            counters = self.read()
        except ProbeError:  # a drive that stops answering its logs: no sample, not a failure
            return None
        if counters is None:
            return None
        if self.first is None:
            self.first = counters
        self.last = counters
        if counters.temperature_c is not None:
            self.samples.append((time.monotonic() - self._start, counters.temperature_c))
        return counters

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._take()

    def __enter__(self) -> ThermalWatch:
        self._start = time.monotonic()
        first = self._take()
        if first is not None and first.reports_anything:
            self._thread = threading.Thread(target=self._loop, name="thermal-watch", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._take()

    @property
    def throttling(self) -> bool | None:
        """Whether the drive's throttling counters moved during the cell (None: not reported)."""
        return throttling_moved(self.first, self.last)

    def series(self, cell_id: str) -> pd.DataFrame | None:
        """The temperatures as profile series rows ("temp", degrees C), None when none."""
        if not self.samples:
            return None
        t_s, value = zip(*self.samples)
        return pd.DataFrame(
            {
                "series": "temp",
                "cell": cell_id,
                "t_s": list(t_s),
                "value": [float(v) for v in value],
            }
        )
