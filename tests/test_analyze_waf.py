"""WAF from counter deltas: exact arithmetic on constructed cells."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.analyze.waf import waf
from nvmeprobe.errors import InputError


def _cells(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cell", "direction", "bs", "offset",
                                       "host_bytes_written", "media_bytes_written"])


def test_overall_and_by_size_are_exact():
    cells = _cells([
        ("a", "write", 4096, 0, 3_000_000, 12_000_000),
        ("b", "write", 4096, 0, 1_000_000, 4_100_000),
        ("c", "write", 16384, 4096, 7_000_001, 14_000_003),
        ("d", "write", 131072, 0, 10_000_000, 10_000_000),
    ])
    result = waf(cells)
    assert result.host_bytes == 21_000_001 and result.media_bytes == 40_100_003
    assert result.measured == float(Fraction(40_100_003, 21_000_001))
    by = {(e["bs"], e["offset"]): e for e in result.by_size}
    assert by[(4096, 0)]["waf"] == float(Fraction(16_100_000, 4_000_000))
    assert by[(4096, 0)]["cells"] == 2
    assert by[(16384, 4096)]["waf"] == float(Fraction(14_000_003, 7_000_001))
    assert by[(131072, 0)]["waf"] == 1.0


def test_mixed_cell_counts_once_and_unknown_media_is_skipped():
    cells = _cells([
        ("m", "read", 4096, 0, 8_000, 24_000),
        ("m", "write", 4096, 0, 8_000, 24_000),
        ("u", "write", 4096, 0, 5_000, np.nan),
        ("r", "read", 4096, 0, 0, 0),
    ])
    result = waf(cells)
    assert (result.host_bytes, result.media_bytes, result.measured) == (8_000, 24_000, 3.0)
    assert result.evidence["cells_skipped_unknown_media"] == 1


def test_counters_beyond_float_precision_stay_exact():
    big = 2**60 + 1
    cells = _cells([("a", "write", 4096, 0, big, 2 * big + 1)]).astype(
        {"host_bytes_written": "int64", "media_bytes_written": "int64"})
    result = waf(cells)
    assert result.host_bytes == big and result.media_bytes == 2 * big + 1


def test_no_media_counters_gives_unknown_not_zero():
    result = waf(_cells([("a", "write", 4096, 0, 1000, None)]))
    assert result.measured is None and result.media_bytes is None and result.host_bytes is None
    assert result.to_dict()["measured"] is None


def test_bad_counters_raise_input_error():
    with pytest.raises(InputError, match="negative"):
        waf(_cells([("a", "write", 4096, 0, 1000, -5)]))
    with pytest.raises(InputError, match="whole numbers"):
        waf(_cells([("a", "write", 4096, 0, 1000, 10.5)]))
    with pytest.raises(InputError, match="missing column"):
        waf(pd.DataFrame({"cell": ["a"]}))
