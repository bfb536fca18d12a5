"""Compare a profile with a baseline profile: pure functions, no I/O.

Cells are matched by their shape: `rw`, `direction`, `bs`, `offset`,
`iodepth`, `numjobs` (not by cell id or stage, so two plans that measure the
same shape compare); repeated rows of one shape (rounds) are taken by their
median. A metric regresses when it moved beyond its relative tolerance in
the bad direction (`metrics.better`: rates lower, latencies and wear higher;
any direction for metrics with no better side). A baseline cell or finding
whose value is unknown, or a baseline cell this profile did not measure, is
not compared (listed in the notes); if no cell at all is in common for a
metric, that metric fails.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nvmeprobe.qualify.criteria import RegressionRules
from nvmeprobe.qualify.judge import show
from nvmeprobe.qualify.metrics import better, finding_value, is_cells_metric
from nvmeprobe.qualify.verdict import Verdict
from nvmeprobe.units import format_bytes
from nvmeprobe.unknown import jsonable

SHAPE = ("rw", "direction", "bs", "offset", "iodepth", "numjobs")


def shape_medians(cells: pd.DataFrame, metric: str) -> dict[tuple[Any, ...], Any]:
    """Median of `metric` per cell shape, over rows where it is known."""
    rows = cells.dropna(subset=[metric])
    if rows.empty:
        return {}
    grouped = rows.groupby(list(SHAPE), dropna=False, sort=True)[metric].median()
    return {tuple(jsonable(k) for k in key): jsonable(value) for key, value in grouped.items()}


def shape_label(shape: tuple[Any, ...]) -> str:
    """'randwrite 4 KiB QD16 write', plus the offset and jobs when they are not 0 and 1."""
    rw, direction, bs, offset, iodepth, numjobs = shape
    label = f"{rw} {format_bytes(bs) if bs is not None else 'mixed'} QD{iodepth} {direction}"
    if offset:
        label += f" +{format_bytes(offset)}"
    if numjobs not in (None, 1):
        label += f" x{numjobs} jobs"
    return label


def check_change(metric: str, value: Any, base: Any, tolerance: float) -> tuple[bool, str]:
    """Whether `value` is within tolerance of `base` in the bad direction, and the rule as text."""
    side = better(metric)
    if side == "higher":
        limit = base * (1 - tolerance)
        return value >= limit, f">= {show(limit)} (baseline -{tolerance:.0%})"
    if side == "lower":
        limit = base * (1 + tolerance)
        return value <= limit, f"<= {show(limit)} (baseline +{tolerance:.0%})"
    span = abs(base) * tolerance
    return (
        abs(value - base) <= span,
        f"{show(base - span)}..{show(base + span)} (baseline +/-{tolerance:.0%})",
    )


def _verdict(
    metric: str,
    name: str,
    value: Any,
    base: Any,
    tolerance: float,
    where: dict[str, Any],
    cells: int | None,
) -> Verdict:
    if value is None:
        basis = f"{metric} is unknown now, baseline {show(base)}"
        return Verdict(
            name=name,
            kind="regression",
            metric=metric,
            passed=False,
            value=None,
            expected=f"known (baseline {show(base)})",
            message=basis,
            basis=basis,
            where=where,
            cells=cells,
            baseline=base,
        )
    passed, expected = check_change(metric, value, base, tolerance)
    basis = f"baseline {show(base)}" + (f" ({(value - base) / base:+.1%})" if base else "")
    return Verdict(
        name=name,
        kind="regression",
        metric=metric,
        passed=passed,
        value=value,
        expected=expected,
        basis=basis,
        where=where,
        cells=cells,
        baseline=base,
        message=f"{show(value)} {'meets' if passed else 'fails'} {expected}; {basis}",
    )


def _compare_cells(
    metric: str, cells: pd.DataFrame, base_cells: pd.DataFrame, tolerance: float, notes: list[str]
) -> list[Verdict]:
    base = shape_medians(base_cells, metric)
    now = shape_medians(cells, metric)
    verdicts = []
    for shape, base_value in base.items():
        if shape not in now:
            notes.append(f"{metric} {shape_label(shape)}: not measured in this profile")
            continue
        verdicts.append(
            _verdict(
                metric,
                f"regression {metric} {shape_label(shape)}",
                now[shape],
                base_value,
                tolerance,
                dict(zip(SHAPE, shape)),
                1,
            )
        )
    if base and not verdicts:
        verdicts.append(
            Verdict(
                name=f"regression {metric}",
                kind="regression",
                metric=metric,
                passed=False,
                value=None,
                expected="cells in common with the baseline",
                message=f"no cell shape in common with the baseline's {len(base)}",
                basis="no cell shape in common",
                cells=0,
            )
        )
    if not base:
        notes.append(f"{metric}: unknown in every baseline cell")
    return verdicts


def compare_to_baseline(
    cells: pd.DataFrame,
    findings: dict[str, Any],
    base_cells: pd.DataFrame,
    base_findings: dict[str, Any],
    rules: RegressionRules,
) -> tuple[list[Verdict], list[str]]:
    """Regression verdicts for every compared metric, and notes on what was not compared."""
    verdicts: list[Verdict] = []
    notes: list[str] = []
    for metric in rules.metrics:
        tolerance = rules.tolerance_for(metric)
        if is_cells_metric(metric):
            verdicts += _compare_cells(metric, cells, base_cells, tolerance, notes)
            continue
        base = jsonable(finding_value(base_findings, metric))
        if base is None:
            notes.append(f"{metric}: unknown in the baseline")
            continue
        verdicts.append(
            _verdict(
                metric,
                f"regression {metric}",
                jsonable(finding_value(findings, metric)),
                base,
                tolerance,
                {},
                None,
            )
        )
    return verdicts, notes
