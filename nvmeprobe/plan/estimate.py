"""Duration, bytes-written and endurance estimates for cells and plans.

- A time-based cell takes runtime + ramp, plus `FIO_START_COST_S` (fio
  spends ~0.3 s starting and stopping each process, docs/field-notes.md section 7).
- A size-based cell takes size / write bandwidth (+ the start cost); reads
  are timed at the write bandwidth too, which overestimates them.
- A time-based write cell writes (runtime + ramp) x write bandwidth x the
  write share (1 for write/randwrite, (100 - rwmixread) / 100 when mixed):
  fio issues IO during the ramp as well. This assumes the drive sustains
  that bandwidth at every block size, an upper bound for small IO.
- The write bandwidth is `TargetFacts.est_write_bw_bytes` when known.
  Otherwise two deliberately pessimistic defaults: durations assume
  `SLOW_WRITE_BW` (a QLC drive past its SLC cache), bytes written assume
  `FAST_WRITE_BW` (a fast PCIe 4 drive), so neither the time nor the wear a
  plan costs is understated.
- A sustained cell with stop_on_drop is estimated as if it ran to its full
  size (an upper bound: the runner usually stops it earlier).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nvmeprobe.plan.model import Cell, TargetFacts

FIO_START_COST_S = 0.3
SLOW_WRITE_BW = 200 * 1024**2
FAST_WRITE_BW = 4 * 1024**3


def write_share(rw: str | None, rwmixread: int | None) -> float:
    """The fraction of a cell's IO that writes."""
    if rw in ("write", "randwrite"):
        return 1.0
    if rw in ("rw", "randrw"):
        return (100 - (rwmixread if rwmixread is not None else 50)) / 100
    return 0.0


def cell_estimates(cell: Cell, facts: TargetFacts) -> tuple[float, int]:
    """(est_seconds, est_bytes_written) of one cell."""
    if cell.kind == "idle":
        return float(cell.idle_s or 0.0), 0
    share = write_share(cell.rw, cell.rwmixread)
    known = facts.est_write_bw_bytes
    if cell.time_based:
        busy = (cell.runtime_s or 0.0) + (cell.ramp_s or 0.0)
        return busy + FIO_START_COST_S, int(busy * (known or FAST_WRITE_BW) * share)
    size = cell.size_bytes or 0
    return size / (known or SLOW_WRITE_BW) + FIO_START_COST_S, int(size * share)


def endurance_fraction(bytes_written: int, facts: TargetFacts) -> float | None:
    """The share of the rated endurance that `bytes_written` costs, None when unknown."""
    if not facts.rated_endurance_bytes:
        return None
    return bytes_written / facts.rated_endurance_bytes


def summarise(cells: Sequence[Cell], facts: TargetFacts) -> dict[str, Any]:
    """Totals for `plan --json`: the cells as given, and `*_max` with every
    round-based stage run to its `rounds_max` (each round costs what round 1 costs)."""
    seconds = sum(c.est_seconds for c in cells)
    written = sum(c.est_bytes_written for c in cells)
    extra = [(c.rounds_max or 1) - (c.round or 1) for c in cells]
    seconds_max = seconds + sum(n * c.est_seconds for n, c in zip(extra, cells))
    written_max = written + sum(n * c.est_bytes_written for n, c in zip(extra, cells))
    stages: dict[str, dict[str, Any]] = {}
    for cell in cells:
        entry = stages.setdefault(cell.stage, {"stage": cell.stage, "kind": cell.kind, "cells": 0,
                                                "est_seconds": 0.0, "est_bytes_written": 0,
                                                "rounds_max": cell.rounds_max})
        entry["cells"] += 1
        entry["est_seconds"] += cell.est_seconds
        entry["est_bytes_written"] += cell.est_bytes_written
    return {
        "cells": len(cells),
        "est_seconds": seconds,
        "est_bytes_written": written,
        "endurance_fraction": endurance_fraction(written, facts),
        "est_seconds_max": seconds_max,
        "est_bytes_written_max": written_max,
        "endurance_fraction_max": endurance_fraction(written_max, facts),
        "est_write_bw_bytes": facts.est_write_bw_bytes,
        "stages": list(stages.values()),
    }
