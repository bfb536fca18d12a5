"""Many drives at once: one value per drive and metric, and the fleet view of each model.

A drive is its serial (within a model); a profile without a serial counts as
a drive of its own, named by its file. A drive's value of a cell metric is
the median over its runs of each run's median for that cell (rounds and
repeats reduced as `compare` does); a finding's is the median over its runs
(numbers) or its latest run's value (text, true/false). Sustained-write cells
are left out, as in `compare`.

The fleet view of a model with two or more drives gives, per cell metric and
finding, the distribution across drives (`analyze.spread.distribution`:
median, min, max, spread, scaled MAD) and names the outliers (beyond 3 MAD).
Over hundreds of values the rule names an ordinary drive now and then (1-5%
of drives per value, by chance), so the fleet's `outliers` say how many of
the values each drive was named in: a bad drive is named in most.
Text and true/false findings list which drives gave which value.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from nvmeprobe.analyze.spread import OUTLIER_MADS, distribution, median
from nvmeprobe.profile.resolve import Loaded
from nvmeprobe.report.compare import (
    METRICS,
    cell_order,
    cell_summary,
    finding_leaves,
    key_dict,
    number,
)
from nvmeprobe.report.data import findings_of, measured_cells

CellValues = dict[tuple, dict[str, dict[str, float]]]
"""cell key -> metric -> drive -> value."""


def cell_values(items: list[Loaded]) -> CellValues:
    """Per cell key and metric, one value per drive (median over its runs)."""
    runs: dict[tuple, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for item in items:
        for key, metrics in cell_summary(measured_cells(item.profile)).items():
            for metric, (value, _) in metrics.items():
                if value is not None:
                    runs[key][metric][item.drive].append(value)
    return {
        key: {
            metric: {
                drive: v for drive, values in drives.items() if (v := median(values)) is not None
            }
            for metric, drives in metrics.items()
        }
        for key, metrics in runs.items()
    }


def finding_values(items: list[Loaded]) -> dict[str, dict[str, Any]]:
    """Per finding leaf, one value per drive: the median of numbers, else the latest run's."""
    runs: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for item in sorted(items, key=lambda i: i.profile.run_id or ""):
        for name, value in finding_leaves(findings_of(item.profile)[0]).items():
            if value is not None:
                runs[name][item.drive].append(value)
    result: dict[str, dict[str, Any]] = {}
    for name, drives in runs.items():
        result[name] = {}
        for drive, values in drives.items():
            numbers = [number(v) for v in values]
            numeric = all(n is not None for n in numbers)
            result[name][drive] = (
                median(numbers)
                if numeric  # type: ignore[arg-type]
                else values[-1]
            )
    return result


def _numeric(values: dict[str, Any]) -> bool:
    return all(number(v) is not None for v in values.values())


def _finding_row(name: str, values: dict[str, Any]) -> dict[str, Any]:
    if _numeric(values):
        found = distribution(
            {drive: n for drive, v in values.items() if (n := number(v)) is not None}
        )
        return {"finding": name, **(found.to_dict() if found else {})}
    groups: dict[str, list[str]] = defaultdict(list)
    for drive, value in sorted(values.items()):
        groups[str(value)].append(drive)
    return {"finding": name, "n": len(values), "values": dict(groups)}


def fleet_of(model: str | None, items: list[Loaded]) -> dict[str, Any]:
    """The fleet view of one model's profiles (see the module docstring)."""
    drives = sorted({item.drive for item in items})
    cells = []
    for key, metrics in sorted(cell_values(items).items(), key=lambda kv: cell_order(kv[0])):
        for metric in METRICS:
            found = distribution(metrics.get(metric, {}))
            if found is not None and found.n >= 2:
                cells.append({**key_dict(key), "metric": metric, **found.to_dict()})
    findings = [
        _finding_row(name, values)
        for name, values in sorted(finding_values(items).items())
        if len(values) >= 2
    ]
    return {
        "model": model,
        "drives": drives,
        "profiles": len(items),
        "outlier_rule": f"beyond {OUTLIER_MADS:g} scaled MADs (MAD x 1.4826) from the median"
        " of the drives, MAD floored at 1% of the median; 3 drives or more",
        "cells": cells,
        "findings": findings,
        "outliers": _outlier_counts(cells + findings),
    }


def _outlier_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each drive named an outlier: in how many of the values judged, most first."""
    judged = [row for row in rows if "outliers" in row]
    counts = Counter(drive for row in judged for drive in row["outliers"])
    return [
        {"drive": drive, "values": count, "of": len(judged)}
        for drive, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def fleets(items: list[Loaded]) -> list[dict[str, Any]]:
    """A fleet view for every model measured on two or more drives."""
    by_model: dict[str | None, list[Loaded]] = defaultdict(list)
    for item in items:
        by_model[item.model].append(item)
    models = sorted(by_model.items(), key=lambda kv: str(kv[0]))
    return [
        fleet_of(model, group)
        for model, group in models
        if len({item.drive for item in group}) >= 2
    ]
