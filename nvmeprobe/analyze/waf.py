"""Write amplification (WAF) from per-cell counter deltas.

WAF = media bytes written / host bytes written, summed over cells whose
drive exposes media writes (cells with unknown `media_bytes_written` are
skipped and counted in the evidence). Counter deltas belong to a cell, not
to an IO direction, so a mixed cell's two rows count once (one row per `cell`
id). Sums are exact integer arithmetic; the ratios are the nearest floats.
Lifetime WAF from the drive's lifetime counters is computed by discovery.
"""

from __future__ import annotations

import math
from typing import Any
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from nvmeprobe.analyze._common import require_columns
from nvmeprobe.errors import InputError
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "waf-counters/1"
COLUMNS = ("cell", "bs", "offset", "host_bytes_written", "media_bytes_written")


@dataclass(frozen=True)
class WAFResult:
    """The `waf` finding of `analyze --json`."""

    measured: float | None
    host_bytes: int | None
    media_bytes: int | None
    by_size: list[dict] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    method_version: str = METHOD_VERSION

    def to_dict(self) -> dict:
        """The contract keys plus `by_size` ({bs, offset, waf, host_bytes, media_bytes})."""
        return jsonable({
            "measured": self.measured, "host_bytes": self.host_bytes,
            "media_bytes": self.media_bytes, "by_size": self.by_size,
            "evidence": self.evidence, "method_version": self.method_version})


def waf(cells: pd.DataFrame) -> WAFResult:
    """Overall WAF and WAF by (bs, offset) from the cells' counter deltas."""
    require_columns(cells, COLUMNS, "cells")
    per_cell = cells.drop_duplicates("cell")
    written = per_cell[per_cell["host_bytes_written"].notna()
                       & (per_cell["host_bytes_written"] > 0)]
    known = written[written["media_bytes_written"].notna()]
    evidence: dict[str, Any] = {"cells": int(len(per_cell)), "cells_with_host_writes": int(len(written)),
                "cells_skipped_unknown_media": int(len(written) - len(known))}
    if known.empty:
        evidence["reason"] = "no cell with both host and media bytes written"
        return WAFResult(None, None, None, [], evidence)
    host, media = _total(known["host_bytes_written"]), _total(known["media_bytes_written"])
    by_size = []
    for (bs, offset), group in known.groupby(["bs", "offset"], sort=True):
        h, m = _total(group["host_bytes_written"]), _total(group["media_bytes_written"])
        by_size.append({"bs": int(bs), "offset": int(offset), "waf": float(Fraction(m, h)),
                        "host_bytes": h, "media_bytes": m, "cells": int(len(group))})
    return WAFResult(float(Fraction(media, host)), host, media, by_size, evidence)


def _total(values: pd.Series) -> int:
    """Exact integer sum of byte counts (rejects negative or fractional values)."""
    total = 0
    for value in values:
        if isinstance(value, (int, np.integer)):
            number = int(value)
        else:
            as_float = float(value)
            if not math.isfinite(as_float) or as_float != int(as_float):
                raise InputError(f"cells: byte counters must be whole numbers, got {value!r}")
            number = int(as_float)
        if number < 0:
            raise InputError(f"cells: byte counters must not be negative, got {value!r}")
        total += number
    return total
