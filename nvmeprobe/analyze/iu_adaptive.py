"""Adaptive IU search: choose the next write probe from what has been measured.

Every byte written wears the drive, so instead of the full (bs x offset)
sweep the runner asks `next_probe` for one cell at a time until it returns
None, then calls `infer_from_points`. The policy is a pure function of the
points measured so far (no hidden state, so a resumed run continues where it
stopped):

1. Coarse: aligned writes at the LBA size and 8x steps below 256 KiB, and
   one baseline at 256 KiB (or `max_bs` if smaller); the baseline is the
   plateau of aligned sizes >= 128 KiB, see `iu.py`.
2. Bisect: between the largest penalised aligned size and the smallest size
   from which all aligned sizes are flat, probe the middle power of two until
   they are adjacent powers of two. That size is the knee. A knee pinned at
   the largest size measured may lie above it: double the size (up to
   `max_bs`) and bisect again.
3. Confirm: a write of the knee's size offset by half of it. If it pays, the
   knee is the IU. If it does not, the knee is per-IO overhead; probe writes
   offset by half at the coarse sizes below the knee, so the model fit can
   still find an IU there.
4. A flat curve from the LBA size on: no RMW penalty anywhere.
5. Tie-break: when the rule and the model fit (`iu.py`) disagree on the
   points so far, probe aligned writes at half the fit's IU and at it, and
   a write of its size offset by half, then stop.

From 512 B this is 4 coarse probes, at most 2 bisection probes and 1
confirmation for an IU up to 128 KiB: 7 cells against the 39 of a full sweep
to 1 MiB, and few of them large (large cells write the most bytes at equal
runtime).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from nvmeprobe.analyze import iu
from nvmeprobe.errors import InputError

COARSE_STEP = 8
BASELINE_BS = 2 * iu.BASELINE_MIN_BS


@dataclass(frozen=True)
class Probe:
    """One write cell to measure: random writes of `bs` bytes at `offset` + k*bs."""

    bs: int
    offset: int


@dataclass(frozen=True)
class Point:
    """A measured probe: its bandwidth and (optionally) the bytes it wrote."""

    bs: int
    offset: int
    bw_bytes: float
    bytes_written: int | None = None


def coarse_sizes(lba: int, max_bs: int) -> list[int]:
    """Aligned sizes of the coarse pass: lba * 8**k below the baseline size, then it."""
    top = min(max_bs, BASELINE_BS)
    sizes, bs = [], lba
    while bs < top:
        sizes.append(bs)
        bs *= COARSE_STEP
    return sizes + [top]


def next_probe(measured: list[Point], lba: int, max_bs: int) -> Probe | None:
    """The next cell to measure, or None when the IU is pinned."""
    _check(lba, max_bs)
    done = {(p.bs, p.offset) for p in measured}
    for bs in coarse_sizes(lba, max_bs):
        if (bs, 0) not in done:
            return Probe(bs, 0)
    factors = _factors(measured)
    aligned = factors[factors["offset"] % factors["bs"] == 0].groupby("bs")["factor"].median()
    sizes = list(aligned.index)
    flat = [f <= 1 + iu.TOL_FLOOR for f in aligned]
    knee_at = max((i + 1 for i, ok in enumerate(flat) if not ok), default=0)
    if knee_at == len(sizes):
        return _tie_break(measured, done, lba)  # the largest size is off the plateau
    if knee_at == 0:
        return _tie_break(measured, done, lba)  # flat from the smallest size: no penalty
    knee, lo = sizes[knee_at], sizes[knee_at - 1]
    between = [lo << i for i in range(1, 64) if lo << i < knee]
    if between:
        return Probe(between[len(between) // 2], 0)
    if knee == sizes[-1] and knee < max_bs:
        return Probe(min(2 * knee, max_bs), 0)  # pinned at the top: the knee may lie above
    confirm = (knee, knee // 2)
    if confirm not in done:
        return Probe(*confirm)
    misaligned = factors[(factors["bs"] == knee) & (factors["offset"] == knee // 2)]["factor"]
    if float(misaligned.median()) < (1 + iu.TOL_FLOOR) * float(aligned[knee]):
        for bs in coarse_sizes(lba, max_bs):
            if lba < bs < knee and (bs, bs // 2) not in done:
                return Probe(bs, bs // 2)
    return _tie_break(measured, done, lba)


def infer_from_points(
    points: list[Point], reported_iu: int | None = None, lba: int | None = None
) -> iu.IUResult:
    """The IU finding from adaptive probes (same inference as the full sweep)."""
    frame = _frame(points)
    return iu.infer_iu(frame, reported_iu, lba, {"adaptive": True, "probes": len(points)})


def _tie_break(measured: list[Point], done: set[tuple[int, int]], lba: int) -> Probe | None:
    """When the model fit and the rule disagree, probe around the fit's IU to settle it."""
    evidence = infer_from_points(measured, None, lba).evidence
    fit, rule = evidence.get("fit_iu"), evidence.get("rule_iu") or evidence.get("floor_bytes")
    if fit is None or fit == rule:
        return None
    for bs, offset in ((fit // 2, 0), (fit, 0), (fit, fit // 2)):
        if bs >= lba and offset % lba == 0 and (bs, offset) not in done:
            return Probe(bs, offset)
    return None


def _check(lba: int, max_bs: int) -> None:
    if lba <= 0 or lba & (lba - 1):
        raise InputError(f"LBA size must be a power of two, got {lba}")
    if max_bs < lba or max_bs % lba:
        raise InputError(f"max_bs {max_bs} must be a multiple of the LBA size {lba}")


def _frame(points: list[Point]) -> pd.DataFrame:
    return pd.DataFrame(
        [(p.bs, p.offset, p.bw_bytes) for p in points], columns=list(iu.POINT_COLUMNS)
    )


def _factors(points: list[Point]) -> pd.DataFrame:
    """The points with their cost per byte over the aligned baseline (`factor`)."""
    frame = _frame(points)
    baseline, _ = iu.baseline_cost(frame[frame["offset"] % frame["bs"] == 0])
    return frame.assign(factor=(1.0 / frame["bw_bytes"]) / baseline)
