"""The drive model: service times and exact counters, in modelled time, no I/O.

Semantics (all exact, so tests can check measurements against them):

- A request (offset, length) touches IUs floor(offset/IU) .. ceil((offset+length)/IU)-1.
  An IU is *partially covered* when the request does not cover all of it: at
  most the first and the last. A write is *unaligned* when its start or its
  end is not a multiple of the IU; its start is unaligned (`unaligned_starts`,
  what OCP's C0h log counts as Unaligned I/O) when its offset is not.
- Writes: media bytes written = touched IUs x IU (so over any run, media bytes
  equal the IU-rounded host writes exactly). Each partially covered IU is a
  read-modify-write: counted in `rmw_count`, its IU is read from media
  (`media_bytes_read`) and it costs `rmw_time` on top of its program.
- SLC cache: IUs are programmed, in request order, at `slc_program_time`
  while `cache_remaining_bytes` >= IU (each consumes IU bytes of cache),
  then at `program_time` (the native rate). When the drive has been idle (no
  IU operation in service) for longer than `fold_delay`, the cache refills at
  `fold_rate` bytes per modelled second, up to its size.
- Dynamic cache (`slc_free_share` > 0): the cache idle folding can restore
  (`cache_limit_bytes`) is `slc_bytes` + `slc_free_share` x the free space
  (IUs never written, or trimmed whole), in whole IUs; the drive starts empty with its cache
  at that limit. Writing does not shrink the cache left for the burst in
  progress (`cache_remaining_bytes`: what the next burst writes in cache);
  idle folding refills it only up to the limit at the fill of that moment.
- Folding (`folding_bytes` > 0): when a write finds the cache used up, the
  next `folding_bytes` of IUs (`fold_pending_bytes`) program at
  `fold_program_time`, then writes run at `program_time`. Idle folding works
  off what is pending first, then refills the cache.
- Heat (`heat_rise` > 0): `thermal.Thermal` follows the temperature from the
  units' busy time; while throttled every IU operation (reads too) costs
  `throttle_factor` times its time.
- Reported counters (`refresh` > 0): the logs show `counters` as they stood
  at the last multiple of `refresh` (`reported`); temperature stays live.
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
from nvmeprobe.sim.thermal import Thermal


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
    unaligned_writes: int = 0  # start or end not IU-aligned
    unaligned_starts: int = 0  # start not IU-aligned: OCP C0h "Unaligned I/O"
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
        self.reported = Counters()
        self.thermal = Thermal(params) if params.heat_rise else None
        self.fold_pending = 0
        self._cache_ran_out = False
        self._mapped = bytearray(params.capacity // params.iu) if params.slc_free_share else None
        self._mapped_ius = 0
        self.cache_remaining = self.cache_limit()
        self._units = [0.0] * params.units  # a heap of the times each unit frees
        self._busy_until = 0.0
        self.burst_start = 0.0  # the first IO after more than fold_delay of idle
        self._folded_to = 0.0
        self._refreshed = 0  # index of the refresh period `reported` belongs to
        self._noise = random.Random(params.seed)
        self._faults = random.Random(params.seed)
        self._lognormal_mu = -(params.noise**2) / 2

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

    def cache_limit(self) -> int:
        """Bytes of cache idle folding can restore at the current fill."""
        p = self.params
        if self._mapped is None:
            return p.slc_bytes
        return p.slc_bytes + p.dynamic_cache(p.capacity - self._mapped_ius * p.iu)

    def write(self, offset: int, length: int, now: float) -> float:
        """Account a write arriving at `now`; return when it completes."""
        p, c = self.params, self.counters
        self._advance(now)
        first, touched, head, tail = iu_span(offset, length, p.iu)
        self._map(first, first + touched, 1)
        c.host_write_commands += 1
        c.host_bytes_written += length
        c.media_bytes_written += touched * p.iu
        partial = head + tail
        c.rmw_count += partial
        c.media_bytes_read += partial * p.iu
        if offset % p.iu or (offset + length) % p.iu:
            c.unaligned_writes += 1
        c.unaligned_starts += offset % p.iu != 0
        cached = min(touched, self.cache_remaining // p.iu)
        self.cache_remaining -= cached * p.iu
        c.slc_bytes_written += cached * p.iu
        folding = self._folding(touched - cached)
        costs = (
            [p.slc_program_time] * cached
            + [p.fold_program_time] * folding
            + [p.program_time] * (touched - cached - folding)
        )
        if head:
            costs[0] += p.rmw_time
        if tail:
            costs[-1] += p.rmw_time
        return self._schedule(costs, now)

    def read(self, offset: int, length: int, now: float) -> float:
        """Account a read arriving at `now`; return when it completes."""
        p, c = self.params, self.counters
        self._advance(now)
        _, touched, _, _ = iu_span(offset, length, p.iu)
        c.host_read_commands += 1
        c.host_bytes_read += length
        c.media_bytes_read += touched * p.iu
        return self._schedule([p.read_time] * touched, now)

    def trim(self, offset: int, length: int, now: float) -> None:
        """Account a trim (deallocate) arriving at `now`: whole IUs inside it become free."""
        iu = self.params.iu
        self._advance(now)
        self.counters.trimmed_bytes += length
        self._map(-(-offset // iu), (offset + length) // iu, 0)

    def snapshot(self, now: float) -> dict:
        """Counters, cache, thermal and reported state at `now` (folding applied).

        Flat counters are the truth now; `reported` holds what the logs show.
        """
        self._advance(now)
        state = {
            **asdict(self.counters),
            "cache_remaining_bytes": self.cache_remaining,
            "busy_until_s": self._busy_until,
            "burst_start_s": self.burst_start,
            "reported": asdict(self.reported),
        }
        p = self.params
        if self._mapped is not None:
            state.update(cache_limit_bytes=self.cache_limit(), mapped_bytes=self._mapped_ius * p.iu)
        if p.folding_bytes:
            state["fold_pending_bytes"] = self.fold_pending
        if self.thermal:
            state["thermal"] = asdict(self.thermal.log)
        return state

    def _advance(self, now: float) -> None:
        """Bring refresh, temperature and folding up to `now`, before an event there."""
        p = self.params
        if p.refresh:
            period = int(now // p.refresh)
            if period > self._refreshed:  # no event since the refresh: counters stand as then
                self._refreshed = period
                self.reported = Counters(**asdict(self.counters))
        else:
            self.reported = self.counters
        if self.thermal:
            self.thermal.advance(now)
        self._fold(now)

    def _map(self, first: int, end: int, value: int) -> None:
        """Mark IUs first..end-1 written (1) or free (0), for the dynamic cache."""
        if self._mapped is None or end <= first:
            return
        marked = self._mapped[first:end].count(1)
        self._mapped_ius += (end - first - marked) if value else -marked
        self._mapped[first:end] = bytes([value]) * (end - first)

    def _folding(self, uncached: int) -> int:
        """How many of `uncached` IUs program at the folding rate (starting folding when due)."""
        p = self.params
        if not p.folding_bytes or not uncached:
            return 0
        if not self._cache_ran_out:
            self._cache_ran_out = True
            self.fold_pending = p.folding_bytes
        folding = min(uncached, -(-self.fold_pending // p.iu))
        self.fold_pending = max(0, self.fold_pending - folding * p.iu)
        return folding

    def _fold(self, now: float) -> None:
        p = self.params
        start = max(self._busy_until + p.fold_delay, self._folded_to)
        limit = self.cache_limit()
        if now > start and (self.cache_remaining < limit or self.fold_pending):
            refill = round((now - start) * p.fold_rate)
            paid = min(self.fold_pending, refill)
            self.fold_pending -= paid
            if refill > paid:
                self.cache_remaining = min(limit, self.cache_remaining + refill - paid)
                self._cache_ran_out = False
        self._folded_to = max(self._folded_to, now)

    def _schedule(self, costs: list[float], now: float) -> float:
        units, noise, thermal = self._units, self.params.noise, self.thermal
        factor = thermal.factor if thermal else 1.0
        if now > self._busy_until + self.params.fold_delay:
            self.burst_start = now
        finish = now
        for cost in costs:
            if noise:
                cost *= self._noise.lognormvariate(self._lognormal_mu, noise)
            cost *= factor
            end = max(now, units[0]) + cost
            heapq.heapreplace(units, end)
            if thermal:
                thermal.add_busy(end - cost, end)
            finish = max(finish, end)
        self._busy_until = max(self._busy_until, finish)
        return finish
