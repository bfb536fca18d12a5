"""Duration, bytes-written and endurance estimates for cells and plans.

- A time-based cell takes runtime + ramp, plus `FIO_START_COST_S` (fio
  spends ~0.3 s starting and stopping each process, docs/field-notes.md
  section 7), and writes (runtime + ramp) x its write rate: fio issues IO
  during the ramp as well.
- A size-based cell writes its size x the write share, and takes size / its
  write rate (+ the start cost); reads are timed at the write rate too.
- Write rates come from `WriteRates` (rates.py): the drive's own measured
  rates where a profile of it exists, else bounds that hold for its device
  kind (the bytes are then an upper bound). With bounds, durations assume
  `SLOW_WRITE_BW` (a QLC drive past its SLC cache), so neither the time nor
  the wear a plan costs is understated.
- A sustained cell with stop_on_drop is estimated as if it ran to its full
  size (an upper bound: the runner usually stops it earlier).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nvmeprobe.plan.model import Cell, TargetFacts
from nvmeprobe.plan.rates import WriteRates, bound_rates, given_rates, write_share

FIO_START_COST_S = 0.3
SLOW_WRITE_BW = 200 * 1024**2


def default_rates(facts: TargetFacts) -> WriteRates:
    """Rates without a profile: the facts' expected bandwidth, else the kind's bounds."""
    if facts.est_write_bw_bytes:
        return given_rates(facts.est_write_bw_bytes)
    return bound_rates(facts.kind)


def cell_estimates(
    cell: Cell, facts: TargetFacts, rates: WriteRates | None = None
) -> tuple[float, int]:
    """(est_seconds, est_bytes_written) of one cell at `rates` (default: `default_rates`)."""
    if cell.kind == "idle":
        return float(cell.idle_s or 0.0), 0
    rates = rates or default_rates(facts)
    if cell.time_based:
        busy = (cell.runtime_s or 0.0) + (cell.ramp_s or 0.0)
        return busy + FIO_START_COST_S, int(busy * rates.write_bw(cell))
    size = cell.size_bytes or 0
    bw = SLOW_WRITE_BW if rates.is_bound else rates.write_bw(cell) or rates.max_bw
    return size / bw + FIO_START_COST_S, int(size * write_share(cell.rw, cell.rwmixread))


def endurance_fraction(bytes_written: int, facts: TargetFacts) -> float | None:
    """The share of the rated endurance that `bytes_written` costs, None when unknown."""
    if not facts.rated_endurance_bytes:
        return None
    return bytes_written / facts.rated_endurance_bytes


def summarise(
    cells: Sequence[Cell], facts: TargetFacts, rates: WriteRates | None = None
) -> dict[str, Any]:
    """Totals for `plan --json`: the cells as given, and `*_max` with every
    round-based stage run to its `rounds_max` (each round costs what round 1 costs);
    `est_basis` says what the bytes rest on (`rates`, default `default_rates`)."""
    seconds = sum(c.est_seconds for c in cells)
    written = sum(c.est_bytes_written for c in cells)
    extra = [(c.rounds_max or 1) - (c.round or 1) for c in cells]
    seconds_max = seconds + sum(n * c.est_seconds for n, c in zip(extra, cells))
    written_max = written + sum(n * c.est_bytes_written for n, c in zip(extra, cells))
    stages: dict[str, dict[str, Any]] = {}
    for cell in cells:
        entry = stages.setdefault(
            cell.stage,
            {
                "stage": cell.stage,
                "kind": cell.kind,
                "cells": 0,
                "est_seconds": 0.0,
                "est_bytes_written": 0,
                "rounds_max": cell.rounds_max,
            },
        )
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
        "est_basis": (rates or default_rates(facts)).to_dict(),
        "stages": list(stages.values()),
    }
