"""percentile_from_bins on histograms with known answers (fio's own numbers:
test_ingest_fio_real.py)."""

from __future__ import annotations

import math

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.ingest import percentile_from_bins

# 10 samples: 100 ns x4, 200 ns x5, 5000 ns x1 (keys are strings, unordered, as in fio's JSON)
BINS = {"5000": 1, "100": 4, "200": 5}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0, 100),
        (10, 100),
        (40, 100),
        (40.0001, 200),
        (50, 200),
        (90, 200),
        (90.5, 5000),
        (99.999, 5000),
        (100, 5000),
    ],
)
def test_first_bucket_reaching_q_percent_of_samples(q: float, expected: float) -> None:
    assert percentile_from_bins(BINS, q) == expected


def test_threshold_just_above_a_whole_count_takes_the_next_sample() -> None:
    # fio's 99.9 (a double just above 99.9) of 1000 samples is just above 999: the 1000th sample
    bins = {"1": 999, "2": 1}
    assert percentile_from_bins(bins, 99.9) == 2


def test_empty_histogram_is_unknown() -> None:
    assert math.isnan(percentile_from_bins({}, 99))
    assert math.isnan(percentile_from_bins({"100": 0}, 99))


@pytest.mark.parametrize("q", [-1, 100.1])
def test_q_outside_0_100_is_refused(q: float) -> None:
    with pytest.raises(InputError, match="outside"):
        percentile_from_bins(BINS, q)


def test_non_numeric_bins_are_refused() -> None:
    with pytest.raises(InputError, match="bins"):
        percentile_from_bins({"abc": 1}, 50)
    with pytest.raises(InputError, match="bins"):
        percentile_from_bins({"100": "many"}, 50)


def test_fractional_keys_are_accepted() -> None:
    assert percentile_from_bins({"1.5": 1, "0.5": 1}, 50) == 0.5
