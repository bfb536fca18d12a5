"""Compare two profiles (two drives, or one drive before and after a firmware update).

Cells match on (rw, direction, bs, offset, iodepth, numjobs). Sustained-write
cells are left out (their averages depend on how far each burst ran; the SLC
findings compare them). Repeated cells of one key (rounds, repeats) are
reduced to their median.

Noise. A change counts ("beyond noise") when |B - A| / |A| exceeds the
tolerance of that value: the noise floor (`--noise`, default 5%, a typical
run-to-run spread of one drive) or, when larger, the spread measured in the
profiles themselves, (max - min) / median of the repeats of that cell and
metric in either profile. Within-run repeats understate run-to-run noise,
which is why they only widen the floor. Findings have no repeats: numbers use
the floor; text, booleans and values present on one side only count as
changed whenever they differ.

Findings are compared leaf by leaf; lists of records (RMW factors, WAF by
size, saturation knees) are matched on their (rw, direction, bs, offset,
iodepth, numjobs) fields. Evidence, method versions and the per-cell
percentile tables (the cells are compared directly) are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.profile import Profile
from nvmeprobe.report.data import findings_of, measured_cells
from nvmeprobe.units import format_size_token
from nvmeprobe.unknown import jsonable, optional_float

KEYS = ("rw", "direction", "bs", "offset", "iodepth", "numjobs")
# metric -> the direction that is better
METRICS = {
    "iops": "higher",
    "bw_bytes": "higher",
    "lat_mean_us": "lower",
    "lat_p50_us": "lower",
    "lat_p99_us": "lower",
    "lat_p99_9_us": "lower",
    "lat_p99_99_us": "lower",
}
DEFAULT_NOISE = 0.05
SKIPPED_FINDINGS = frozenset(
    {"evidence", "method_version", "percentiles", "percentile_columns", "points"}
)


def number(value: Any) -> float | None:
    """A metric as a float; None when unknown or not a number (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    try:
        return optional_float(value)
    except (TypeError, ValueError):
        return None


def relative_change(a: float | None, b: float | None) -> float | None:
    """(b - a) / |a|; 0 when both are 0; None when unknown or a is 0 and b is not."""
    if a is None or b is None:
        return None
    if a == 0:
        return 0.0 if b == 0 else None
    return (b - a) / abs(a)


def _spread(values: pd.Series) -> float | None:
    values = values.dropna()
    if len(values) < 2:
        return None
    middle = abs(float(values.median()))
    return None if middle == 0 else float(values.max() - values.min()) / middle


def cell_summary(cells: pd.DataFrame) -> dict[tuple, dict[str, tuple[float | None, float | None]]]:
    """Per cell key: metric -> (median, repeat spread or None)."""
    summary: dict[tuple, dict[str, tuple[float | None, float | None]]] = {}
    frame = cells.astype({key: object for key in KEYS})
    for key, group in frame.groupby(list(KEYS), sort=True, dropna=False):
        key = tuple(jsonable(value) for value in key)
        summary[key] = {
            metric: (number(group[metric].median()), _spread(group[metric]))
            for metric in METRICS
            if metric in group
        }
    return summary


def cell_order(key: tuple) -> list[tuple[bool, Any]]:
    """Sort cell keys numerically, unknown values last."""
    return [(value is None, value if value is not None else 0) for value in key]


def key_dict(key: tuple) -> dict[str, Any]:
    return {
        name: (
            int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        )
        for name, value in zip(KEYS, key)
    }


def one_sided(left: set[tuple], right: set[tuple]) -> dict[str, list[dict[str, Any]]]:
    """The cell keys found on one side only, as `cells_only_in_a` and `cells_only_in_b`."""
    return {
        "cells_only_in_a": [key_dict(k) for k in sorted(left - right, key=cell_order)],
        "cells_only_in_b": [key_dict(k) for k in sorted(right - left, key=cell_order)],
    }


def cell_label(row: dict[str, Any]) -> str:
    """'randwrite write 4k+4k QD16 x1' from a cell key's fields."""
    size = "?" if row["bs"] is None else format_size_token(row["bs"])
    offset = f"+{format_size_token(row['offset'])}" if row["offset"] else ""
    depth, jobs = (("?" if row[k] is None else row[k]) for k in ("iodepth", "numjobs"))
    return f"{row['rw']} {row['direction']} {size}{offset} QD{depth} x{jobs}"


def verdict(metric: str, change: float) -> str:
    higher_better = METRICS[metric] == "higher"
    return "better" if (change > 0) == higher_better else "worse"


def compare_cells(a: pd.DataFrame, b: pd.DataFrame, noise: float) -> dict[str, Any]:
    """Every matching cell's metrics side by side; keys found on one side only."""
    left, right = cell_summary(a), cell_summary(b)
    rows = []
    for key in sorted(set(left) & set(right), key=cell_order):
        for metric in METRICS:
            value_a, spread_a = left[key].get(metric, (None, None))
            value_b, spread_b = right[key].get(metric, (None, None))
            if value_a is None and value_b is None:
                continue
            measured = max((s for s in (spread_a, spread_b) if s is not None), default=None)
            tolerance = max(noise, measured or 0.0)
            change = relative_change(value_a, value_b)
            beyond = (
                (value_a is None) != (value_b is None)
                or (change is None and value_a != value_b)
                or (change is not None and abs(change) > tolerance)
            )
            rows.append(
                {
                    **key_dict(key),
                    "metric": metric,
                    "a": value_a,
                    "b": value_b,
                    "change": change,
                    "tolerance": tolerance,
                    "noise_measured": measured,
                    "beyond_noise": bool(beyond),
                    "verdict": verdict(metric, change) if beyond and change is not None else None,
                }
            )
    return {"cells": rows, **one_sided(set(left), set(right))}


def _item_name(item: dict[str, Any], index: int) -> str:
    ident = [f"{key}={item[key]}" for key in KEYS if key in item and item[key] is not None]
    return f"[{','.join(ident) if ident else index}]"


def finding_leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """Findings as {dotted name: scalar}; lists of records keyed by their cell fields."""
    leaves: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, child in node.items():
            if key not in SKIPPED_FINDINGS:
                leaves.update(finding_leaves(child, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
        for index, item in enumerate(node):
            scalars = {k: v for k, v in item.items() if k not in KEYS}
            leaves.update(finding_leaves(scalars, f"{prefix}{_item_name(item, index)}"))
    elif isinstance(node, list):
        leaves[prefix] = ", ".join(map(str, node)) if node else None
    else:
        leaves[prefix] = node
    return leaves


def compare_findings(a: dict[str, Any], b: dict[str, Any], noise: float) -> list[dict[str, Any]]:
    """Every finding leaf of either side, with its change and whether it counts."""
    left, right = finding_leaves(a), finding_leaves(b)
    rows = []
    for name in sorted(set(left) | set(right)):
        value_a, value_b = left.get(name), right.get(name)
        if value_a is None and value_b is None:
            continue
        number_a, number_b = number(value_a), number(value_b)
        numeric = number_a is not None and number_b is not None
        change = relative_change(number_a, number_b) if numeric else None
        beyond = abs(change) > noise if numeric and change is not None else value_a != value_b
        rows.append(
            {
                "finding": name,
                "a": value_a,
                "b": value_b,
                "change": change,
                "tolerance": noise if numeric else None,
                "beyond_noise": bool(beyond),
            }
        )
    return rows


def _identity(profile: Profile, path: Path) -> dict[str, Any]:
    identity = (profile.facts or {}).get("identity") or {}
    cells = profile.cells

    def first(name: str) -> Any:
        return next(iter(cells[name].dropna()), None) if name in cells else None

    return {
        "path": str(path),
        "model": identity.get("model") or first("model"),
        "serial": identity.get("serial") or first("serial"),
        "firmware": identity.get("firmware"),
        "run_id": profile.run_id,
    }


def compare_profiles(
    a: Profile, b: Profile, path_a: Path, path_b: Path, noise: float = DEFAULT_NOISE
) -> dict[str, Any]:
    """The `compare --json` document."""
    if not 0 <= noise < 10:
        raise InputError(f"--noise {noise} must be a fraction such as 0.05 (5%)")
    cells = compare_cells(measured_cells(a), measured_cells(b), noise)
    findings = compare_findings(findings_of(a)[0], findings_of(b)[0], noise)
    return {
        "a": _identity(a, path_a),
        "b": _identity(b, path_b),
        "noise": {
            "floor": noise,
            "rule": "beyond noise: |b - a| / |a| > max(floor, spread of the"
            " cell's repeats in either profile); text and one-sided values: any difference",
        },
        **cells,
        "findings": findings,
        "summary": {
            "cells_matched": len({tuple(r[k] for k in KEYS) for r in cells["cells"]}),
            "cell_values_beyond_noise": sum(r["beyond_noise"] for r in cells["cells"]),
            "findings_compared": len(findings),
            "findings_beyond_noise": sum(r["beyond_noise"] for r in findings),
        },
    }
