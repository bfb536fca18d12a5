"""The drive model: service times and exact counters, in modelled time, no I/O.

Semantics (all exact, so tests can check measurements against them):

- A request (offset, length) touches IUs floor(offset/IU) .. ceil((offset+length)/IU)-1.
  An IU is *partially covered* when the request does not cover all of it: at
  most the first and the last. A write is *unaligned* when its start or its
  end is not a multiple of the IU.
- Writes: media bytes written = touched IUs x IU (so over any run, media bytes
  equal the IU-rounded host writes exactly). Each partially covered IU is a
  read-modify-write: counted in `rmw_count`, its IU is read from media
  (`media_bytes_read`) and it costs `rmw_time` on top of its program.
- SLC cache: IUs are programmed, in request order, at `slc_program_time`
  while `cache_remaining_bytes` >= IU (each consumes IU bytes of cache),
  then at `program_time` (the native rate). When the drive has been idle (no
  IU operation in service) for longer than `fold_delay`, the cache refills at
  `fold_rate` bytes per modelled second, up to its size.
- Reads cost `read_time` per touched IU.
- Parallel units: every IU operation of a request is one job for one of
  `units` identical units, given to the unit that frees first (FIFO, in
  arrival order). A request completes when its last IU operation does. So a
  large request is striped over units, and small requests' IOPS scale with
  queue depth until all units are busy; with all units busy, throughput is
  `units` / (sum of the IU operation times).
- Noise: each IU operation's time is multiplied by a log-normal factor of
  mean 1 and sigma `noise`, drawn from a generator seeded with `seed`.
- Faults: a read or write that overlaps `eio_lbas`, or loses a draw at
  `eio_rate` (a second generator, seeded with `seed`), fails at once with
  EIO: no data, no service time, no host or media bytes; `media_errors`
  counts it. One that overlaps `hang_lbas` is never answered, as by a hung
  controller (no bytes counted; `hung_commands` counts it).
- Trim and flush cost nothing and change no byte counters except
  `trimmed_bytes`.

All times are modelled seconds; the server multiplies by `time_scale`.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import asdict, dataclass

from nvmeprobe.sim.params import DriveParams


@dataclass
class Counters:
    """Exact counts since the drive started."""

    host_bytes_written: int = 0
    host_bytes_read: int = 0
    media_bytes_written: int = 0
    media_bytes_read: int = 0
    host_write_commands: int = 0
    host_read_commands: int = 0
    rmw_count: int = 0
    unaligned_writes: int = 0
    slc_bytes_written: int = 0
    trimmed_bytes: int = 0
    media_errors: int = 0
    hung_commands: int = 0


def iu_span(offset: int, length: int, iu: int) -> tuple[int, int, bool, bool]:
    """(first IU, touched IUs, first IU partial, last IU partial) of a request.

    When one IU is touched and partially covered, only the first flag is set.
    """
    if length <= 0:
        return offset // iu, 0, False, False
    end = offset + length
    first = offset // iu
    touched = -(-end // iu) - first
    head = offset % iu != 0 or (touched == 1 and end % iu != 0)
    tail = touched > 1 and end % iu != 0
    return first, touched, head, tail


def write_unit_time(params: DriveParams, offset: int, length: int, in_cache: bool) -> float:
    """Real seconds of unit time one write costs (noise aside): its cost per byte at full load."""
    _, touched, head, tail = iu_span(offset, length, params.iu)
    program = params.slc_program_time if in_cache else params.program_time
    return (touched * program + (head + tail) * params.rmw_time) * params.time_scale


class DriveModel:
    """One drive's state: counters, SLC cache, unit schedule. Times in modelled seconds."""

    def __init__(self, params: DriveParams) -> None:
        self.params = params
        self.counters = Counters()
        self.cache_remaining = params.slc_bytes
        self._units = [0.0] * params.units  # a heap of the times each unit frees
        self._busy_until = 0.0
        self._folded_to = 0.0
        self._noise = random.Random(params.seed)
        self._faults = random.Random(params.seed)
        self._lognormal_mu = -params.noise**2 / 2

    def fails(self, offset: int, length: int) -> bool:
        """True (and counted) when this read or write is to fail with an injected EIO."""
        failed = self._overlaps(self.params.eio_lbas, offset, length)
        if self.params.eio_rate and self._faults.random() < self.params.eio_rate:
            failed = True
        if failed:
            self.counters.media_errors += 1
        return failed

    def hangs(self, offset: int, length: int) -> bool:
        """True (and counted) when this read or write is never to be answered."""
        hung = self._overlaps(self.params.hang_lbas, offset, length)
        self.counters.hung_commands += hung
        return hung

    def _overlaps(self, lbas: tuple[int, int] | None, offset: int, length: int) -> bool:
        if lbas is None or length <= 0:
            return False
        lba = self.params.lba
        return offset // lba <= lbas[1] and (offset + length - 1) // lba >= lbas[0]

    def write(self, offset: int, length: int, now: float) -> float:
        """Account a write arriving at `now`; return when it completes."""
        p, c = self.params, self.counters
        self._fold(now)
        _, touched, head, tail = iu_span(offset, length, p.iu)
        c.host_write_commands += 1
        c.host_bytes_written += length
        c.media_bytes_written += touched * p.iu
        partial = head + tail
        c.rmw_count += partial
        c.media_bytes_read += partial * p.iu
        if offset % p.iu or (offset + length) % p.iu:
            c.unaligned_writes += 1
        cached = min(touched, self.cache_remaining // p.iu) if p.slc_bytes else 0
        self.cache_remaining -= cached * p.iu
        c.slc_bytes_written += cached * p.iu
        costs = [p.slc_program_time] * cached + [p.program_time] * (touched - cached)
        if head:
            costs[0] += p.rmw_time
        if tail:
            costs[-1] += p.rmw_time
        return self._schedule(costs, now)

    def read(self, offset: int, length: int, now: float) -> float:
        """Account a read arriving at `now`; return when it completes."""
        p, c = self.params, self.counters
        self._fold(now)
        _, touched, _, _ = iu_span(offset, length, p.iu)
        c.host_read_commands += 1
        c.host_bytes_read += length
        c.media_bytes_read += touched * p.iu
        return self._schedule([p.read_time] * touched, now)

    def trim(self, length: int) -> None:
        """Account a trim (deallocate)."""
        self.counters.trimmed_bytes += length

    def snapshot(self, now: float) -> dict:
        """Counters and cache state at `now` (folding applied)."""
        self._fold(now)
        return {**asdict(self.counters), "cache_remaining_bytes": self.cache_remaining,
                "busy_until_s": self._busy_until}

    def _fold(self, now: float) -> None:
        p = self.params
        start = max(self._busy_until + p.fold_delay, self._folded_to)
        if now > start and self.cache_remaining < p.slc_bytes:
            refill = round((now - start) * p.fold_rate)
            self.cache_remaining = min(p.slc_bytes, self.cache_remaining + refill)
        self._folded_to = max(self._folded_to, now)

    def _schedule(self, costs: list[float], now: float) -> float:
        units, noise = self._units, self.params.noise
        finish = now
        for cost in costs:
            if noise:
                cost *= self._noise.lognormvariate(self._lognormal_mu, noise)
            end = max(now, units[0]) + cost
            heapq.heapreplace(units, end)
            finish = max(finish, end)
        self._busy_until = max(self._busy_until, finish)
        return finish
