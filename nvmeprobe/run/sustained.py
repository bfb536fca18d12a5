"""Sustained bursts (the SLC method, docs/design.md): when one runs, how far, and when it stops.

Every byte a burst writes wears the drive, so:

- Stop: once the live watcher confirms a drop at D bytes (the cache size),
  the burst writes on only to D + max(`STOP_SHARE` x D, `STOP_SECONDS` at the
  post-drop rate): enough post-drop samples for the analysis to judge the
  rates, never the rest of the drive (`StopRule`).
- A burst that `follows` another (a recovery burst after idle) runs only
  when that burst saw a drop (no drop: there is no cache to recover), and
  writes at most what that burst wrote (it cannot recover more cache than
  there was).
- A follower with a `rate_share` is the thermal confirmation
  (analyze/thermal.py): held to that share of the first burst's in-cache
  rate with fio's `rate=`. It runs only where the drop is not already told
  apart by the drive's own temperature against its limit, and is not
  stopped on a drop (its bandwidth is the rate limit's; fio's first
  samples run above it): its cap ends it.
- An idle period runs only when the burst after it runs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from nvmeprobe.analyze.slc import DropWatcher, bin_by_bytes, detect_drop
from nvmeprobe.plan import Cell
from nvmeprobe.units import format_bytes

STOP_SHARE = 0.25
STOP_SECONDS = 1.0
LAG_S = 0.15
RECENT_SAMPLES = 10
MARGIN_KEPT = 0.5


@dataclass
class StopRule:
    """Decides when a burst whose drop the watcher confirmed has written enough.

    It aims short of the bound by what the burst writes beyond the aim: the
    crossing is seen at the next live sample only and fio takes `LAG_S` to
    stop (both at the post-drop rate), the queue in flight drains, and the
    watcher places the edge late by up to one sample of in-cache writing (the
    sample straddling it is not yet low). Live samples come every 50 ms on an
    idle host and later on a busy one: the longest of the recent intervals
    counts. It keeps at least half of the margin for the analysis' post-drop
    samples.
    """

    watcher: DropWatcher
    queue_bytes: float = 0.0
    _times: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_SAMPLES + 1))

    def interval_s(self) -> float:
        """The longest of the recent intervals between live samples (0 before two)."""
        recent = np.diff(np.array(self._times))
        return float(recent.max()) if len(recent) else 0.0

    def stop_at(self) -> float | None:
        """Bytes written at which to stop, None before a drop is confirmed."""
        if not self.watcher.confirmed or self.watcher.drop_bytes is None:
            return None
        post = self.watcher.low_bw or 0.0
        margin = max(STOP_SHARE * self.watcher.drop_bytes, STOP_SECONDS * post)
        interval = self.interval_s()
        edge_late = max(self.queue_bytes, interval * (self.watcher.reference_bw or 0.0))
        slack = (LAG_S + interval) * post + self.queue_bytes + edge_late
        return self.watcher.drop_bytes + max(margin - slack, MARGIN_KEPT * margin)

    def feed(self, t_s: float, bw: float, bytes_written: float) -> bool:
        """Take one live sample; True once the burst should stop."""
        self._times.append(t_s)
        self.watcher.feed(t_s, bw, bytes_written)
        stop = self.stop_at()
        return stop is not None and bytes_written >= stop


@dataclass(frozen=True)
class LeaderDrop:
    """What the followed burst found: whether it dropped, where, at what rate, what it wrote."""

    seen: bool
    in_cache_bw: float | None
    written: int | None
    temperature_sampled: bool


def leader_drop(
    rows: pd.DataFrame, bw: pd.DataFrame | None, temps_sampled: bool, watched: dict
) -> LeaderDrop:
    """The followed burst's outcome from its cell rows, bw log and live watcher record."""
    write_rows = rows[rows["direction"] == "write"] if "direction" in rows else rows
    written = int(write_rows["host_bytes_written"].sum()) if len(write_rows) else None
    found = detect_drop(*bin_by_bytes(bw)) if bw is not None and len(bw) else {"detected": None}
    if found["detected"]:
        return LeaderDrop(True, found["in_cache_bw"], written, temps_sampled)
    if watched.get("drop_bytes") is not None:  # the live watcher saw it (a too-short log)
        return LeaderDrop(True, watched.get("in_cache_bw"), written, temps_sampled)
    return LeaderDrop(False, None, written, temps_sampled)


def prepare_follower(
    cell: Cell, leader: LeaderDrop, temperature_limit_c: float | None
) -> tuple[Cell | None, str]:
    """The cell to run (capped, rate-limited) or None, and why."""
    if not leader.seen:
        return None, f"the {cell.follows} burst saw no drop: nothing to recover or confirm"
    if cell.rate_share and temperature_limit_c is not None and leader.temperature_sampled:
        return None, (
            "the drive reports its temperature against a limit: the drop is judged"
            " by it, no lower-rate confirmation needed"
        )
    unit = (cell.bs or 1) * (cell.numjobs or 1)
    size = cell.size_bytes or 0
    if leader.written:
        size = min(size, max(unit, leader.written // unit * unit))
    extra, stop = cell.extra, cell.stop_on_drop
    if cell.rate_share:
        if not leader.in_cache_bw:
            return None, f"the {cell.follows} burst's in-cache rate is unknown"
        rate = int(cell.rate_share * leader.in_cache_bw / (cell.numjobs or 1))
        extra = tuple(sorted(dict(extra, rate=str(max(rate, 1))).items()))
        stop = False  # its bandwidth is the rate limit's, not the drive's: the cap ends it
    return replace(
        cell, size_bytes=size, extra=extra, est_bytes_written=size, stop_on_drop=stop
    ), ""


def rate_limit(cell: Cell) -> float | None:
    """The bytes/s a cell is held to over all its jobs (fio `rate=`), None at full rate."""
    rate = dict(cell.extra).get("rate")
    return float(rate) * (cell.numjobs or 1) if rate and rate.isdigit() else None


def max_write_note(cell: Cell) -> str | None:
    """What `plan` says a sustained cell can write at most, and why (None for other cells)."""
    if cell.kind != "sustained":
        return None
    size = cell.size_bytes or 0
    if cell.follows:
        note = f"at most what {cell.follows} wrote (runs only if it saw a drop)"
        if cell.rate_share:
            note += (
                f"; held to {cell.rate_share:.0%} of its in-cache rate, only where the drive"
                " reports no temperature limit"
            )
        return note
    if cell.stop_on_drop:
        return (
            f"{format_bytes(size)} if no drop; after a drop: the cache + max({STOP_SHARE:.0%}"
            f" of it, {STOP_SECONDS:g} s of post-drop writing)"
        )
    return f"{format_bytes(size)} (not stopped on a drop)"


class DumpFeed:
    """fio's status dumps (run/fio_progress.py) as samples for a `StopRule`.

    A dump gives cumulative (seconds, bytes written); consecutive dumps are
    merged until a sample spans `min_s` and `min_bytes` (a few queue-fulls:
    completions arrive in batches, and a sample holding one batch or none
    would swing the rate), then fed as bytes over time. Called with each
    dump, it returns True once the burst has written enough.
    """

    def __init__(self, rule: StopRule, min_bytes: float, min_s: float = 0.05) -> None:
        self.rule = rule
        self.min_bytes = min_bytes
        self.min_s = min_s
        self.stop = False
        self._last = (0.0, 0.0)

    def __call__(self, t_s: float, written: float) -> bool:
        t0, b0 = self._last
        if t_s - t0 >= self.min_s and written - b0 >= self.min_bytes:
            self._last = (t_s, written)
            self.stop = self.rule.feed(t_s, (written - b0) / (t_s - t0), written) or self.stop
        return self.stop
