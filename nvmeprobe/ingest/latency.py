"""Completion-latency statistics of one fio IO direction, from its JSON block.

fio's json+ output carries the whole latency histogram as "bins": each key is
`plat_idx_to_val(i)`, the representative value (ns) of one log-linear bucket,
and each value a count. fio computes its printed percentiles from the same
buckets (stat.c `calc_clat_percentiles`): the first bucket at which the running
count reaches q/100 * N, compared in long double. `percentile_from_bins`
repeats that rule, so it reproduces fio's numbers and extends them to any q.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nvmeprobe.errors import InputError

# column suffix -> percentile
PERCENTILES: dict[str, float] = {
    "p50": 50.0,
    "p99": 99.0,
    "p99_9": 99.9,
    "p99_99": 99.99,
    "p99_999": 99.999,
}


def _bin_values(bins: dict[str, int]) -> np.ndarray:
    """Bin keys as numbers: fio's are integers (ns), parsed as such (faster than float)."""
    try:
        return np.fromiter(map(int, bins), dtype=np.int64, count=len(bins)).astype(np.float64)
    except ValueError:
        pass
    try:
        return np.fromiter(map(float, bins), dtype=np.float64, count=len(bins))
    except (TypeError, ValueError):
        raise InputError("fio latency bins must map numbers to counts") from None


def percentile_from_bins(bins: dict[str, int], q: float) -> float:
    """The q-th percentile (ns) of a fio json+ histogram; NaN for an empty one."""
    if not 0.0 <= q <= 100.0:
        raise InputError(f"percentile {q} is outside 0..100")
    if not bins:
        return math.nan
    try:
        counts = np.fromiter(bins.values(), dtype=np.int64, count=len(bins))
    except (TypeError, ValueError):
        raise InputError("fio latency bins must map numbers to counts") from None
    values = _bin_values(bins)
    if np.any(values[1:] < values[:-1]):  # fio writes bins in ascending order; others may not
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
    cumulative = np.cumsum(counts).astype(np.longdouble)
    total = cumulative[-1]
    if total <= 0:
        return math.nan
    threshold = np.longdouble(q) / np.longdouble(100.0) * total
    index = int(np.searchsorted(cumulative, threshold, side="left"))
    return float(values[min(index, len(values) - 1)])


def _printed_percentiles(block: dict[str, Any]) -> dict[float, float]:
    """fio's printed percentiles as {q: value}; fio 3.1's stray '0.00': 0 entry is dropped."""
    printed = block.get("percentile") or {}
    result = {}
    for key, value in printed.items():
        q = float(key)
        if q > 0.0:
            result[q] = float(value)
    return result


def completion_latency_us(stats: dict[str, Any]) -> dict[str, float]:
    """lat_mean_us, lat_min_us, lat_max_us and lat_<pNN>_us of one direction (NaN when unknown).

    fio >= 3.0 reports "clat_ns" in ns; fio 2.x reported "clat" in us (both kept).
    A direction with no completed IO has no latency: every value is NaN.
    """
    if "clat_ns" in stats:
        block, per_us = stats["clat_ns"], 1000.0
    else:
        block, per_us = stats.get("clat") or {}, 1.0
    samples = block.get("N", stats.get("total_ios", 0))
    result = {f"lat_{suffix}_us": math.nan for suffix in PERCENTILES}
    result.update(lat_mean_us=math.nan, lat_min_us=math.nan, lat_max_us=math.nan)
    if not samples:
        return result
    result.update(
        lat_mean_us=float(block["mean"]) / per_us,
        lat_min_us=float(block["min"]) / per_us,
        lat_max_us=float(block["max"]) / per_us,
    )
    printed = _printed_percentiles(block)
    bins = block.get("bins")
    for suffix, q in PERCENTILES.items():
        match = next((value for key, value in printed.items() if math.isclose(key, q)), None)
        if match is not None:
            result[f"lat_{suffix}_us"] = match / per_us
        elif bins:
            result[f"lat_{suffix}_us"] = percentile_from_bins(bins, q) / per_us
    return result
