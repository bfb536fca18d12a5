"""The write rates a plan's byte estimates rest on, and what they rest on.

- `measured`: the drive's own rates from a profile of an earlier run. A cell
  measured there (same rw, bs, offset, QD, jobs, read share) is estimated at
  its measured write bandwidth; any other cell at min(peak write bandwidth,
  peak write IOPS x bs) of that profile.
- `bound`: limits no device of the kind exceeds (`KIND_BOUNDS`, IOPS and
  bandwidth), so the bytes are an upper bound ("up to"), never an estimate.
  A small random write is bounded by IOPS x bs, not by bandwidth alone.
- `given`: an expected write bandwidth set in the target facts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nvmeprobe.plan.model import Cell

GIB = 1024**3

# device kind (inspect's `kind`) -> (IOPS, bytes/s, why no device of the kind is faster)
KIND_BOUNDS: dict[str, tuple[float, float, str]] = {
    "nvme": (5e6, 16 * GIB, "PCIe 5.0 x4"),
    "loop": (1e6, 16 * GIB, "the kernel loop driver over memory"),
    "nbd": (1e6, 8 * GIB, "one NBD connection"),
    "virtio": (2e6, 16 * GIB, "a virtio-blk queue"),
}
DEFAULT_BOUND = (5e6, 16 * GIB, "any PCIe 5.0 x4 device")

RateKey = tuple[Any, ...]


def rate_key(rw: Any, bs: Any, offset: Any, iodepth: Any, numjobs: Any, rwmixread: Any) -> RateKey:
    """What makes two cells measure the same rate (None for missing values)."""

    def norm(value: Any) -> Any:
        if value is None or pd.isna(value):
            return None
        return str(value) if isinstance(value, str) else int(value)

    rw, bs, offset, iodepth, numjobs, rwmixread = map(
        norm, (rw, bs, offset, iodepth, numjobs, rwmixread)
    )
    return rw, bs, offset or 0, iodepth, numjobs or 1, rwmixread


def write_share(rw: str | None, rwmixread: int | None) -> float:
    """The fraction of a cell's IO that writes."""
    if rw in ("write", "randwrite"):
        return 1.0
    if rw in ("rw", "randrw"):
        return (100 - (rwmixread if rwmixread is not None else 50)) / 100
    return 0.0


@dataclass(frozen=True)
class WriteRates:
    """Write IOPS and bandwidth for estimates; `basis` is measured, bound or given."""

    basis: str
    source: str  # the profile, the device kind's limit, or "target facts"
    max_iops: float
    max_bw: float
    measured: Mapping[RateKey, float] = field(default_factory=dict, hash=False)

    @property
    def is_bound(self) -> bool:
        """True when the bytes these rates give are upper bounds, not estimates."""
        return self.basis == "bound"

    def write_bw(self, cell: Cell) -> float:
        """Bytes/s that `cell` writes at these rates."""
        key = rate_key(cell.rw, cell.bs, cell.offset, cell.iodepth, cell.numjobs, cell.rwmixread)
        if key in self.measured:
            return self.measured[key]
        share = write_share(cell.rw, cell.rwmixread)
        return min(self.max_bw, self.max_iops * (cell.bs or 0)) * share

    def describe(self) -> str:
        """What the bytes rest on, for the summary line."""
        if self.basis == "measured":
            return "estimated from the drive's measured rates in"
        if self.basis == "given":
            return f"estimated at the expected {self.max_bw / 1024**2:,.0f} MiB/s ({self.source})"
        return (
            f"upper bounds, {self.max_iops:,.0f} IOPS and {self.max_bw / GIB:,.0f} GiB/s"
            f" ({self.source}); after a run on this drive, plans estimate from its"
            " own rates"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "source": self.source,
            "max_iops": self.max_iops,
            "max_bw": self.max_bw,
            "measured_cells": len(self.measured),
        }


def bound_rates(kind: str | None) -> WriteRates:
    """Limits that hold for every device of `kind` (inspect's kind: nvme, loop, nbd, ...)."""
    iops, bw, why = KIND_BOUNDS.get(kind or "", DEFAULT_BOUND)
    return WriteRates("bound", f"{kind} device: {why}" if kind in KIND_BOUNDS else why, iops, bw)


def given_rates(bw: float) -> WriteRates:
    """An expected write bandwidth from the target facts, IOPS not limited."""
    return WriteRates("given", "target facts", math.inf, bw)


def measured_rates(cells: pd.DataFrame | None, source: str) -> WriteRates | None:
    """Rates from a profile's cells (a DataFrame), None when it measured no writes."""
    needed = {"direction", "bw_bytes", "iops", "rw", "bs"}
    if cells is None or not needed <= set(cells.columns):
        return None
    writes = cells[(cells["direction"] == "write") & (cells["bw_bytes"].fillna(0) > 0)]
    if "error" in writes:
        writes = writes[writes["error"].fillna(0).astype(int) == 0]
    if writes.empty:
        return None
    measured: dict[RateKey, list[float]] = {}
    for row in writes.to_dict("records"):
        key = rate_key(
            row["rw"],
            row["bs"],
            row.get("offset"),
            row.get("iodepth"),
            row.get("numjobs"),
            row.get("rwmixread"),
        )
        measured.setdefault(key, []).append(float(row["bw_bytes"]))
    return WriteRates(
        "measured",
        source,
        float(writes["iops"].max()),
        float(writes["bw_bytes"].max()),
        {key: sorted(v)[len(v) // 2] for key, v in measured.items()},
    )
