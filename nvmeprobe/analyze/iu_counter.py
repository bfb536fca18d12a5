"""The drive's own evidence on its IU: OCP C0h Unaligned I/O (docs/field-notes.md section 9).

The counter counts writes whose start is not aligned to the drive's IU. For a
write cell of block size `bs` at alignment offset `offset`, an IU of `c`
bytes predicts that the counter moves when `offset % c` or `bs % c` is not
0 (some or every start falls inside an IU) and stays still when both are 0.
Only cells whose counters moved in step with them (`analyze/counters.py`)
are probes: a stale delta proves nothing. Every power-of-two IU from the LBA
size to the largest probed block size whose predictions match every probe is
*consistent*; the check `confirms` the IU under test (the inferred one, else
the reported one) when it is consistent, `refutes` it when it is not, and
says `unknown` when no probe, or no candidate, fits.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nvmeprobe.analyze.counters import spans, whole


def counter_check(
    cells: pd.DataFrame, inferred: int | None, reported: int | None, lba: int | None
) -> dict[str, Any]:
    """The `iu.counter_check` object: verdict, counter_iu_bytes, reported_agrees, evidence."""
    probes = _probes(cells)
    checked, which = (inferred, "inferred") if inferred else (reported, "reported")
    result: dict[str, Any] = {
        "verdict": "unknown",
        "checked_bytes": checked,
        "checked": which,
        "counter_iu_bytes": None,
        "reported_agrees": None,
        "consistent_iu_bytes": [],
        "probes": probes,
    }
    if not probes:
        result["reason"] = (
            "no write cell whose Unaligned I/O counter (OCP C0h) moved in step"
            " with it: the drive does not report it, or its logs lagged"
        )
        return result
    smallest = lba or 512
    largest = max(p["bs"] for p in probes)
    candidates = [
        1 << k
        for k in range(smallest.bit_length() - 1, largest.bit_length())
        if smallest <= 1 << k <= largest
    ]
    consistent = [
        c for c in candidates if all(_moves(c, p["bs"], p["offset"]) == p["moved"] for p in probes)
    ]
    result["consistent_iu_bytes"] = consistent
    if len(consistent) == 1:
        result["counter_iu_bytes"] = consistent[0]
    if reported:
        result["reported_agrees"] = reported in consistent if reported in candidates else None
    if not consistent:
        result["reason"] = "no IU explains every probe (the counter counts something else)"
    elif checked in candidates:
        result["verdict"] = "confirms" if checked in consistent else "refutes"
    else:
        result["reason"] = f"the {which} IU is outside the probed sizes"
    return result


def _moves(iu: int, bs: int, offset: int) -> bool:
    return offset % iu != 0 or bs % iu != 0


def _probes(cells: pd.DataFrame) -> list[dict[str, Any]]:
    """In-step single write cells with an Unaligned I/O delta: {cell, bs, offset, writes, ...}."""
    if "counter_unaligned_io" not in cells:
        return []
    shape = cells.drop_duplicates("cell").set_index("cell")
    probes = []
    for span in spans(cells):
        if span.in_step is not True or len(span.cells) != 1 or span.unaligned_io is None:
            continue
        row = shape.loc[span.cells[0]]
        probes.append(
            {
                "cell": span.cells[0],
                "bs": whole(row["bs"]),
                "offset": whole(row["offset"]),
                "unaligned_io": span.unaligned_io,
                "moved": span.unaligned_io > 0,
            }
        )
    return probes
