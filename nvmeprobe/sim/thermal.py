"""A drive's temperature and thermal throttling: a first-order model in modelled time, no I/O.

See docs/field-notes.md section 9. The temperature T relaxes towards
`ambient_c + heat_rise * load` with time constant `heat_tau`:

    dT/dt = (ambient_c + heat_rise * load - T) / heat_tau

where `load` is the share of unit time in service (0 idle, 1 every parallel
unit busy) over consecutive windows of `heat_tau / WINDOWS_PER_TAU`. Within a
window T follows the exact exponential, so threshold crossings are exact to
that window's load. Throttling starts when T reaches `throttle_c` and ends
when T falls to `throttle_c - throttle_hyst_c`; while throttled, the caller
multiplies every operation's cost by `throttle_factor` (`factor`). A
throttled drive's units stay busy under a sustained load, so it stays
throttled until the load drops: the bandwidth falls by the factor after a
*time*, and a load below `throttling_load` (truth) never throttles.

Busy time is booked by the caller as it schedules operations (`add_busy`),
possibly ahead of `now`; `advance(now)` applies every window that ended by
`now`. Idle stretches are applied in one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nvmeprobe.sim.params import DriveParams

WINDOWS_PER_TAU = 32
MAX_TRANSITIONS = 1000


@dataclass
class ThermalLog:
    """What the drive records: now, extremes, and times (modelled seconds) past its limits."""

    temperature_c: float
    max_temperature_c: float
    throttled: bool = False
    throttle_events: int = 0
    throttled_s: float = 0.0
    warning_s: float = 0.0  # time at or above wctemp_c
    critical_s: float = 0.0  # time at or above cctemp_c
    # (modelled time, throttled from then on, temperature): the last MAX_TRANSITIONS
    transitions: list[tuple[float, bool, float]] = field(default_factory=list)


def time_above(start: float, target: float, limit: float, length: float, tau: float) -> float:
    """Seconds of `length` that T(t) = target + (start - target) e^(-t/tau) spends >= `limit`."""
    if start >= limit and target >= limit:
        return length
    if start < limit and target <= limit:
        return 0.0
    crossing = tau * math.log((start - target) / (limit - target))
    return min(length, crossing) if start >= limit else max(0.0, length - crossing)


def _crossing(start: float, target: float, limit: float, tau: float) -> float | None:
    """When T(t) first reaches `limit` from `start` (None: never)."""
    if start == limit:
        return 0.0
    if (start < limit) != (target > limit):
        return None
    return tau * math.log((start - target) / (limit - target))


class Thermal:
    """One drive's thermal state. Times in modelled seconds."""

    def __init__(self, params: DriveParams) -> None:
        self.params = params
        self.window = params.heat_tau / WINDOWS_PER_TAU
        self.log = ThermalLog(params.ambient_c, params.ambient_c)
        self._busy: dict[int, float] = {}  # window index -> unit-seconds in service
        self._next = 0  # first window not applied yet

    @property
    def factor(self) -> float:
        """What every operation's cost is multiplied by now."""
        return self.params.throttle_factor if self.log.throttled else 1.0

    def add_busy(self, start: float, end: float) -> None:
        """Book one unit in service from `start` to `end`."""
        width = self.window
        index = max(int(start // width), self._next)
        while start < end:
            edge = min(end, (index + 1) * width)
            if edge > start:
                self._busy[index] = self._busy.get(index, 0.0) + edge - start
                start = edge
            index += 1

    def advance(self, now: float) -> None:
        """Apply every window that ended by `now`."""
        last = int(now // self.window)
        while self._next < last:
            index = self._next
            if index in self._busy:
                load = self._busy.pop(index) / (self.params.units * self.window)
                self._apply(index * self.window, self.window, min(1.0, load))
                self._next = index + 1
            else:  # an idle stretch up to the next booked window
                upcoming = min((k for k in self._busy if k > index), default=last)
                stop = min(upcoming, last)
                self._apply(index * self.window, (stop - index) * self.window, 0.0)
                self._next = stop

    def _apply(self, at: float, length: float, load: float) -> None:
        p, log, tau = self.params, self.log, self.params.heat_tau
        start = log.temperature_c
        target = p.ambient_c + p.heat_rise * load
        log.warning_s += time_above(start, target, p.wctemp_c, length, tau)
        log.critical_s += time_above(start, target, p.cctemp_c, length, tau)
        if log.throttled:
            limit = p.throttle_c - p.throttle_hyst_c
            crossing = 0.0 if start <= limit else _crossing(start, target, limit, tau)
        else:
            limit = p.throttle_c
            crossing = 0.0 if start >= limit else _crossing(start, target, limit, tau)
        if crossing is not None and crossing <= length:
            if log.throttled:
                log.throttled_s += crossing
            else:
                log.throttled_s += length - crossing
                log.throttle_events += 1
            log.throttled = not log.throttled
            log.transitions = log.transitions[-MAX_TRANSITIONS + 1 :] + [
                (at + crossing, log.throttled, limit)
            ]
        elif log.throttled:
            log.throttled_s += length
        end = target + (start - target) * math.exp(-length / tau)
        log.temperature_c = end
        log.max_temperature_c = max(log.max_temperature_c, end)
