"""Fleet checks (`spread_max`): one value per drive, judged across the drives. Pure functions.

A drive's value is the criterion's `agg` (median by default) of its matching
cells, or the analysis key, per profile; with several runs of a drive, their
median. The check passes when (max - min) / |median| across the drives is
at most `spread_max`. Fewer than two drives with a value fails: a spread of
one drive is unknown, never a pass. Outliers (beyond 3 scaled MADs,
`analyze.spread`) are named in the verdict.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nvmeprobe.analyze.spread import distribution, median
from nvmeprobe.qualify.criteria import Criterion
from nvmeprobe.qualify.judge import aggregate, matching_rows, show
from nvmeprobe.qualify.metrics import finding_value
from nvmeprobe.qualify.verdict import Verdict
from nvmeprobe.unknown import jsonable


@dataclass(frozen=True)
class Measured:
    """One profile's cells and findings, and the drive (serial) it measured."""

    drive: str
    cells: pd.DataFrame
    findings: dict[str, Any]


def drive_value(criterion: Criterion, item: Measured) -> float | None:
    """The criterion's value in one profile: an aggregate of matching cells, or an analysis key."""
    if criterion.on_cells:
        values = matching_rows(item.cells, criterion.where)[criterion.metric].dropna()
        return None if values.empty else aggregate(values, criterion.agg or "median")
    value = jsonable(finding_value(item.findings, criterion.metric))
    return None if value is None or isinstance(value, bool) else float(value)


def judge_spread(criterion: Criterion, items: list[Measured]) -> Verdict:
    """The verdict of one `spread_max` criterion over the profiles of several drives."""
    runs: dict[str, list[float]] = defaultdict(list)
    for item in items:
        value = drive_value(criterion, item)
        if value is not None:
            runs[item.drive].append(value)
    per_drive = {drive: median(values) for drive, values in runs.items()}
    found = distribution({d: v for d, v in per_drive.items() if v is not None})
    expected = f"spread <= {criterion.spread_max:.1%}"
    where = {k: list(v) if len(v) > 1 else v[0] for k, v in criterion.where.items()}
    drives = len({item.drive for item in items})
    if found is None or found.n < 2 or found.spread is None:
        known = 0 if found is None else found.n
        basis = (
            f"spread across drives needs two or more drives with a value; {known} of"
            f" {drives} drive(s) have one"
        )
        return Verdict(
            criterion.name,
            "fleet",
            criterion.metric,
            False,
            None,
            expected,
            basis,
            basis,
            where,
            criterion.agg,
            None,
        )
    passed = found.spread <= (criterion.spread_max or 0.0)
    outliers = f"; outliers: {', '.join(found.outliers)}" if found.outliers else ""
    basis = (
        f"{found.n} drives: median {show(found.median)}, min {show(found.min)},"
        f" max {show(found.max)}{outliers}"
    )
    message = f"{basis}: spread {found.spread:.1%} {'meets' if passed else 'fails'} {expected}"
    return Verdict(
        criterion.name,
        "fleet",
        criterion.metric,
        passed,
        round(found.spread, 6),
        expected,
        message,
        basis,
        where,
        criterion.agg,
        None,
    )
