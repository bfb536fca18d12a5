"""SNIA PTS steady-state round rule, edges included."""

from __future__ import annotations

import pandas as pd
import pytest

from nvmeprobe.analyze.steady import steady_by_group, steady_state
from nvmeprobe.errors import InputError


def test_exactly_20_percent_excursion_is_steady_and_just_above_is_not():
    assert steady_state([90, 110, 100, 100, 100]).steady  # slope 0, (110-90) = 20% of 100
    assert not steady_state([90, 110.000001, 100, 100, 100]).steady
    # decimals are exact too: 0.9/1.1 around 1.0
    assert steady_state([0.9, 1.1, 1.0, 1.0, 1.0]).steady
    assert not steady_state([0.9, 1.1000001, 1.0, 1.0, 1.0]).steady


def test_exactly_10_percent_slope_change_is_steady_and_just_above_is_not():
    line = [95, 97.5, 100, 102.5, 105]  # slope 2.5 x 4 = 10 = 10% of 100; excursion 10%
    result = steady_state(line)
    assert result.steady and result.round == 5
    assert result.slope_change == 10.0 and result.excursion == 10.0 and result.window_avg == 100.0
    assert not steady_state([95, 97.5, 100, 102.5, 105.001]).steady
    # a custom threshold that is not exact in binary (0.3) is still exact
    assert steady_state([85, 115, 100, 100, 100], excursion=0.3).steady


def test_fewer_than_five_rounds_is_not_steady():
    result = steady_state([100, 100, 100, 100])
    assert not result.steady and result.round is None and result.windows == []


def test_first_steady_window_is_reported_and_25_rounds_cap():
    warmup = [300, 250, 200, 160, 130, 110]
    result = steady_state(warmup + [100, 101, 99, 100, 100, 100])
    # rounds 5-9 (130..99): excursion 31 > 20% of 108; rounds 6-10 (110,100,101,99,100):
    # excursion 11 <= 20.4 and slope change 2.1 x 4 = 8.4 <= 10.2
    assert result.steady and result.round == 10
    assert result.excursion == 11.0 and result.slope_change == pytest.approx(8.4)
    assert [w["round"] for w in result.windows] == list(range(5, 11))
    never = [100 * (1 + (i % 2) * 0.5) for i in range(30)]
    capped = steady_state(never)
    assert not capped.steady and capped.rounds == 25 and capped.truncated


def test_steady_by_group_over_cells_rounds():
    rows = [
        {
            "stage": "ss",
            "rw": "randwrite",
            "direction": "write",
            "bs": 4096,
            "offset": 0,
            "iodepth": 32,
            "numjobs": 1,
            "round": r,
            "iops": v,
        }
        for r, v in enumerate([500, 300, 250, 200, 201, 199, 200, 200], start=1)
    ]
    result = steady_by_group(pd.DataFrame(rows))
    # rounds 4-8 are the first window within 20% (250 in rounds 3-7 is 25% of 210)
    assert result["measured"] and result["steady"] and result["groups"][0]["round"] == 8
    empty = steady_by_group(pd.DataFrame(rows).assign(round=None))
    assert empty["measured"] is False and empty["steady"] is None


def test_non_finite_values_raise_input_error():
    with pytest.raises(InputError):
        steady_state([1, 2, float("nan"), 4, 5])


def test_steady_rounds_are_the_first_steady_window():
    verdict = steady_state([50.0, 80.0, 100.0, 101.0, 99.0], window=3)
    assert (verdict.steady, verdict.round) == (True, 5)
    assert list(verdict.steady_rounds()) == [3, 4, 5]
    assert list(steady_state([50.0, 100.0, 50.0], window=3).steady_rounds()) == []
