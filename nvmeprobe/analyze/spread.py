"""Statistics across drives: one value per drive, robust to the odd bad drive. Pure functions.

- `distribution`: median, min, max, spread ((max - min) / |median|) and the
  scaled median absolute deviation (MAD x 1.4826, which equals the standard
  deviation for normal data). A drive is an outlier when it lies more than
  OUTLIER_MADS scaled MADs from the median. When more than half the drives
  agree exactly the MAD is 0; it is then floored at MAD_FLOOR of the median,
  so a drive must still differ by more than 3 x 1.4826 x 1% to be flagged.
- `set_difference`: is the difference between two sets of drives beyond the
  spread within each? Mann-Whitney U (two-sided) when the sets are large
  enough for its smallest possible p-value to reach ALPHA (4 + 4 drives, 3 +
  5, 2 + 8, ...); else, with two or more drives a side, the difference of
  medians against OUTLIER_MADS pooled scaled MADs; with one drive on a side,
  "too few drives": nothing is tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

MAD_SCALE = 1.4826
OUTLIER_MADS = 3.0
MAD_FLOOR = 0.01
ALPHA = 0.05

MANN_WHITNEY = "mann-whitney"
POOLED_MAD = "median difference vs pooled MAD"
TOO_FEW = "too few drives"


@dataclass(frozen=True)
class Distribution:
    """One metric across drives; `outliers` names the drives beyond OUTLIER_MADS."""

    n: int
    median: float
    min: float
    max: float
    spread: float | None
    mad: float
    outliers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def median(values: Sequence[float | None]) -> float | None:
    """The median of the finite values; None without one."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(known)) if known else None


def scaled_mad(values: list[float]) -> float:
    """MAD x 1.4826 (0 for fewer than two values)."""
    if len(values) < 2:
        return 0.0
    middle = float(np.median(values))
    return MAD_SCALE * float(np.median([abs(v - middle) for v in values]))


def _floored(mad: float, median: float) -> float:
    return max(mad, MAD_FLOOR * abs(median))


def distribution(values: dict[str, float]) -> Distribution | None:
    """The distribution of one value per drive (name -> value); None without a value."""
    known = {name: float(v) for name, v in values.items() if v is not None and math.isfinite(v)}
    if not known:
        return None
    numbers = list(known.values())
    middle = float(np.median(numbers))
    mad = scaled_mad(numbers)
    limit = OUTLIER_MADS * _floored(mad, middle)
    flagged = (
        []
        if len(numbers) < 3
        else sorted(name for name, v in known.items() if limit > 0 and abs(v - middle) > limit)
    )
    spread = (
        None if middle == 0 or len(numbers) < 2 else (max(numbers) - min(numbers)) / abs(middle)
    )
    return Distribution(len(numbers), middle, min(numbers), max(numbers), spread, mad, flagged)


def rank_test_possible(n_a: int, n_b: int, alpha: float = ALPHA) -> bool:
    """True when Mann-Whitney's smallest two-sided p-value, 2 / C(n_a + n_b, n_a), is <= alpha."""
    return n_a >= 1 and n_b >= 1 and 2 / math.comb(n_a + n_b, n_a) <= alpha


@dataclass(frozen=True)
class Difference:
    """Set B against set A: medians, the test used, and whether B differs beyond the spread."""

    n_a: int
    n_b: int
    a: float
    b: float
    test: str
    p_value: float | None
    beyond_spread: bool | None


def set_difference(a: list[float], b: list[float], alpha: float = ALPHA) -> Difference | None:
    """Test B against A (one value per drive); None when a side has no value."""
    a = [float(v) for v in a if v is not None and math.isfinite(v)]
    b = [float(v) for v in b if v is not None and math.isfinite(v)]
    if not a or not b:
        return None
    med_a, med_b = float(np.median(a)), float(np.median(b))
    if rank_test_possible(len(a), len(b), alpha):
        if len(set(a) | set(b)) == 1:
            return Difference(len(a), len(b), med_a, med_b, MANN_WHITNEY, 1.0, False)
        p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
        return Difference(len(a), len(b), med_a, med_b, MANN_WHITNEY, p, p <= alpha)
    if len(a) >= 2 and len(b) >= 2:
        pooled = math.sqrt(
            ((len(a) - 1) * scaled_mad(a) ** 2 + (len(b) - 1) * scaled_mad(b) ** 2)
            / (len(a) + len(b) - 2)
        )
        limit = OUTLIER_MADS * _floored(pooled, max(abs(med_a), abs(med_b)))
        beyond = abs(med_b - med_a) > limit
        return Difference(len(a), len(b), med_a, med_b, POOLED_MAD, None, beyond)
    return Difference(len(a), len(b), med_a, med_b, TOO_FEW, None, None)
