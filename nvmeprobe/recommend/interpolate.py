"""Rates, latencies and WAF at a workload's IO size and queue depth, from measured cells.

Per-IO service time (1/IOPS) and p99 latency are interpolated linearly in the IO
size between the two nearest measured sizes (service time is affine in size:
a fixed cost plus size over bandwidth), then linearly in log2(queue depth)
between the two nearest measured depths (queue depth = iodepth x numjobs).
Nothing is extrapolated silently: outside the measured sizes the nearest size
is used (constant IOPS below it, constant bandwidth and latency per byte above
it), outside the measured depths the nearest depth, and each such step adds a
note that ends up in the placement's reasons.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from math import log2

import pandas as pd

from nvmeprobe.units import format_bytes
from nvmeprobe.unknown import optional_float

PATTERN_MODES = {"random": {"randread", "randwrite"}, "sequential": {"read", "write"}}
"""Pure fio modes by access pattern; mixed modes (randrw, rw) are not used for prediction."""


@dataclass(frozen=True)
class Estimate:
    """Per-drive IOPS and p99 latency (us, None when not measured) with notes on how they
    were found.
    """

    iops: float
    p99_us: float | None
    notes: tuple[str, ...] = ()


def rate_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Aligned, pure-mode cells reduced to medians per (direction, pattern, bs, qd)."""
    pattern = {mode: name for name, modes in PATTERN_MODES.items() for mode in modes}
    rows = cells[cells["rw"].isin(pattern) & (cells["offset"] == 0) & (cells["iops"] > 0)].copy()
    rows["pattern"] = rows["rw"].map(pattern)
    rows["qd"] = rows["iodepth"] * rows["numjobs"]
    grouped = rows.groupby(["direction", "pattern", "bs", "qd"], as_index=False)
    return grouped.agg(iops=("iops", "median"), p99_us=("lat_p99_us", "median"))


def estimate(
    table: pd.DataFrame, direction: str, pattern: str, bs: int, qd: int
) -> Estimate | None:
    """IOPS and p99 for one IO kind on one drive; None when no cell measures that direction."""
    notes: list[str] = []
    rows = table[(table["direction"] == direction) & (table["pattern"] == pattern)]
    if rows.empty:
        other = "sequential" if pattern == "random" else "random"
        rows = table[(table["direction"] == direction) & (table["pattern"] == other)]
        if rows.empty:
            return None
        notes.append(f"no {pattern} {direction} cells measured: {other} {direction} cells used")
    depths = sorted(rows["qd"].unique())
    low, high, weight, note = _bracket(depths, qd)
    if note:
        notes.append(
            f"queue depth {qd} {note} measured depths {_span(depths)}: "
            f"rates at QD {low} used, not extrapolated"
        )
    at_low = _at_size(rows[rows["qd"] == low], bs, notes)
    at_high = _at_size(rows[rows["qd"] == high], bs, notes) if high != low else at_low
    time = (1 - weight) / at_low[0] + weight / at_high[0]
    p99 = None
    if at_low[1] is not None and at_high[1] is not None:
        p99 = (1 - weight) * at_low[1] + weight * at_high[1]
    return Estimate(iops=1 / time, p99_us=p99, notes=tuple(dict.fromkeys(notes)))


def _bracket(levels: list, x: float) -> tuple:
    """Two neighbours of x in log2 space and the weight of the upper one; a note when x is
    outside.
    """
    if x <= levels[0]:
        return levels[0], levels[0], 0.0, "below" if x < levels[0] else None
    if x >= levels[-1]:
        return levels[-1], levels[-1], 0.0, "above" if x > levels[-1] else None
    i = bisect_left(levels, x)
    lo, hi = levels[i - 1], levels[i]
    if hi == x:
        return hi, hi, 0.0, None
    return lo, hi, (log2(x) - log2(lo)) / (log2(hi) - log2(lo)), None


def _at_size(rows: pd.DataFrame, bs: int, notes: list[str]) -> tuple[float, float | None]:
    """(IOPS, p99 us) at `bs` from one queue depth's cells; clamps with a note outside them."""
    rows = rows.sort_values("bs")
    sizes = rows["bs"].tolist()
    times = (1 / rows["iops"]).tolist()
    lats = rows["p99_us"].tolist()
    span = _span([format_bytes(s) for s in sizes])
    if bs < sizes[0]:
        notes.append(
            f"IO size {format_bytes(bs)} below measured sizes {span}: "
            f"IOPS of {format_bytes(sizes[0])} used, not extrapolated"
        )
        return 1 / times[0], optional_float(lats[0])
    if bs > sizes[-1]:
        notes.append(
            f"IO size {format_bytes(bs)} above measured sizes {span}: "
            f"bandwidth and latency per byte of {format_bytes(sizes[-1])} used, not extrapolated"
        )
        ratio = bs / sizes[-1]
        lat = optional_float(lats[-1])
        return 1 / (times[-1] * ratio), None if lat is None else lat * ratio
    i = bisect_left(sizes, bs)
    if sizes[i] == bs:
        return 1 / times[i], optional_float(lats[i])
    w = (bs - sizes[i - 1]) / (sizes[i] - sizes[i - 1])
    time = (1 - w) * times[i - 1] + w * times[i]
    lo, hi = optional_float(lats[i - 1]), optional_float(lats[i])
    return 1 / time, None if lo is None or hi is None else (1 - w) * lo + w * hi


def _span(values: list) -> str:
    """'4 KiB..128 KiB' or '8' for one value."""
    return str(values[0]) if len(values) == 1 else f"{values[0]}..{values[-1]}"


def waf_table(cells: pd.DataFrame) -> dict[str, pd.Series]:
    """Measured media/host bytes of aligned pure-mode write cells by pattern, by IO size."""
    rows = cells[
        (cells["direction"] == "write")
        & (cells["offset"] == 0)
        & (cells["host_bytes_written"] > 0)
        & (cells["media_bytes_written"] > 0)
    ]
    found = {}
    for pattern, modes in PATTERN_MODES.items():
        sums = (
            rows[rows["rw"].isin(modes)]
            .groupby("bs")[["media_bytes_written", "host_bytes_written"]]
            .sum()
        )
        found[pattern] = (sums["media_bytes_written"] / sums["host_bytes_written"]).sort_index()
    return found


def along_size(series: pd.Series, bs: int) -> float | None:
    """A per-IO-size value at `bs`, linear in log2(size), held at the ends; None when empty."""
    if series.empty:
        return None
    sizes = series.index.tolist()
    if bs <= sizes[0]:
        return float(series.iloc[0])
    if bs >= sizes[-1]:
        return float(series.iloc[-1])
    i = bisect_left(sizes, bs)
    if sizes[i] == bs:
        return float(series.iloc[i])
    w = (log2(bs) - log2(sizes[i - 1])) / (log2(sizes[i]) - log2(sizes[i - 1]))
    return float((1 - w) * series.iloc[i - 1] + w * series.iloc[i])
