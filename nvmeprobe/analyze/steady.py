"""SNIA PTS steady state: the round rule (docs/field-notes.md section 4).

Over a window of 5 rounds, the tracking variable's (max - min) must be <= 20%
of the window average, and the change of its least-squares line across the
window (|slope| x (window - 1)) <= 10% of the average; at most 25 rounds.

Exactness at the edges: every value and threshold is turned into an exact
fraction of its shortest decimal form (`Fraction(repr(x))`: 0.2 is 1/5, 100.1
is 1001/10) and the rule is evaluated in rational arithmetic, so an edge case
built from integers or decimals (excursion exactly 20%, slope change exactly
10%) is steady, and one a unit in the last place above is not. No epsilon.

Rounds are numbered from 1: `round` is the last round of the first steady
window (5 at the earliest). Values past `max_rounds` are ignored (flagged).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "snia-pts-round-rule/1"
GROUP_KEYS = ("stage", "rw", "direction", "bs", "offset", "iodepth", "numjobs")


@dataclass(frozen=True)
class SteadyResult:
    """Whether (and from which round) a series of round values is in steady state."""

    steady: bool
    round: int | None
    window_avg: float | None
    excursion: float | None
    slope_change: float | None
    rounds: int
    windows: list[dict] = field(default_factory=list)
    truncated: bool = False
    window: int = 5
    method_version: str = METHOD_VERSION

    def steady_rounds(self) -> range:
        """The rounds of the first steady window (numbered from 1); empty when not steady."""
        if not self.steady or self.round is None:
            return range(0)
        return range(self.round - self.window + 1, self.round + 1)

    def to_dict(self) -> dict:
        """JSON-able dict; window figures are those of the steady window (or the last one)."""
        return jsonable(self.__dict__)


def _exact(value: float | int) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"steady state: values must be finite numbers, got {value!r}")
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    return Fraction(repr(float(value)))


def _window(values: list[Fraction]) -> tuple[Fraction, Fraction, Fraction]:
    """(average, max - min, |slope| x (n - 1)) of one window, exactly."""
    n = len(values)
    avg = sum(values, Fraction(0)) / n
    x_mean = Fraction(n - 1, 2)
    sxx = sum(((Fraction(i) - x_mean) ** 2 for i in range(n)), Fraction(0))
    sxy = sum(((Fraction(i) - x_mean) * (v - avg) for i, v in enumerate(values)), Fraction(0))
    return avg, max(values) - min(values), abs(sxy / sxx) * (n - 1)


def steady_state(
    values: list[float],
    window: int = 5,
    excursion: float = 0.20,
    slope: float = 0.10,
    max_rounds: int = 25,
) -> SteadyResult:
    """Apply the PTS round rule to per-round values of the tracking variable."""
    if window < 2:
        raise InputError(f"steady state: window must be at least 2 rounds, got {window}")
    limit_excursion, limit_slope = _exact(excursion), _exact(slope)
    exact = [_exact(v) for v in list(values)[:max_rounds]]
    windows: list[dict] = []
    for end in range(window, len(exact) + 1):
        avg, spread, change = _window(exact[end - window : end])
        ok = avg != 0 and spread <= limit_excursion * abs(avg) and change <= limit_slope * abs(avg)
        windows.append(
            {
                "round": end,
                "window_avg": float(avg),
                "excursion": float(spread),
                "slope_change": float(change),
                "steady": ok,
            }
        )
        if ok:
            break
    last = windows[-1] if windows else {}
    steady = bool(last.get("steady"))
    return SteadyResult(
        steady,
        last["round"] if steady else None,
        last.get("window_avg"),
        last.get("excursion"),
        last.get("slope_change"),
        len(exact),
        windows,
        len(values) > max_rounds,
        window,
    )


def steady_by_group(cells: pd.DataFrame, metric: str = "iops") -> dict:
    """Steady state per cell configuration over its rounds (cells with a `round`)."""
    if "round" not in cells.columns or metric not in cells.columns:
        return {"measured": False, "groups": [], "method_version": METHOD_VERSION}
    rounds = cells[cells["round"].notna()]
    keys = [k for k in GROUP_KEYS if k in rounds.columns]
    groups = []
    for key, group in rounds.groupby(keys, sort=True, dropna=False):
        per_round = group.groupby("round")[metric].median().sort_index()
        result = steady_state([float(v) for v in per_round])
        groups.append({**dict(zip(keys, key)), "metric": metric, **result.to_dict()})
    return jsonable(
        {
            "measured": bool(groups),
            "steady": all(g["steady"] for g in groups) if groups else None,
            "groups": groups,
            "method_version": METHOD_VERSION,
        }
    )
