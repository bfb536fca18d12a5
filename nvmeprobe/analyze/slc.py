"""SLC write-cache exhaustion from a bandwidth-vs-bytes-written series.

Method (`slc_cache`):

1. Bin by bytes written: one bin per sample, at most `MAX_BINS`, of equal
   bytes written, each bin's rate its bytes over the time they took (exact
   whatever the log's window; see `bin_by_bytes`). This keeps the change-point step
   at a fixed cost (a 1,000,000-sample log becomes 1,000 bins) and puts the
   axis in bytes, the unit of the answer: the cache edge is located to
   1/`MAX_BINS` of the bytes written.
2. Change points on log(bw) with ruptures' KernelCPD (linear kernel: exact
   PELT for a change in mean, in C) and a penalty of 3 sigma^2 log(n), sigma
   the noise of log(bw) estimated robustly from first differences. Logs make
   multiplicative noise equal before and after the drop.
3. The drop is the change point whose split of the whole series into
   before/after explains the most variance with a fall (least-squares gain
   n_before n_after / n x fall^2): a short initial ramp or a wobble next to
   the edge cannot outscore the real edge. It is `detected` only when
   it is large (post/in throughput ratio < 0.8), significant (one-sided Welch t-test,
   p < 1e-4) and both sides hold at least `MIN_SEGMENT` bins and 2% of them.

Why not a hand-rolled threshold ("bw fell below 80% of the first samples"):
a threshold trips on one noisy sample or a GC stall, needs the in-cache rate
before it is known (the initial ramp is lower), and its smoothing window
delays the edge. Penalised change-point search finds the least-squares
segmentation, places the edge at the best split rather than at the first
sample under a line, copes with a ramp, folding phases and several steps,
and its penalty scales with the measured noise instead of a guessed one.

`cache_bytes` is bytes written at the end of the last in-cache bin;
`in_cache_bw` / `post_cache_bw` are the throughput (bytes over time) of the
bins on each side.
`recovered_bytes` is the cache size found in a second burst after idle: 0
when that burst runs at the post-cache rate, a lower bound (the whole burst,
flagged in the evidence) when it never drops; None without a detected first
drop or without a second burst.

`DropWatcher` is the live counterpart for the runner: fed one bandwidth
sample at a time, it says when a drop is confirmed, so writing can stop
instead of filling the drive.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nvmeprobe.analyze._common import require_columns
from nvmeprobe.errors import InputError
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "slc-kernelcpd/2"
MAX_BINS = 1000
MIN_SEGMENT = 5
MIN_SEGMENT_FRACTION = 0.02
DROP_RATIO = 0.8
ALPHA = 1e-4
PENALTY_SIGMAS = 3.0
SIGMA_FLOOR = 1e-3
IDLE_S = 30.0
SERIES_COLUMNS = ("t_s", "bw_bytes", "bytes_written")


@dataclass(frozen=True)
class SLCResult:
    """The `slc` finding of `analyze --json`. `detected` None = not measured."""

    detected: bool | None
    cache_bytes: int | None
    in_cache_bw: float | None
    post_cache_bw: float | None
    recovered_bytes: int | None
    evidence: dict = field(default_factory=dict)
    method_version: str = METHOD_VERSION
    fill_fraction: float | None = None  # share of the drive holding data when measured

    def to_dict(self) -> dict:
        """The contract keys plus `evidence` and `method_version`."""
        return jsonable(
            {
                "detected": self.detected,
                "cache_bytes": self.cache_bytes,
                "in_cache_bw": self.in_cache_bw,
                "post_cache_bw": self.post_cache_bw,
                "recovered_bytes": self.recovered_bytes,
                "fill_fraction": self.fill_fraction,
                "evidence": self.evidence,
                "method_version": self.method_version,
            }
        )


def not_measured(reason: str) -> SLCResult:
    """The `slc` finding when no bandwidth series was recorded."""
    return SLCResult(None, None, None, None, None, {"reason": reason})


def bin_by_bytes(
    series: pd.DataFrame, max_bins: int = MAX_BINS, throughput: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(bytes written at each bin's end, each bin's rate), bins of equal bytes.

    A bin's rate is its throughput: its bytes over the time they took
    (bytes written against time, interpolated at the bin edges), one bin per
    sample up to `max_bins`. A fine log quantises each sample to whole IOs
    per window (at 10 ms, 2 or 3 IOs: a median would pick one), and has no
    line for a window without a completion; bytes over time is exact either
    way. With `throughput` False, a bin's rate is the median of its samples'
    `bw_bytes` as given (series that are not bytes over time), and series of
    at most `max_bins` samples come back unbinned.
    """
    written, bw, t = _arrays(series)
    if throughput:
        if len(bw) < 2:
            return written, bw
        edges = np.linspace(written[0], written[-1], min(max_bins, len(bw)) + 1)
        at = np.interp(edges, written, t)
        return edges[1:], np.diff(edges) / np.maximum(np.diff(at), 1e-9)
    if len(bw) <= max_bins:
        return written, bw
    edges = np.linspace(written[0], written[-1], max_bins + 1)
    ends = np.searchsorted(written, edges[1:], side="right")
    ends[-1] = len(written)
    starts = np.r_[0, ends[:-1]]
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    medians = np.array([np.median(bw[a:b]) for a, b in zip(starts, ends)])
    return written[ends - 1], medians


def detect_drop(written: np.ndarray, bw: np.ndarray) -> dict:
    """Find the cache-exhaustion drop in a (binned) series; see the module docstring."""
    import ruptures as rpt  # imported here: the live DropWatcher must start fast
    from scipy import stats

    n = len(bw)
    min_seg = max(MIN_SEGMENT, math.ceil(MIN_SEGMENT_FRACTION * n))
    found: dict = {
        "detected": False,
        "cache_bytes": None,
        "in_cache_bw": None,
        "post_cache_bw": None,
        "evidence": {"bins": n, "median_bw": float(np.median(bw)) if n else None},
    }
    if n < 2 * min_seg:
        found["detected"] = None
        found["evidence"]["reason"] = f"too few samples ({n}) to find a drop"
        return found
    x = np.log(np.maximum(bw, 1.0))
    diffs = np.diff(x)
    sigma = max(
        SIGMA_FLOOR, 1.4826 * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2)
    )
    penalty = PENALTY_SIGMAS * sigma**2 * math.log(n)
    bkps = rpt.KernelCPD(kernel="linear", min_size=min_seg).fit(x).predict(pen=penalty)[:-1]
    found["evidence"].update(
        {
            "noise_sigma_log": sigma,
            "penalty": penalty,
            "change_points_bytes": [int(written[b - 1]) for b in bkps],
        }
    )
    candidates = [b for b in bkps if min_seg <= b <= n - min_seg]
    if not candidates:
        return found
    b = max(candidates, key=lambda k: _fall_gain(x, k))
    ratio = _throughput(bw[b:]) / _throughput(bw[:b])
    with warnings.catch_warnings():  # near-constant segments (a noiseless drive) are fine here
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(
            stats.ttest_ind(x[:b], x[b:], equal_var=False, alternative="greater").pvalue
        )
    found["evidence"].update(
        {"ratio": ratio, "p_value": p_value, "in_bins": int(b), "post_bins": int(n - b)}
    )
    if ratio < DROP_RATIO and p_value < ALPHA:
        found.update(
            {
                "detected": True,
                "cache_bytes": int(written[b - 1]),
                "in_cache_bw": _throughput(bw[:b]),
                "post_cache_bw": _throughput(bw[b:]),
            }
        )
    return found


def _throughput(bw: np.ndarray) -> float:
    """Bytes over time of bins of equal bytes: the harmonic mean of their rates.

    A drive that throttles on and off (heat with hysteresis) spends most of
    its time, but few of its bytes, at the low rate: a median over byte bins
    would not see the fall, the throughput does.
    """
    return float(len(bw) / np.sum(1.0 / np.maximum(bw, 1.0)))


def _fall_gain(x: np.ndarray, b: int) -> float:
    """Least-squares gain of splitting `x` at `b` into two means, 0 unless it falls."""
    left, right = float(x[:b].mean()), float(x[b:].mean())
    return b * (len(x) - b) / len(x) * (left - right) ** 2 if left > right else 0.0


def split_bursts(series: pd.DataFrame, idle_s: float = IDLE_S) -> list[pd.DataFrame]:
    """Cut a series at idle periods (no samples, or bw 0, for >= `idle_s`).

    Each burst's `bytes_written` is rebased to count from its own start.
    """
    require_columns(series, SERIES_COLUMNS, "bandwidth series")
    frame = series.loc[:, list(SERIES_COLUMNS)].dropna().sort_values("t_s", kind="stable")
    active = frame[frame["bw_bytes"] > 0]
    if active.empty:
        return []
    t = active["t_s"].to_numpy()
    cuts = np.flatnonzero(np.diff(t) >= idle_s) + 1
    bursts: list[pd.DataFrame] = []
    for part in np.split(np.arange(len(active)), cuts):
        burst = active.iloc[part]
        before = frame[frame["t_s"] < burst["t_s"].iloc[0]]["bytes_written"]
        base = float(before.iloc[-1]) if len(before) and len(bursts) else 0.0
        bursts.append(burst.assign(bytes_written=burst["bytes_written"] - base))
    return bursts


def slc_cache(
    series: pd.DataFrame, recovery: pd.DataFrame | None = None, idle_s: float = IDLE_S
) -> SLCResult:
    """SLC finding from a sustained-write series (and a second burst after idle).

    Without `recovery`, a series holding two bursts separated by idle time is
    split, and the second burst is the recovery burst.
    """
    bursts = split_bursts(series, idle_s)
    if not bursts:
        return SLCResult(None, None, None, None, None, {"reason": "no write samples"})
    if recovery is not None:
        second = split_bursts(recovery, idle_s)
        bursts = bursts[:1] + second[:1]
    first = detect_drop(*bin_by_bytes(bursts[0]))
    evidence = {
        "first_burst": first["evidence"],
        "bytes_observed": int(bursts[0]["bytes_written"].iloc[-1]),
    }
    recovered = None
    if first["detected"] and len(bursts) > 1:
        recovered, evidence["recovery"] = _recovered(bursts[1], first)
    return SLCResult(
        first["detected"],
        first["cache_bytes"],
        first["in_cache_bw"],
        first["post_cache_bw"],
        recovered,
        evidence,
    )


def _recovered(burst: pd.DataFrame, first: dict) -> tuple[int | None, dict]:
    """(cache bytes found in the recovery burst, evidence)."""
    found = detect_drop(*bin_by_bytes(burst))
    evidence = dict(found["evidence"], lower_bound=False)
    if found["detected"]:
        return found["cache_bytes"], evidence
    level = float(np.median(burst["bw_bytes"]))
    total = int(burst["bytes_written"].iloc[-1])
    if level <= first["post_cache_bw"] / DROP_RATIO:
        return 0, evidence
    if level >= first["in_cache_bw"] * DROP_RATIO:
        evidence["lower_bound"] = True
        return total, evidence
    evidence["reason"] = "recovery burst ran between the in-cache and post-cache rates"
    return None, evidence


def _arrays(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bytes written, bw, t_s) of a series, in time order, checked."""
    require_columns(series, SERIES_COLUMNS, "bandwidth series")
    frame = series.loc[:, list(SERIES_COLUMNS)].dropna().sort_values("t_s", kind="stable")
    written = frame["bytes_written"].to_numpy(dtype=float)
    bw = frame["bw_bytes"].to_numpy(dtype=float)
    if len(written) and (np.diff(written) < 0).any():
        raise InputError("bandwidth series: bytes_written must not decrease over time")
    if (bw < 0).any():
        raise InputError("bandwidth series: bw_bytes must not be negative")
    return written, bw, frame["t_s"].to_numpy(dtype=float)


class DropWatcher:
    """Live drop detector: `feed` each bandwidth sample; True once a drop is confirmed.

        A sample is low when it is under `ratio` x the reference level, the
        median of up to `reference_samples` recent samples that were not low
        (judged once `min_reference` of them are in, default `confirm_samples`;
        after skipping `warmup_samples`, so the initial ramp cannot set a high
        reference; a rising ramp only lifts the reference). A drop is confirmed
        when the median of the last `confirm_samples` samples is low and at least
        `min_confirm_bytes` were written since the episode began (the first low
        sample of the window when its median first turned low).
        With the default 9 samples, 5 must be low: a 10% noise series would need
        several 2-sigma dips in a row. `drop_bytes` / `drop_t_s` (bytes written and
    time at the start of the first low sample of the confirming window) estimate
    the cache size and when it ran out.
    """

    def __init__(
        self,
        confirm_samples: int = 9,
        min_confirm_bytes: int = 0,
        ratio: float = DROP_RATIO,
        warmup_samples: int = 3,
        reference_samples: int = 120,
        min_reference: int | None = None,
    ) -> None:
        if (
            confirm_samples < 1
            or not 0 < ratio < 1
            or warmup_samples < 0
            or reference_samples < confirm_samples
            or min_confirm_bytes < 0
        ):
            raise InputError(
                "DropWatcher: need confirm_samples >= 1, 0 < ratio < 1, "
                "warmup_samples >= 0, reference_samples >= confirm_samples"
            )
        self.confirm_samples = confirm_samples
        self.min_confirm_bytes = min_confirm_bytes
        self.ratio = ratio
        self.warmup_samples = warmup_samples
        self.min_reference = min(min_reference or confirm_samples, reference_samples)
        self._reference: deque[float] = deque(maxlen=reference_samples)
        self._recent: deque[tuple[float, float, bool]] = deque(maxlen=confirm_samples)
        self._low: deque[float] = deque(maxlen=confirm_samples)
        self._last_t = 0.0
        self._episode: tuple[float, float] | None = None  # (t, bytes) where the drop began
        self._seen = 0
        self._last_bytes = 0.0
        self.confirmed = False
        self.drop_bytes: float | None = None
        self.drop_t_s: float | None = None

    @property
    def reference_bw(self) -> float | None:
        """The current in-cache level (bytes/s), None before it is established."""
        return float(np.median(self._reference)) if self._reference else None

    @property
    def low_bw(self) -> float | None:
        """The post-drop level (bytes/s): median of the latest low samples, None before any."""
        return float(np.median(self._low)) if self._low else None

    def feed(self, t_s: float, bw_bytes: float, bytes_written: float) -> bool:
        """Take one sample; return True once a drop is confirmed (and ever after)."""
        if self.confirmed:
            if self.reference_bw is not None and bw_bytes < self.ratio * self.reference_bw:
                self._low.append(bw_bytes)
            return True
        self._seen += 1
        start_t, self._last_t = self._last_t, t_s
        start_bytes, self._last_bytes = self._last_bytes, bytes_written
        if self._seen <= self.warmup_samples:
            return False
        if len(self._reference) < self.min_reference:
            self._reference.append(bw_bytes)
            return False
        low = self.reference_bw is not None and bw_bytes < self.ratio * self.reference_bw
        self._recent.append((start_t, start_bytes, low))
        if low:
            self._low.append(bw_bytes)
        else:
            self._reference.append(bw_bytes)
        if len(self._recent) < self.confirm_samples:
            return False
        if 2 * sum(is_low for _, _, is_low in self._recent) <= len(self._recent):
            self._episode = None
            return False
        if self._episode is None:
            self._episode = next((t, b) for t, b, is_low in self._recent if is_low)
        if bytes_written - self._episode[1] < self.min_confirm_bytes:
            return False
        self.confirmed = True
        self.drop_t_s, self.drop_bytes = self._episode
        return True
