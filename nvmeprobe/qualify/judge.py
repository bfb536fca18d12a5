"""Judge criteria against a profile's cells and findings: pure functions, no I/O.

Cells metrics: the rows matching `where` (every listed column equal to one of
its values) are selected. With `agg`, that aggregate of the metric is
checked. Without `agg`, every matching row must pass: `min` is checked
against the smallest value, `max` against the largest, `equals` against
each; the value shown is the worst row. No matching row, or no known value
in the matching rows, fails: unknown is never a pass. Analysis keys are read
from the findings; null fails with the analysis's own reason when it gives one.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from nvmeprobe.qualify.criteria import Criterion
from nvmeprobe.qualify.metrics import finding_reason, finding_value
from nvmeprobe.qualify.verdict import Verdict
from nvmeprobe.unknown import jsonable


def show(value: Any) -> str:
    """A value as people read it in a verdict line."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def matching_rows(cells: pd.DataFrame, where: dict[str, tuple[Any, ...]]) -> pd.DataFrame:
    """Cell rows whose columns each equal one of the values in `where`."""
    mask = pd.Series(True, index=cells.index)
    for column, values in where.items():
        mask &= cells[column].isin(list(values)).fillna(False).astype(bool)
    return cells[mask]


def aggregate(values: pd.Series, agg: str) -> Any:
    """mean, median, min, max or sum of known values."""
    return jsonable(getattr(values, agg)())


def expected_text(criterion: Criterion, reference: Any = None) -> str:
    """The rule as text: '>= 50000', '<= 1e9', '100..200', '== iu.reported_bytes (16,384)'."""
    if criterion.equals is not None:
        if isinstance(criterion.equals, str):
            return f"== {criterion.equals} ({show(reference)})"
        return f"== {show(criterion.equals)}"
    if criterion.min is not None and criterion.max is not None:
        return f"{show(criterion.min)}..{show(criterion.max)}"
    if criterion.min is not None:
        return f">= {show(criterion.min)}"
    return f"<= {show(criterion.max)}"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)


def _within(value: Any, criterion: Criterion, reference: Any) -> bool:
    if criterion.equals is not None:
        return _equal(value, reference)
    return (criterion.min is None or value >= criterion.min) and (
        criterion.max is None or value <= criterion.max
    )


def _worst(values: list[Any], criterion: Criterion, reference: Any) -> Any:
    """Without agg: the failing row value if any, else the one nearest the bound checked."""
    failing = [v for v in values if not _within(v, criterion, reference)]
    if criterion.equals is not None:
        return failing[0] if failing else values[0]
    low, high = min(values), max(values)
    if criterion.min is not None and low < criterion.min:
        return low
    if criterion.max is not None and high > criterion.max:
        return high
    return low if criterion.min is not None else high


def _verdict(
    criterion: Criterion, passed: bool, value: Any, expected: str, basis: str, cells: int | None
) -> Verdict:
    message = (
        f"{basis}: {show(value)} {'meets' if passed else 'fails'} {expected}"
        if value is not None
        else basis
    )
    return Verdict(
        name=criterion.name,
        kind="criterion",
        metric=criterion.metric,
        passed=passed,
        value=value,
        expected=expected,
        message=message,
        basis=basis,
        where={k: list(v) if len(v) > 1 else v[0] for k, v in criterion.where.items()},
        agg=criterion.agg,
        cells=cells,
    )


def _judge_cells(criterion: Criterion, cells: pd.DataFrame, reference: Any) -> Verdict:
    expected = expected_text(criterion, reference)
    rows = matching_rows(cells, criterion.where)
    if rows.empty:
        where = ", ".join(
            f"{k}={show(jsonable(v[0])) if len(v) == 1 else list(v)}"
            for k, v in criterion.where.items()
        )
        return _verdict(
            criterion,
            False,
            None,
            expected,
            f"no cell matches where {where}" if where else "no cell matches (no cells)",
            0,
        )
    known = [jsonable(v) for v in rows[criterion.metric].dropna()]
    if not known:
        return _verdict(
            criterion,
            False,
            None,
            expected,
            f"{criterion.metric} is unknown in all {len(rows)} matching cells",
            len(rows),
        )
    if criterion.agg:
        value = aggregate(rows[criterion.metric].dropna(), criterion.agg)
        how = f"{criterion.agg} of {len(known)} cells"
    else:
        value = _worst(known, criterion, reference)
        how = "every cell" if len(known) > 1 else "1 cell"
        if len(known) > 1:
            how += f" (range {show(min(known))}..{show(max(known))})"
    return _verdict(
        criterion, _within(value, criterion, reference), value, expected, how, len(known)
    )


def judge_criterion(criterion: Criterion, cells: pd.DataFrame, findings: dict[str, Any]) -> Verdict:
    """One verdict for one criterion."""
    reference = None
    if isinstance(criterion.equals, str):
        reference = jsonable(finding_value(findings, criterion.equals))
        if reference is None:
            reason = finding_reason(findings, criterion.equals)
            return _verdict(
                criterion,
                False,
                None,
                expected_text(criterion),
                f"{criterion.equals} is unknown" + (f": {reason}" if reason else ""),
                None,
            )
    else:
        reference = criterion.equals
    if criterion.on_cells:
        return _judge_cells(criterion, cells, reference)
    expected = expected_text(criterion, reference)
    value = jsonable(finding_value(findings, criterion.metric))
    if value is None:
        reason = finding_reason(findings, criterion.metric)
        return _verdict(
            criterion,
            False,
            None,
            expected,
            f"{criterion.metric} is unknown" + (f": {reason}" if reason else ""),
            None,
        )
    return _verdict(
        criterion, _within(value, criterion, reference), value, expected, "analysis", None
    )


def judge(
    criteria: tuple[Criterion, ...] | list[Criterion], cells: pd.DataFrame, findings: dict[str, Any]
) -> list[Verdict]:
    """A verdict per criterion, in file order."""
    return [judge_criterion(c, cells, findings) for c in criteria]
