"""Analyse a profile: pick the right cells and series, then `analyze_all`.

The sustained-write cells are found through the run manifest stored in the
profile (their `kind`); the first is the cache fill, a later one the
recovery burst after idle (never a burst of a later fill level: analyze/fill.py).
The reported IU and LBA size come from the facts.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nvmeprobe.analyze.fill import first_measurement, measurements, with_fill
from nvmeprobe.analyze.findings import analyze_all
from nvmeprobe.profile import Profile


def sustained_cell_ids(manifest: dict[str, Any]) -> list[str]:
    """Ids of the sustained-write cells of a run, in plan order."""
    return [c["id"] for c in manifest.get("cells", []) if c.get("kind") == "sustained"]


def bandwidth_series(series: pd.DataFrame | None, cell_id: str) -> pd.DataFrame | None:
    """One cell's write-bandwidth log (t_s, bw_bytes, bytes_written), or None."""
    if series is None or series.empty:
        return None
    rows = series[(series["cell"] == cell_id) & (series["series"] == "bw")]
    if "direction" in rows:
        rows = rows[rows["direction"].isin(["write", None]) | rows["direction"].isna()]
    if rows.empty:
        return None
    return rows[["t_s", "bw_bytes", "bytes_written"]].reset_index(drop=True)


def analyze_profile(profile: Profile) -> dict[str, Any]:
    """The `analyze --json` findings of one profile."""
    logs: dict[str, pd.DataFrame] = {}
    first = first_measurement(profile.manifest)  # a later fill level is no recovery burst
    bursts = [s for cid in sustained_cell_ids(profile.manifest)
              if cid in first and (s := bandwidth_series(profile.series, cid)) is not None]
    if bursts:
        logs["slc"] = bursts[0]
    if len(bursts) > 1:
        logs["slc_recovery"] = bursts[1]
    iu = (profile.facts.get("iu") or {}).get("reported_bytes")
    lba = (profile.facts.get("geometry") or {}).get("logical_block_size")
    found = analyze_all(profile.cells, logs, iu, lba)
    opened = {cid: s for cid in measurements(profile.manifest)
              if (s := bandwidth_series(profile.series, cid)) is not None}
    size = (profile.facts.get("geometry") or {}).get("size_bytes")
    return with_fill(found, profile.cells, profile.manifest, opened, size)
