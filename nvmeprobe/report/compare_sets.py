"""Compare two sets of drives (firmware A's against firmware B's), not two profiles.

Each side is reduced to one value per drive (`report.fleet`: the median over
a drive's runs). Per cell metric and numeric finding, the medians of the two
sides are compared and the difference is tested against the spread within
each side (`analyze.spread.set_difference`): Mann-Whitney U when there are
enough drives for it to reach p <= 0.05, else the difference of medians
against 3 pooled scaled MADs, else (one drive on a side) "too few drives" and
nothing is tested. A value counts as beyond noise only when the test says so
AND the relative change exceeds the noise floor (`--noise`): a consistent 1%
shift is real but not worth a line. With too few drives, the floor alone
decides, as for two profiles, and the row says the spread was not tested.
Text and true/false findings count as changed when the two sides' sets of
values differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nvmeprobe.analyze.spread import (
    ALPHA,
    MANN_WHITNEY,
    POOLED_MAD,
    TOO_FEW,
    median,
    set_difference,
)
from nvmeprobe.errors import InputError
from nvmeprobe.profile.resolve import Loaded
from nvmeprobe.report.compare import (
    DEFAULT_NOISE,
    KEYS,
    METRICS,
    cell_order,
    key_dict,
    number,
    one_sided,
    relative_change,
    verdict,
)
from nvmeprobe.report.fleet import cell_values, finding_values


def _side(items: list[Loaded], paths: list[Path]) -> dict[str, Any]:
    return {
        "paths": [str(p) for p in paths],
        "profiles": len(items),
        "drives": sorted({item.drive for item in items}),
        "models": sorted({item.model or "unknown" for item in items}),
        "firmware": sorted(
            {str((i.profile.facts.get("identity") or {}).get("firmware")) for i in items}
        ),
    }


def _tested(values_a: dict[str, Any], values_b: dict[str, Any], noise: float) -> dict[str, Any]:
    numbers_a = [n for v in values_a.values() if (n := number(v)) is not None]
    numbers_b = [n for v in values_b.values() if (n := number(v)) is not None]
    found = set_difference(numbers_a, numbers_b)
    if found is None:  # one side has no value: B gained or lost it
        return {
            "n_a": len(numbers_a),
            "n_b": len(numbers_b),
            "a": median(numbers_a),
            "b": median(numbers_b),
            "change": None,
            "test": None,
            "p_value": None,
            "beyond_noise": bool(numbers_a) != bool(numbers_b),
        }
    change = relative_change(found.a, found.b)
    large = change is None and found.a != found.b or change is not None and abs(change) > noise
    beyond = large if found.test == TOO_FEW else bool(found.beyond_spread) and large
    return {
        "n_a": found.n_a,
        "n_b": found.n_b,
        "a": found.a,
        "b": found.b,
        "change": change,
        "test": found.test,
        "p_value": found.p_value,
        "beyond_noise": bool(beyond),
    }


def _cells(a: list[Loaded], b: list[Loaded], noise: float) -> dict[str, Any]:
    left, right = cell_values(a), cell_values(b)
    rows = []
    for key in sorted(set(left) & set(right), key=cell_order):
        for metric in METRICS:
            values_a, values_b = left[key].get(metric, {}), right[key].get(metric, {})
            if not values_a and not values_b:
                continue
            row = {**key_dict(key), "metric": metric, **_tested(values_a, values_b, noise)}
            row["verdict"] = (
                verdict(metric, row["change"])
                if row["beyond_noise"] and row["change"] is not None
                else None
            )
            rows.append(row)
    return {"cells": rows, **one_sided(set(left), set(right))}


def _findings(a: list[Loaded], b: list[Loaded], noise: float) -> list[dict[str, Any]]:
    left, right = finding_values(a), finding_values(b)
    rows = []
    for name in sorted(set(left) | set(right)):
        values_a, values_b = left.get(name, {}), right.get(name, {})
        every = list(values_a.values()) + list(values_b.values())
        if all(number(v) is not None for v in every):
            rows.append({"finding": name, **_tested(values_a, values_b, noise)})
            continue
        seen_a = sorted({str(v) for v in values_a.values()})
        seen_b = sorted({str(v) for v in values_b.values()})
        rows.append(
            {
                "finding": name,
                "n_a": len(values_a),
                "n_b": len(values_b),
                "a": ", ".join(seen_a) or None,
                "b": ", ".join(seen_b) or None,
                "change": None,
                "test": "values differ",
                "p_value": None,
                "beyond_noise": seen_a != seen_b,
            }
        )
    return rows


def compare_sets(
    a: list[Loaded],
    b: list[Loaded],
    paths_a: list[Path],
    paths_b: list[Path],
    noise: float = DEFAULT_NOISE,
) -> dict[str, Any]:
    """The `compare --json` document for two sets of profiles."""
    if not 0 <= noise < 10:
        raise InputError(f"--noise {noise} must be a fraction such as 0.05 (5%)")
    cells = _cells(a, b, noise)
    findings = _findings(a, b, noise)
    tests = [row["test"] for row in cells["cells"] + findings]
    return {
        "sets": True,
        "a": _side(a, paths_a),
        "b": _side(b, paths_b),
        "noise": {
            "floor": noise,
            "alpha": ALPHA,
            "unit": "one value per drive (median of its runs)",
            "rule": f"beyond noise: the test says B differs from A ({MANN_WHITNEY}"
            f" p <= {ALPHA}"
            f" when there are enough drives, else {POOLED_MAD} x 3) and |b - a| / |a|"
            f" > floor; with one drive on a side ({TOO_FEW}) the floor alone",
        },
        **cells,
        "findings": findings,
        "summary": {
            "cells_matched": len({tuple(r[k] for k in KEYS) for r in cells["cells"]}),
            "cell_values_beyond_noise": sum(r["beyond_noise"] for r in cells["cells"]),
            "findings_compared": len(findings),
            "findings_beyond_noise": sum(r["beyond_noise"] for r in findings),
            "tests": {name: tests.count(name) for name in sorted(set(tests) - {None})},
        },
    }
