"""A simulated drive as the NBD server sees it: model + data + clock, checked requests.

Requests are checked as a drive checks commands: offsets and lengths must be
multiples of the LBA size (else EINVAL); reads and trims past the end give
EINVAL, writes past the end ENOSPC (the NBD spec's choice). Service times
come from `DriveModel` in modelled time and leave here as real
`time.monotonic()` deadlines (asyncio's clock); a hung command's deadline is
`NEVER`.
"""

from __future__ import annotations

import errno
import sys
import time

from nvmeprobe.sim.identity import capture_files, identity
from nvmeprobe.sim.model import DriveModel
from nvmeprobe.sim.nbd import NEVER
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.store import DataStore


class SimDrive:
    """The served drive. All methods are called from one event loop thread."""

    def __init__(self, params: DriveParams) -> None:
        self.params = params
        self.model = DriveModel(params)
        self.store = DataStore(params.store_bytes)
        self.size = params.capacity
        self.min_block = params.lba
        self.preferred_block = max(params.reported_iu or params.lba, params.lba)
        self.store_full_errors = 0
        self.rejected_requests = 0
        self._scale = params.time_scale
        self._t0 = time.monotonic()

    def _now(self) -> float:
        return (time.monotonic() - self._t0) / self._scale

    def _real(self, model_time: float) -> float:
        return self._t0 + model_time * self._scale

    def _invalid(self, offset: int, length: int) -> bool:
        lba = self.params.lba
        bad = offset % lba != 0 or length % lba != 0
        self.rejected_requests += bad
        return bad

    def read(self, offset: int, length: int) -> tuple[int, bytes, float]:
        """(errno, data, real completion time) of a read."""
        if self._invalid(offset, length) or offset + length > self.size:
            return errno.EINVAL, b"", 0.0
        if self.model.fails(offset, length):
            return errno.EIO, b"", 0.0
        if self.model.hangs(offset, length):
            return 0, b"", NEVER
        finish = self.model.read(offset, length, self._now())
        return 0, self.store.read(offset, length), self._real(finish)

    def write(self, offset: int, data: bytes) -> tuple[int, float]:
        """(errno, real completion time) of a write."""
        length = len(data)
        if self._invalid(offset, length):
            return errno.EINVAL, 0.0
        if offset + length > self.size:
            return errno.ENOSPC, 0.0
        if self.model.fails(offset, length):
            return errno.EIO, 0.0
        if self.model.hangs(offset, length):
            return 0, NEVER
        if not self.store.write(offset, data):
            self._store_full()
            return errno.ENOSPC, 0.0
        return 0, self._real(self.model.write(offset, length, self._now()))

    def trim(self, offset: int, length: int) -> int:
        """errno of a trim: whole 4 KiB chunks inside the range then read as zeros."""
        if self._invalid(offset, length) or offset + length > self.size:
            return errno.EINVAL
        self.store.trim(offset, length)
        self.model.trim(offset, length, self._now())
        return 0

    def state(self) -> dict:
        """Counters, cache and store state now.

        `clock_t0` is the `time.monotonic()` of model time 0 (the clock is
        system-wide): an event at model time t happened at clock_t0 + t x scale.
        """
        now = self._now()
        return {
            **self.model.snapshot(now),
            "stored_bytes": self.store.stored_bytes,
            "store_full_errors": self.store_full_errors,
            "rejected_requests": self.rejected_requests,
            "model_time_s": now,
            "clock_t0": self._t0,
        }

    def stats(self) -> dict:
        """Exact counters plus identity, the true parameters and derived truths."""
        return {
            **self.state(),
            "identity": identity(self.params),
            "params": self.params.to_dict(),
            "truth": self.params.truth(),
        }

    def captures(self) -> dict[str, bytes]:
        """nvme-cli / sysfs captures of the drive as it is now."""
        return capture_files(self.params, self.state())

    def _store_full(self) -> None:
        if not self.store_full_errors:
            print(
                f"nvmeprobe sim: data store full ({self.store.stored_bytes} bytes held); "
                "new writes fail with ENOSPC: raise store= (up to the capacity)",
                file=sys.stderr,
                flush=True,
            )
        self.store_full_errors += 1
