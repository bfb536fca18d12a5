"""What each report plot shows, taken from one profile: plain tables, no drawing.

Every function returns the data of one plot, or a `Missing` with the one-line
reason the plot cannot be drawn (the report prints that line instead of an
image). Findings are the profile's stored `finding` records; a profile that
has none (an ingested one never analysed) is analysed on the fly, not stored.

Decisions:
- Heatmaps and latency curves use measured cells only: sustained-write cells
  (their average mixes in-cache and post-cache rates) are left out; repeated
  cells (rounds) are reduced to their median; misaligned cells (offset > 0)
  belong to the RMW plot, not the heatmaps; of several job counts the
  smallest is shown (numjobs multiplies the queue depth the drive sees).
- A heatmap needs at least two cells of one (rw, direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from nvmeprobe.analyze.from_profile import analyze_profile, sustained_cell_ids
from nvmeprobe.analyze.qos import percentile_columns
from nvmeprobe.ingest.fio_options import directions_of
from nvmeprobe.profile import Profile, frame_to_findings
from nvmeprobe.units import format_bytes

MAX_CURVES = 12


@dataclass(frozen=True)
class Missing:
    """A plot that cannot be drawn, and why (one line)."""

    reason: str


def findings_of(profile: Profile) -> tuple[dict[str, Any], str]:
    """(findings, where they came from): stored in the profile, else computed now."""
    if not profile.findings.empty:
        return frame_to_findings(profile.findings), "stored in the profile"
    return analyze_profile(profile), "computed for this report (the profile holds none)"


def measured_cells(profile: Profile) -> pd.DataFrame:
    """Cell rows without sustained-write cells and failed or empty rows."""
    cells = profile.cells
    sustained = set(sustained_cell_ids(profile.manifest))
    keep = ~cells["cell"].isin(sustained) & cells["iops"].notna() & (cells["iops"] > 0)
    return cells[keep.fillna(False)]


def _aligned_single(cells: pd.DataFrame) -> pd.DataFrame:
    rows = cells[(cells["offset"].fillna(0) == 0) & cells["bs"].notna() & cells["iodepth"].notna()]
    if rows.empty:
        return rows
    smallest = rows.groupby(["rw", "direction"])["numjobs"].transform("min")
    return rows[rows["numjobs"] == smallest]


def heatmaps(profile: Profile, metric: str) -> dict[str, pd.DataFrame] | Missing:
    """Per 'rw direction': a table of `metric` (median) with iodepth rows and bs columns."""
    rows = _aligned_single(measured_cells(profile))
    grids: dict[str, pd.DataFrame] = {}
    for (rw, direction), group in rows.groupby(["rw", "direction"], sort=True):
        if len(group.drop_duplicates(["bs", "iodepth"])) < 2:
            continue
        grid = group.pivot_table(index="iodepth", columns="bs", values=metric, aggfunc="median")
        if not (grid > 0).any().any():
            continue
        grids[rw if len(directions_of(rw)) == 1 else f"{rw} {direction}"] = grid
    if not grids:
        return Missing(
            f"no {metric} heatmap: no IO pattern was measured at two or more"
            " (IO size, queue depth) points"
        )
    return grids


def rmw_curves(findings: dict[str, Any]) -> dict[str, Any] | Missing:
    """RMW amplification per offset against bs, with the inferred and reported IU."""
    iu = findings.get("iu") or {}
    points = [p for p in iu.get("rmw_amplification") or [] if p.get("factor") is not None]
    if not points:
        return Missing("no RMW amplification: the profile has no random-write sweep over IO size")
    frame = pd.DataFrame(points)[["bs", "offset", "factor"]].sort_values(["offset", "bs"])
    return {
        "points": frame,
        "inferred_bytes": iu.get("inferred_bytes"),
        "reported_bytes": iu.get("reported_bytes"),
        "confidence": iu.get("confidence"),
    }


def cache_curves(profile: Profile, findings: dict[str, Any]) -> dict[str, Any] | Missing:
    """Write bandwidth against bytes written, per logged cell, with the detected cache."""
    series = profile.series
    if series.empty:
        return Missing("no bandwidth against bytes written: the profile holds no bandwidth log")
    logs = series[
        (series["series"] == "bw")
        & series["bytes_written"].notna()
        & (series["direction"].fillna("write") == "write")
    ]
    if logs.empty:
        return Missing(
            "no bandwidth against bytes written: the profile holds no write bandwidth log"
        )
    sustained = [c for c in sustained_cell_ids(profile.manifest) if (logs["cell"] == c).any()]
    # a run's sustained writes are its cache curves; without them (ingested results), every log
    order = sustained or sorted(set(logs["cell"].dropna()))
    curves = {
        cell: logs.loc[logs["cell"] == cell, ["bytes_written", "bw_bytes"]]
        for cell in order
        if (logs["cell"] == cell).any()
    }
    slc = findings.get("slc") or {}
    heat = findings.get("thermal") or {}
    return {
        "curves": curves,
        "detected": slc.get("detected"),
        "cache_bytes": slc.get("cache_bytes"),
        "in_cache_bw": slc.get("in_cache_bw"),
        "post_cache_bw": slc.get("post_cache_bw"),
        "recovered_bytes": slc.get("recovered_bytes"),
        "thermal": heat.get("detected"),
        "throttle_bytes": heat.get("onset_bytes"),
        "throttled_bw": heat.get("rate_after"),
    }


def cache_by_fill(findings: dict[str, Any]) -> list[dict[str, Any]] | Missing:
    """The cache found at each fill level (`slc.by_fill`), when a run measured two or more."""
    levels = [
        e
        for e in (findings.get("slc") or {}).get("by_fill") or []
        if e.get("fill_fraction") is not None
    ]
    if len(levels) < 2:
        return Missing("the cache was measured at fewer than two known fill levels")
    return levels


def _spread(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    step = (len(frame) - 1) / (limit - 1)
    return frame.iloc[sorted({round(i * step) for i in range(limit)})]


def latency_curves(profile: Profile) -> dict[str, pd.DataFrame] | Missing:
    """Per direction: rows (label, one column per percentile) of aligned cells, at most
    MAX_CURVES.
    """
    cells = _aligned_single(measured_cells(profile))
    columns = [c for c in percentile_columns(cells) if cells[c].notna().any()]
    if cells.empty or len(columns) < 2:
        return Missing("no latency percentile curves: no cell carries two or more percentiles")
    result: dict[str, pd.DataFrame] = {}
    keys = ["rw", "bs", "iodepth"]
    for direction, group in cells.groupby("direction", sort=True):
        table = (
            group.groupby(keys, as_index=False)[columns].median().dropna(subset=columns, how="all")
        )
        if table.empty:
            continue
        table = _spread(table.sort_values(keys).reset_index(drop=True), MAX_CURVES)
        result[str(direction)] = table
    return result or Missing("no latency percentile curves: no cell has latency percentiles")


def queue_depth_curves(profile: Profile, findings: dict[str, Any]) -> dict[str, Any] | Missing:
    """IOPS against queue depth per (rw, direction, bs) at two or more depths, with the
    knees found.
    """
    cells = _aligned_single(measured_cells(profile))
    curves = {}
    for (rw, direction, bs), group in cells.groupby(["rw", "direction", "bs"], sort=True):
        curve = group.groupby("iodepth")["iops"].median()
        if len(curve) >= 2:
            curves[(str(rw), str(direction), int(bs))] = curve
    if not curves:
        return Missing(
            "no queue-depth curve: no IO pattern was measured at two or more queue depths"
        )
    knees = {}
    for knee in (findings.get("qos") or {}).get("saturation") or []:
        if knee.get("knee_iodepth") is not None and knee.get("offset") in (0, None):
            knees[(knee["rw"], knee["direction"], knee["bs"])] = (
                knee["knee_iodepth"],
                knee["iops_at_knee"],
            )
    return {"curves": _limit(curves), "knees": knees}


def _limit(curves: dict) -> dict:
    keys = sorted(curves, key=lambda k: (-len(curves[k]), k))[:MAX_CURVES]
    return {key: curves[key] for key in sorted(keys)}


def waf_by_size(findings: dict[str, Any]) -> pd.DataFrame | Missing:
    """WAF per (bs, offset) from the counter deltas, and the overall figure."""
    waf = findings.get("waf") or {}
    rows = [r for r in waf.get("by_size") or [] if r.get("waf") is not None]
    if not rows:
        return Missing(
            "no WAF by IO size: the drive's media-write counter was not read around write cells"
        )
    return pd.DataFrame(rows)[["bs", "offset", "waf"]].sort_values(["bs", "offset"])


def _text(value: Any, unit: str = "") -> str | None:
    if value is None:
        return None
    if unit == "bytes":
        return format_bytes(value)
    return f"{value}{unit}"


def identity_rows(profile: Profile) -> list[tuple[str, str | None]]:
    """(label, text) rows of the drive's identity, geometry, reported IU and wear;
    unknown -> None.
    """
    facts = profile.facts or {}
    identity, geometry = facts.get("identity") or {}, facts.get("geometry") or {}
    iu, wear = facts.get("iu") or {}, facts.get("endurance") or {}

    def first(name: str) -> Any:
        return next(iter(profile.cells[name].dropna()), None) if name in profile.cells else None

    waf = wear.get("lifetime_waf")
    return [
        ("model", _text(identity.get("model") or first("model"))),
        ("serial", _text(identity.get("serial") or first("serial"))),
        ("firmware", _text(identity.get("firmware"))),
        ("target", _text(facts.get("target") or first("target"))),
        ("run", _text(profile.run_id)),
        ("capacity", _text(geometry.get("size_bytes"), "bytes")),
        ("LBA size", _text(geometry.get("logical_block_size"), "bytes")),
        ("reported IU", _text(iu.get("reported_bytes"), "bytes")),
        ("IU source", _text(iu.get("source"))),
        ("percent used", _text(wear.get("percent_used"), "%")),
        ("host bytes written", _text(wear.get("host_bytes_written"), "bytes")),
        ("media bytes written", _text(wear.get("media_bytes_written"), "bytes")),
        ("lifetime WAF", None if waf is None else f"{waf:.3f}"),
        ("available spare", _text(wear.get("available_spare"), "%")),
        ("media errors", _text(wear.get("media_errors"))),
        ("power-on hours", _text(wear.get("power_on_hours"))),
        ("temperature", _text(wear.get("temperature_c"), " C")),
    ]


def finding_rows(findings: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(label, text) rows summarising the findings: IU, SLC cache, WAF, steady state."""
    iu, slc, waf = findings.get("iu") or {}, findings.get("slc") or {}, findings.get("waf") or {}
    agrees = {True: "agrees", False: "DISAGREES", None: None}[iu.get("agrees")]
    confidence = iu.get("confidence")
    rows: list[tuple[str, str | None]] = [
        (
            "IU inferred",
            None
            if iu.get("inferred_bytes") is None
            else format_bytes(iu["inferred_bytes"])
            + ("" if confidence is None else f" (confidence {confidence:.2f})"),
        ),
        (
            "IU reported",
            None
            if iu.get("reported_bytes") is None
            else format_bytes(iu["reported_bytes"]) + (f" ({agrees})" if agrees else ""),
        ),
    ]
    if iu.get("warning"):
        rows.append(("IU warning", str(iu["warning"])))
    detected = slc.get("detected")
    if detected:
        rows += [
            ("SLC cache", format_bytes(slc.get("cache_bytes"))),
            ("write rate in cache", _rate(slc.get("in_cache_bw"))),
            ("write rate after cache", _rate(slc.get("post_cache_bw"))),
            ("cache recovered after idle", _text(slc.get("recovered_bytes"), "bytes")),
        ]
    else:
        rows.append(("SLC cache", {False: "no drop found", None: None}[detected]))
    heat = findings.get("thermal") or {}
    if heat.get("detected"):
        rows += [
            (
                "thermal throttling",
                f"after {format_bytes(heat.get('onset_bytes'))} ({heat.get('method')})",
            ),
            ("write rate throttled", _rate(heat.get("rate_after"))),
        ]
    elif heat.get("method"):
        rows.append(
            (
                "thermal throttling",
                {False: "none", None: "undecided"}[heat.get("detected")] + f" ({heat['method']})",
            )
        )
    measured = waf.get("measured")
    rows.append(("WAF (measured)", None if measured is None else f"{measured:.3f}"))
    steady = findings.get("steady_state") or {}
    if steady.get("measured"):
        rows.append(("steady state", "reached" if steady.get("steady") else "not reached"))
    return rows


def _rate(value: float | None) -> str | None:
    return None if value is None else f"{format_bytes(value)}/s"
