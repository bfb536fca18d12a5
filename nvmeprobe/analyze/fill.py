"""The fill level each SLC cache finding was measured at (docs/field-notes.md section 9).

A dynamic cache is made of free space, so a cache size means nothing without
the share of the drive holding data when the burst started (`fill_fraction`).
It is known, in this order of preference, from:

1. `drive`: what the drive reported at the burst's start (Identify Namespace
   nuse x LBA size, the cell's `used_bytes`);
2. `run`: what nvmeprobe itself wrote before the burst in the same run: the
   furthest a sequential write cell reached from the start of the drive (a
   fill stage, an earlier burst). A lower bound: data from before the run is
   not seen (`lower_bound` true);
3. else unknown: `fill_fraction` null, with the reason.

A run may measure the cache at several fill levels (the `slc-fill` plan): a
sustained burst opens a new measurement unless the last cell before it that
was not idle is itself a burst (then it is that measurement's recovery or
confirmation burst). `slc.by_fill` lists one entry per measurement; the first
is the `slc` finding itself. Only the first is judged for heat (the thermal
finding); when its drop was heat, or was not told apart from heat, the later
levels' drops are not either, and report no cache (`detected` None, with the
reason).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nvmeprobe.analyze import slc


def measurements(manifest: dict[str, Any]) -> list[str]:
    """Ids of the sustained cells that open a measurement (see the module docstring)."""
    opened: list[str] = []
    previous: str | None = None
    for cell in manifest.get("cells", []):
        kind = cell.get("kind")
        if kind == "idle":
            continue
        if kind == "sustained" and previous != "sustained":
            opened.append(cell["id"])
        previous = kind
    return opened


def first_measurement(manifest: dict[str, Any]) -> set[str]:
    """Ids of the sustained cells of the first measurement: its burst and its recovery and
    confirmation bursts, none from a later fill level."""
    opened = measurements(manifest)
    ids: set[str] = set()
    for cell in manifest.get("cells", []):
        if len(opened) > 1 and cell["id"] == opened[1]:
            break
        if cell.get("kind") == "sustained":
            ids.add(cell["id"])
    return ids


def fill_at(cells: pd.DataFrame, cell_id: str, capacity: int | None) -> dict[str, Any]:
    """{fill_fraction, source, used_bytes, lower_bound, reason} at the start of `cell_id`."""
    found: dict[str, Any] = {
        "fill_fraction": None,
        "source": None,
        "used_bytes": None,
        "lower_bound": False,
    }
    if not capacity:
        return dict(found, reason="the drive's capacity is unknown")
    positions = np.flatnonzero(cells["cell"].to_numpy() == cell_id)
    if not len(positions):
        return dict(found, reason=f"no cell {cell_id} in the profile")
    used = _first_known(cells.iloc[positions], "used_bytes")
    if used is not None:
        return dict(found, fill_fraction=min(1.0, used / capacity), source="drive", used_bytes=used)
    before = cells.iloc[: positions[0]]
    sequential = before[(before["rw"] == "write") & (before["direction"] == "write")]
    written = pd.to_numeric(sequential["host_bytes_written"], errors="coerce").dropna()
    if written.empty:
        return dict(
            found,
            reason="the drive reports no use (Identify Namespace nuse) and the"
            " run wrote nothing sequential before the burst",
        )
    reached = min(capacity, int(written.max()))
    return dict(
        found, fill_fraction=reached / capacity, source="run", used_bytes=reached, lower_bound=True
    )


def _later_level(series: pd.DataFrame, findings: dict[str, Any]) -> dict[str, Any]:
    """The cache finding of a later fill level's burst (no cache on a throttling drive)."""
    found = slc.slc_cache(series).to_dict()
    first = findings.get("slc") or {}
    heat = (findings.get("thermal") or {}).get("detected") is True or "drop_bytes" in (
        first.get("evidence") or {}
    )  # the first drop, taken for heat
    if found.get("detected") and heat:
        return {
            "detected": None,
            "reason": "the first burst's drop was heat, or not told"
            " apart from it (see thermal): a drop at this fill"
            " level is not either",
        }
    return found


def _first_known(rows: pd.DataFrame, column: str) -> int | None:
    if column not in rows:
        return None
    values = pd.to_numeric(rows[column], errors="coerce").dropna()
    return int(values.iloc[0]) if len(values) else None


def with_fill(
    findings: dict[str, Any],
    cells: pd.DataFrame,
    manifest: dict[str, Any],
    series: dict[str, pd.DataFrame],
    capacity: int | None,
) -> dict[str, Any]:
    """`findings` with `slc.fill_fraction`, `slc.evidence.fill` and `slc.by_fill` set.

    `series`: each measurement's bandwidth log by cell id (those without one are left out).
    """
    found = findings.get("slc")
    opened = [cid for cid in measurements(manifest) if cid in series]
    if found is None or not opened:
        if found is not None:
            found["fill_fraction"], found["by_fill"] = None, []
        return findings
    entries = []
    for index, cell_id in enumerate(opened):
        fill = fill_at(cells, cell_id, capacity)
        cache = found if index == 0 else _later_level(series[cell_id], findings)
        entries.append(
            {
                "cell": cell_id,
                "fill_fraction": fill["fill_fraction"],
                "fill_source": fill["source"],
                "detected": cache.get("detected"),
                "cache_bytes": cache.get("cache_bytes"),
                "in_cache_bw": cache.get("in_cache_bw"),
                "post_cache_bw": cache.get("post_cache_bw"),
            }
        )
        if cache.get("reason"):
            entries[-1]["reason"] = cache["reason"]
        if index == 0:
            found["fill_fraction"] = fill["fill_fraction"]
            found.setdefault("evidence", {})["fill"] = fill
    found["by_fill"] = entries
    return findings
