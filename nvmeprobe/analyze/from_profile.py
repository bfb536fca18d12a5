"""Analyse a profile: pick the right cells and series, then `analyze_all`.

The sustained-write cells are found through the run manifest stored in the
profile (their `kind`), those of the first measurement only (never a burst
of a later fill level: analyze/fill.py); the first full-rate one is the
cache fill, the next full-rate one the recovery burst after idle; one held
to a lower rate (its
manifest state's `rate_limit_bytes`) is the thermal confirmation burst.
Temperature samples are the "temp" series; the throttling counters' verdict
(`throttling_reported`) and the drive's limit (`temperature_limit_c`) are in
the manifest state the runner kept for each sustained cell.
The reported IU and LBA size come from the facts.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nvmeprobe.analyze.fill import first_measurement, measurements, with_fill
from nvmeprobe.analyze.findings import analyze_all
from nvmeprobe.analyze.thermal import Burst
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


def temperature_series(series: pd.DataFrame | None, cell_id: str) -> pd.DataFrame | None:
    """One cell's temperature samples (t_s, temperature_c), or None when none were taken."""
    if series is None or series.empty:
        return None
    rows = series[(series["cell"] == cell_id) & (series["series"] == "temp")]
    if rows.empty:
        return None
    return pd.DataFrame({"t_s": rows["t_s"].to_numpy(), "temperature_c": rows["value"].to_numpy()})


def latency_series(series: pd.DataFrame | None, cell_id: str) -> pd.DataFrame | None:
    """One cell's write latency log (t_s, lat_us), or None."""
    if series is None or series.empty:
        return None
    rows = series[(series["cell"] == cell_id) & (series["series"] == "lat")]
    if "direction" in rows:
        rows = rows[rows["direction"].isin(["write"]) | rows["direction"].isna()]
    if rows.empty:
        return None
    return pd.DataFrame({"t_s": rows["t_s"].to_numpy(), "lat_us": rows["value"].to_numpy()})


def sustained_bursts(profile: Profile) -> list[Burst]:
    """The first measurement's sustained-write cells with a bandwidth log, in plan order."""
    state = profile.manifest.get("state") or {}
    first = first_measurement(profile.manifest)
    bursts = []
    for cell in profile.manifest.get("cells", []):
        series = bandwidth_series(profile.series, cell["id"])
        if cell["id"] not in first or series is None:
            continue
        known = state.get(cell["id"]) or {}
        bursts.append(
            Burst(
                cell["id"],
                series,
                temperature_series(profile.series, cell["id"]),
                known.get("throttling_reported"),
                known.get("rate_limit_bytes"),
                latency_series(profile.series, cell["id"]),
            )
        )
    return bursts


def analyze_profile(profile: Profile) -> dict[str, Any]:
    """The `analyze --json` findings of one profile."""
    bursts = sustained_bursts(profile)
    full_rate = [b.series for b in bursts if not b.rate_limit]
    logs: dict[str, pd.DataFrame] = {}
    if full_rate:
        logs["slc"] = full_rate[0]
    if len(full_rate) > 1:
        logs["slc_recovery"] = full_rate[1]
    state = profile.manifest.get("state") or {}
    limits = [(state.get(b.cell) or {}).get("temperature_limit_c") for b in bursts]
    iu = (profile.facts.get("iu") or {}).get("reported_bytes")
    lba = (profile.facts.get("geometry") or {}).get("logical_block_size")
    found = analyze_all(
        profile.cells, logs, iu, lba, bursts, next((lim for lim in limits if lim is not None), None)
    )
    opened = {
        cid: s
        for cid in measurements(profile.manifest)
        if (s := bandwidth_series(profile.series, cid)) is not None
    }
    size = (profile.facts.get("geometry") or {}).get("size_bytes")
    return with_fill(found, profile.cells, profile.manifest, opened, size)
