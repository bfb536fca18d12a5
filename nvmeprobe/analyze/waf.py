"""Write amplification (WAF) from the drive's counter deltas around write cells.

WAF = media bytes written / host bytes written. Counter deltas belong to a
cell, not to an IO direction, so a mixed cell counts once.

Drives whose counters refresh on a period (docs/field-notes.md section 9)
give a short cell no delta, or another cell's; `analyze/counters.py` decides
which deltas belong to which cells. `method` says what the figures rest on:

- `per-cell`: every write cell's counters moved in step with it (its
  host-bytes delta matched what fio wrote); each cell's WAF is its own.
- `aggregated`: some cells' deltas were stale. They count only summed over
  the span of consecutive cells that brought the counters back in step
  (long enough to cover the refresh period), never for one cell; `by_size`
  keeps in-step cells and spans of one size and offset. A trailing span that
  never came back in step is left out (`cells_unattributed`).
- `unchecked`: the drive has no host-bytes counter (or the profile predates
  it): each cell's media delta is taken over fio's bytes as it is.

With counters to check, host bytes are the drive's own count (it includes
fio's ramp). Cells whose deltas never came into step are left out and
counted in the evidence. Sums are exact integers; ratios the nearest floats.
Lifetime WAF from the drive's lifetime counters is computed by discovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd

from nvmeprobe.analyze._common import require_columns
from nvmeprobe.analyze.counters import TOLERANCE, Span, spans
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "waf-counters/2"
COLUMNS = ("cell", "bs", "offset", "host_bytes_written", "media_bytes_written")


@dataclass(frozen=True)
class WAFResult:
    """The `waf` finding of `analyze --json`."""

    measured: float | None
    host_bytes: int | None
    media_bytes: int | None
    by_size: list[dict] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    method: str | None = None
    method_version: str = METHOD_VERSION

    def to_dict(self) -> dict:
        """The contract keys plus `method`, `by_size` ({bs, offset, waf, ...}) and evidence."""
        return jsonable(
            {
                "measured": self.measured,
                "host_bytes": self.host_bytes,
                "media_bytes": self.media_bytes,
                "method": self.method,
                "by_size": self.by_size,
                "evidence": self.evidence,
                "method_version": self.method_version,
            }
        )


def waf(cells: pd.DataFrame) -> WAFResult:
    """Overall WAF and WAF by (bs, offset) from the cells' counter deltas."""
    require_columns(cells, COLUMNS, "cells")
    found = spans(cells)
    usable = [s for s in found if s.in_step is not False and s.media_bytes is not None]
    stale = any(s.in_step is False or len(s.cells) > 1 for s in found)
    evidence: dict[str, Any] = {
        "cells": int(cells["cell"].nunique()),
        "cells_with_host_writes": sum(len(s.cells) for s in found),
        "cells_skipped_unknown_media": sum(
            len(s.cells) for s in found if s.in_step is not False and s.media_bytes is None
        ),
        "cells_unattributed": sum(len(s.cells) for s in found if s.in_step is False),
        "tolerance": TOLERANCE,
        "spans": [
            dict(s.to_dict(), waf=_ratio(s))
            for s in found
            if len(s.cells) > 1 or s.in_step is False
        ],
    }
    if not usable:
        evidence["reason"] = (
            "the counters never came back in step with the cells (they"
            " refresh less often than the run lasted): no WAF from stale"
            " deltas"
            if stale
            else "no cell with both host and media bytes written"
        )
        return WAFResult(None, None, None, [], evidence, "aggregated" if stale else None)
    host = sum(_host(s) for s in usable)
    media = sum(s.media_bytes or 0 for s in usable)
    method = "aggregated" if stale else _method(usable)
    return WAFResult(
        float(Fraction(media, host)) if host else None,
        host,
        media,
        _by_size(cells, usable),
        evidence,
        method,
    )


def _host(span: Span) -> int:
    """Host bytes of a span: the drive's count where it has one, else fio's."""
    return span.host_bytes if span.host_bytes is not None else span.fio_bytes


def _ratio(span: Span) -> float | None:
    host = _host(span)
    return None if span.media_bytes is None or not host else float(Fraction(span.media_bytes, host))


def _method(usable: list[Span]) -> str:
    return "unchecked" if any(s.in_step is None for s in usable) else "per-cell"


def _by_size(cells: pd.DataFrame, usable: list[Span]) -> list[dict]:
    """WAF by (bs, offset), from spans whose cells all share one size and offset."""
    shape = cells.drop_duplicates("cell").set_index("cell")[["bs", "offset"]]
    totals: dict[tuple[int, int], list[int]] = {}
    for span in usable:
        keys = {(int(shape.at[c, "bs"]), int(shape.at[c, "offset"])) for c in span.cells}
        if len(keys) != 1:
            continue
        entry = totals.setdefault(keys.pop(), [0, 0, 0])
        entry[0] += _host(span)
        entry[1] += span.media_bytes or 0
        entry[2] += len(span.cells)
    return [
        {
            "bs": bs,
            "offset": offset,
            "waf": float(Fraction(m, h)) if h else None,
            "host_bytes": h,
            "media_bytes": m,
            "cells": n,
        }
        for (bs, offset), (h, m, n) in sorted(totals.items())
    ]
