"""Criteria files (TOML): parsed and validated before anything runs.

    plan = "smoke"                 # optional: the plan `qualify TARGET` runs
    set = ["runtime=2s"]           # optional: plan overrides, as --set
    [[criterion]]
    name = "4 KiB random write IOPS at QD16"
    metric = "iops"                # a cells column or an analysis key
    where = { rw = "randwrite", bs = "4k", iodepth = 16 }   # cells only; a list = any of
    min = 50000                    # and/or max; or equals = NUMBER | BOOL | "analysis.key"
    agg = "mean"                   # optional: mean, median, min, max, sum over matching rows
    spread_max = 0.10              # instead of min/max/equals: (max - min) / median across drives
    [regression]                   # used with --baseline
    tolerance = 0.10               # relative change allowed in the bad direction
    metrics = ["iops", "lat_p99_us"]
    tolerances = { lat_p99_us = 0.25 }

Every mistake is an InputError (exit code 2) naming the file, the criterion
and the problem in one line.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.qualify.metrics import (
    ANALYSIS_KEYS,
    CELL_COLUMNS,
    SIZE_COLUMNS,
    is_cells_metric,
    metric_kind,
)
from nvmeprobe.units import parse_size

AGGREGATES = ("mean", "median", "min", "max", "sum")
DEFAULT_REGRESSION_METRICS = ("iops", "bw_bytes", "lat_p99_us")
DEFAULT_TOLERANCE = 0.10
_TOP_KEYS = {"plan", "set", "criterion", "regression"}
_CRITERION_KEYS = {"name", "metric", "where", "agg", "min", "max", "equals", "spread_max"}
_REGRESSION_KEYS = {"tolerance", "metrics", "tolerances"}


@dataclass(frozen=True)
class Criterion:
    """One acceptance check. `where` maps a cells column to the values it may take.

    With `spread_max` it is a fleet check: one value per drive (the `agg`, default median, of
    its matching cells; the median over its runs), and (max - min) / median across the drives
    must not exceed `spread_max`.
    """

    name: str
    metric: str
    where: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    agg: str | None = None
    min: float | None = None
    max: float | None = None
    equals: float | bool | str | None = None
    spread_max: float | None = None

    @property
    def across_drives(self) -> bool:
        """True for a fleet check (`spread_max`), judged over several drives at once."""
        return self.spread_max is not None

    @property
    def on_cells(self) -> bool:
        """True when the metric is a cells column (aggregated over matching rows)."""
        return is_cells_metric(self.metric)


@dataclass(frozen=True)
class RegressionRules:
    """How a profile is compared with a baseline profile."""

    tolerance: float = DEFAULT_TOLERANCE
    metrics: tuple[str, ...] = DEFAULT_REGRESSION_METRICS
    tolerances: dict[str, float] = field(default_factory=dict)

    def tolerance_for(self, metric: str) -> float:
        """The relative tolerance of one metric (its own, else the default)."""
        return self.tolerances.get(metric, self.tolerance)


@dataclass(frozen=True)
class Criteria:
    """A whole criteria file."""

    criteria: tuple[Criterion, ...]
    regression: RegressionRules = field(default_factory=RegressionRules)
    plan: str | None = None
    overrides: tuple[str, ...] = ()
    source: str = "<criteria>"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _where_value(column: str, value: Any, where: str) -> Any:
    kind = CELL_COLUMNS[column]
    if kind == "number":
        if column in SIZE_COLUMNS and isinstance(value, str):
            try:
                return parse_size(value)
            except InputError as err:
                raise InputError(f"{where}: where {column}: {err}") from None
        if _number(value):
            return value
        raise InputError(f"{where}: where {column} = {value!r} is not a number")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise InputError(f"{where}: where {column} = {value!r} is not true or false")
    if isinstance(value, str):
        return value
    raise InputError(f"{where}: where {column} = {value!r} is not text")


def _parse_where(raw: Any, where: str) -> dict[str, tuple[Any, ...]]:
    if not isinstance(raw, dict):
        raise InputError(
            f'{where}: where must be a table such as {{ rw = "randwrite", bs = 4096 }}'
        )
    parsed = {}
    for column, value in raw.items():
        if column not in CELL_COLUMNS:
            raise InputError(
                f"{where}: unknown where column {column!r}"
                f" (cells columns: {', '.join(CELL_COLUMNS)})"
            )
        values = value if isinstance(value, list) else [value]
        if not values:
            raise InputError(f"{where}: where {column} is an empty list")
        parsed[column] = tuple(_where_value(column, v, where) for v in values)
    return parsed


def _unknown_metric(metric: Any, where: str) -> InputError:
    return InputError(
        f"{where}: unknown metric key {metric!r} (a numeric cells column such as"
        f" iops, bw_bytes, lat_p99_us, media_bytes_written, or an analysis key:"
        f" {', '.join(ANALYSIS_KEYS)})"
    )


def _check_equals(equals: Any, kind: str, where: str) -> None:
    if isinstance(equals, str):
        if equals not in ANALYSIS_KEYS:
            raise InputError(f"{where}: equals = {equals!r} is not an analysis key to compare with")
        if ANALYSIS_KEYS[equals] != kind:
            raise InputError(
                f"{where}: equals = {equals!r} is a {ANALYSIS_KEYS[equals]}, the metric a {kind}"
            )
    elif kind == "bool" and not isinstance(equals, bool):
        raise InputError(f"{where}: equals must be true or false for a true/false metric")
    elif kind == "number" and not _number(equals):
        raise InputError(f"{where}: equals must be a number or an analysis key, not {equals!r}")


def _check_spread(spread: Any, kind: str, bounds: tuple[Any, ...], where: str) -> None:
    if any(bound is not None for bound in bounds):
        raise InputError(
            f"{where}: spread_max judges the spread across drives; put min, max or"
            " equals in a criterion of its own"
        )
    if not _number(spread) or spread < 0:
        raise InputError(f"{where}: spread_max = {spread!r} must be a number >= 0 (0.10 = 10%)")
    if kind != "number":
        raise InputError(f"{where}: spread_max needs a numeric metric")


def parse_criterion(raw: Any, index: int, source: str) -> Criterion:
    """One [[criterion]] table, validated; `index` counts from 1 for messages."""
    where = f"{source}: criterion {index}"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a table ([[criterion]])")
    if isinstance(raw.get("name"), str) and raw["name"].strip():
        where += f" ({raw['name']!r})"
    unknown = sorted(set(raw) - _CRITERION_KEYS)
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_CRITERION_KEYS))})"
        )
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric:
        raise InputError(f"{where}: no metric")
    kind = metric_kind(metric)
    if kind is None:
        raise _unknown_metric(metric, where)
    if kind == "str":
        raise InputError(f"{where}: metric {metric!r} is a text column; select on it with where")
    on_cells = is_cells_metric(metric)
    if "where" in raw and not on_cells:
        raise InputError(f"{where}: where applies to cells columns, not to analysis key {metric!r}")
    agg = raw.get("agg")
    if agg is not None and (not on_cells or agg not in AGGREGATES or kind != "number"):
        raise InputError(
            f"{where}: agg {agg!r} must be one of {', '.join(AGGREGATES)}"
            f" and applies to numeric cells columns only"
        )
    low, high, equals = raw.get("min"), raw.get("max"), raw.get("equals")
    spread = raw.get("spread_max")
    if spread is not None:
        _check_spread(spread, kind, (low, high, equals), where)
    elif low is None and high is None and equals is None:
        raise InputError(f"{where}: no min, max or equals (or spread_max) to judge {metric!r} by")
    if equals is not None and (low is not None or high is not None):
        raise InputError(f"{where}: equals cannot be combined with min or max")
    for label, bound in (("min", low), ("max", high)):
        if bound is not None and not _number(bound):
            raise InputError(f"{where}: {label} = {bound!r} is not a number")
        if bound is not None and kind == "bool":
            raise InputError(
                f"{where}: metric {metric!r} is true/false: use equals = true or false"
            )
    if low is not None and high is not None and low > high:
        raise InputError(f"{where}: min {low} is above max {high}")
    if equals is not None:
        _check_equals(equals, kind, where)
    name = raw.get("name") if isinstance(raw.get("name"), str) and raw["name"].strip() else None
    return Criterion(
        name=name or metric,
        metric=metric,
        where=_parse_where(raw["where"], where) if "where" in raw else {},
        agg=agg,
        min=low,
        max=high,
        equals=equals,
        spread_max=None if spread is None else float(spread),
    )


def parse_regression(raw: Any, source: str) -> RegressionRules:
    """The [regression] table."""
    where = f"{source}: [regression]"
    if not isinstance(raw, dict):
        raise InputError(f"{where} must be a table")
    unknown = sorted(set(raw) - _REGRESSION_KEYS)
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_REGRESSION_KEYS))})"
        )
    tolerance = raw.get("tolerance", DEFAULT_TOLERANCE)
    tolerances = raw.get("tolerances", {})
    if not isinstance(tolerances, dict):
        raise InputError(f"{where}: tolerances must be a table such as {{ lat_p99_us = 0.25 }}")
    for label, value in [
        ("tolerance", tolerance),
        *((f"tolerances.{k}", v) for k, v in tolerances.items()),
    ]:
        if not _number(value) or value < 0:
            raise InputError(f"{where}: {label} = {value!r} must be a number >= 0 (0.10 = 10%)")
    metrics = raw.get("metrics", list(DEFAULT_REGRESSION_METRICS))
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise InputError(f"{where}: metrics must be a list of metric names")
    compared = list(dict.fromkeys([*metrics, *tolerances]))
    for metric in compared:
        if metric_kind(metric) != "number":
            raise (
                _unknown_metric(metric, where)
                if metric_kind(metric) is None
                else InputError(
                    f"{where}: metric {metric!r} is not numeric and cannot regress by a tolerance"
                )
            )
    return RegressionRules(
        tolerance=float(tolerance),
        metrics=tuple(compared),
        tolerances={k: float(v) for k, v in tolerances.items()},
    )


def _plan_ref(plan: Any, source: str, base_dir: Path | None) -> str | None:
    if plan is None:
        return None
    if not isinstance(plan, str) or not plan:
        raise InputError(f"{source}: plan must be a built-in plan name or a plan file")
    if base_dir is not None and plan.endswith(".toml") and not Path(plan).is_absolute():
        return str(base_dir / plan)
    return plan


def parse_criteria(
    doc: dict[str, Any], source: str = "<criteria>", base_dir: Path | None = None
) -> Criteria:
    """A parsed criteria document; a relative plan file is taken from `base_dir`."""
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise InputError(
            f"{source}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_TOP_KEYS))})"
        )
    raw_criteria = doc.get("criterion", [])
    if not isinstance(raw_criteria, list):
        raise InputError(f"{source}: criteria are [[criterion]] tables")
    overrides = doc.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise InputError(f'{source}: set must be a list of "KEY=VALUE" strings')
    criteria = tuple(parse_criterion(raw, i, source) for i, raw in enumerate(raw_criteria, 1))
    if not criteria and "regression" not in doc:
        raise InputError(f"{source}: no [[criterion]] and no [regression]: nothing to judge")
    regression = (
        parse_regression(doc["regression"], source) if "regression" in doc else RegressionRules()
    )
    return Criteria(
        criteria=criteria,
        regression=regression,
        plan=_plan_ref(doc.get("plan"), source, base_dir),
        overrides=tuple(overrides),
        source=source,
    )


def load_criteria(path: str | Path) -> Criteria:
    """Read and validate a criteria file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such criteria file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read criteria file ({err})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: malformed TOML: {err}") from None
    return parse_criteria(doc, str(path), path.parent)
