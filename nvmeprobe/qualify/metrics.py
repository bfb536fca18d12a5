"""What a criterion may measure: cells columns and analysis keys, their kinds and good direction.

A metric is either a column of the profile's cell rows (`iops`, `lat_p99_us`,
`media_bytes_written`, ...) or the dotted path of an analysis finding
(`analyze --json`, stored in the profile as finding rows). Only the analysis
leaves below are judged: they are the contract of `analyze --json`
(docs/design.md section 6); lists (`iu.rmw_amplification`) and evidence are not
metrics.
"""

from __future__ import annotations

from typing import Any, Literal

from nvmeprobe.profile.columns import CELL_FIELDS

Kind = Literal["number", "bool", "str"]
Better = Literal["higher", "lower", "either"]

ANALYSIS_KEYS: dict[str, Kind] = {
    "iu.inferred_bytes": "number",
    "iu.reported_bytes": "number",
    "iu.agrees": "bool",
    "iu.confidence": "number",
    "slc.detected": "bool",
    "slc.cache_bytes": "number",
    "slc.in_cache_bw": "number",
    "slc.post_cache_bw": "number",
    "slc.recovered_bytes": "number",
    "thermal.detected": "bool",
    "thermal.onset_s": "number",
    "thermal.onset_bytes": "number",
    "thermal.rate_before": "number",
    "thermal.rate_after": "number",
    "thermal.temperature_c": "number",
    "waf.measured": "number",
    "waf.host_bytes": "number",
    "waf.media_bytes": "number",
    "steady_state.measured": "bool",
    "steady_state.steady": "bool",
}

_CELL_KIND: dict[str, Kind] = {"int": "number", "float": "number", "bool": "bool", "str": "str"}
CELL_COLUMNS: dict[str, Kind] = {name: _CELL_KIND[kind] for name, kind in CELL_FIELDS.items()}
"""Every cells column with its kind: 'number', 'bool' or 'str'."""

SIZE_COLUMNS = frozenset({"bs", "offset"})
"""Integer cells columns whose `where` values may be written as sizes ('4k')."""

_HIGHER = frozenset(
    {
        "iops",
        "bw_bytes",
        "total_ios",
        "io_bytes",
        "iu.confidence",
        "slc.cache_bytes",
        "slc.in_cache_bw",
        "slc.post_cache_bw",
        "slc.recovered_bytes",
        "thermal.onset_s",
        "thermal.onset_bytes",
        "thermal.rate_after",
    }
)
_LOWER = frozenset(
    {"media_bytes_written", "error", "waf.measured", "waf.media_bytes", "thermal.temperature_c"}
)


def metric_kind(metric: str) -> Kind | None:
    """The kind of a cells column or analysis key; None when it is neither."""
    return CELL_COLUMNS.get(metric) or ANALYSIS_KEYS.get(metric)


def is_cells_metric(metric: str) -> bool:
    """True for a cells column (aggregated over rows), False for an analysis key."""
    return metric in CELL_COLUMNS


def better(metric: str) -> Better:
    """Which way is better for a regression check: latencies and wear lower, rates higher."""
    if metric in _HIGHER:
        return "higher"
    if metric in _LOWER or metric.startswith("lat_"):
        return "lower"
    return "either"


def finding_value(findings: dict[str, Any], key: str) -> Any:
    """The value at a dotted analysis key; None when absent or unknown."""
    node: Any = findings
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def finding_reason(findings: dict[str, Any], key: str) -> str | None:
    """Why an analysis result is unknown, from its section's evidence (`reason`), if it says."""
    section = findings.get(key.split(".")[0])
    evidence = section.get("evidence") if isinstance(section, dict) else None
    reason = evidence.get("reason") if isinstance(evidence, dict) else None
    return str(reason) if reason else None
