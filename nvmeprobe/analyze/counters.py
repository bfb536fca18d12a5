"""Which drive-counter deltas belong to which cells (docs/field-notes.md section 9).

Drives refresh their SMART and OCP C0h logs on a period (OCP SLOG-7: at
least every ten minutes), so a delta taken around a short cell may be zero,
or another cell's. The rule: a write cell's deltas are *in step* with it when
the drive's own host-bytes counter moved by what fio wrote in it, between
fio's bytes x (1 - TOLERANCE) and fio's bytes x (1 + ramp / runtime) x
(1 + TOLERANCE) (the drive also counts the writes of fio's ramp, which fio's
`io_bytes` leaves out). A cell that is not in step is merged with the write
cells that follow it, in run order, until the merged deltas are in step: such
a span covers the refresh period, and its deltas belong to the span as a
whole, never to one of its cells. A trailing span that never comes into step
(the last refresh came before the run ended) is left unattributed. A cell
whose drive has no host-bytes counter cannot be checked (`in_step` None).

Within TOLERANCE, at most that share of a span's bytes can be a neighbour's,
so a WAF from in-step deltas is off by at most TOLERANCE x the difference
between the neighbours' WAFs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nvmeprobe.errors import InputError

TOLERANCE = 0.02


@dataclass(frozen=True)
class Span:
    """Consecutive write cells and the counter deltas that belong to them together."""

    cells: tuple[str, ...]
    fio_bytes: int  # what fio reported writing (io_bytes, without ramp)
    host_bytes: int | None  # the drive's host-bytes counter delta; None: not counted
    media_bytes: int | None  # the media-bytes counter delta; None: not counted
    unaligned_io: int | None  # the OCP Unaligned I/O delta; None: not reported
    in_step: bool | None  # True: attributable; False: unattributed; None: not checkable
    ramp_bytes: float = 0.0  # estimated writes of fio's ramp, which the drive counts and fio not

    def to_dict(self) -> dict:
        """Plain evidence: cells, fio_bytes, host_bytes, media_bytes, unaligned_io, in_step."""
        return {
            "cells": list(self.cells),
            "fio_bytes": self.fio_bytes,
            "host_bytes": self.host_bytes,
            "media_bytes": self.media_bytes,
            "unaligned_io": self.unaligned_io,
            "in_step": self.in_step,
        }


def write_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per cell that fio wrote to (its write row), in run order."""
    rows = cells[cells["direction"] == "write"] if "direction" in cells else cells
    rows = rows.drop_duplicates("cell")
    return rows[rows["host_bytes_written"].notna() & (rows["host_bytes_written"] > 0)]


def spans(cells: pd.DataFrame) -> list[Span]:
    """The write cells grouped by the rule in the module docstring, in run order."""
    found: list[Span] = []
    pending: list[pd.Series] = []
    for _, row in write_cells(cells).iterrows():
        if _known(row, "counter_host_bytes_written") is None:
            found.append(_span([row], None))
            continue
        pending.append(row)
        if _agrees(pending):
            found.append(_span(pending, True))
            pending = []
    if pending:
        found.append(_span(pending, False))
    return found


def _known(row: pd.Series, column: str) -> int | None:
    value = row.get(column)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return whole(value)


def _agrees(rows: list[pd.Series], tolerance: float = TOLERANCE) -> bool:
    fio = sum(whole(r["host_bytes_written"]) for r in rows)
    counted = sum(whole(r["counter_host_bytes_written"]) for r in rows)
    ramp = sum(whole(r["host_bytes_written"]) * _ramp_share(r) for r in rows)
    return fio * (1 - tolerance) <= counted <= (fio + ramp) * (1 + tolerance)


def _ramp_share(row: pd.Series) -> float:
    ramp, runtime = row.get("ramp_s"), row.get("runtime_s")
    if ramp is None or runtime is None or pd.isna(ramp) or pd.isna(runtime) or runtime <= 0:
        return 0.0
    return float(ramp) / float(runtime)


def _span(rows: list[pd.Series], in_step: bool | None) -> Span:
    def total(column: str) -> int | None:
        values = [_known(r, column) for r in rows]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    return Span(
        tuple(str(r["cell"]) for r in rows),
        sum(whole(r["host_bytes_written"]) for r in rows),
        total("counter_host_bytes_written"),
        total("media_bytes_written"),
        total("counter_unaligned_io"),
        in_step,
        sum(whole(r["host_bytes_written"]) * _ramp_share(r) for r in rows),
    )


def whole(value: object) -> int:
    """An exact byte or event count (rejects negative or fractional values)."""
    if isinstance(value, (int, np.integer)):
        number = int(value)
    else:
        as_float = float(value)  # type: ignore[arg-type]
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise InputError(f"cells: counters must be whole numbers, got {value!r}")
        number = int(as_float)
    if number < 0:
        raise InputError(f"cells: counters must not be negative, got {value!r}")
    return number
