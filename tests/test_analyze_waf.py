"""WAF from counter deltas: exact arithmetic on constructed cells."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.analyze.waf import waf
from nvmeprobe.errors import InputError


def _cells(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["cell", "direction", "bs", "offset", "host_bytes_written", "media_bytes_written"],
    )


def test_overall_and_by_size_are_exact():
    cells = _cells(
        [
            ("a", "write", 4096, 0, 3_000_000, 12_000_000),
            ("b", "write", 4096, 0, 1_000_000, 4_100_000),
            ("c", "write", 16384, 4096, 7_000_001, 14_000_003),
            ("d", "write", 131072, 0, 10_000_000, 10_000_000),
        ]
    )
    result = waf(cells)
    assert result.host_bytes == 21_000_001 and result.media_bytes == 40_100_003
    assert result.measured == float(Fraction(40_100_003, 21_000_001))
    by = {(e["bs"], e["offset"]): e for e in result.by_size}
    assert by[(4096, 0)]["waf"] == float(Fraction(16_100_000, 4_000_000))
    assert by[(4096, 0)]["cells"] == 2
    assert by[(16384, 4096)]["waf"] == float(Fraction(14_000_003, 7_000_001))
    assert by[(131072, 0)]["waf"] == 1.0


def test_mixed_cell_counts_once_and_unknown_media_is_skipped():
    cells = _cells(
        [
            ("m", "read", 4096, 0, 8_000, 24_000),
            ("m", "write", 4096, 0, 8_000, 24_000),
            ("u", "write", 4096, 0, 5_000, np.nan),
            ("r", "read", 4096, 0, 0, 0),
        ]
    )
    result = waf(cells)
    assert (result.host_bytes, result.media_bytes, result.measured) == (8_000, 24_000, 3.0)
    assert result.evidence["cells_skipped_unknown_media"] == 1


def test_counters_beyond_float_precision_stay_exact():
    big = 2**60 + 1
    cells = _cells([("a", "write", 4096, 0, big, 2 * big + 1)]).astype(
        {"host_bytes_written": "int64", "media_bytes_written": "int64"}
    )
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


def _counted(rows: list[tuple]) -> pd.DataFrame:
    """(cell, bs, fio bytes, counter host delta, counter media delta) write rows."""
    return pd.DataFrame(
        [(c, "write", bs, 0, fio, host, media, 30.0, None) for c, bs, fio, host, media in rows],
        columns=[
            "cell",
            "direction",
            "bs",
            "offset",
            "host_bytes_written",
            "counter_host_bytes_written",
            "media_bytes_written",
            "runtime_s",
            "ramp_s",
        ],
    )


def test_counters_in_step_give_per_cell_waf():
    result = waf(_counted([("a", 4096, 1000, 1000, 4000), ("b", 65536, 2000, 2010, 2010)]))
    assert result.method == "per-cell" and result.measured == 6010 / 3010
    assert {e["bs"]: e["waf"] for e in result.by_size} == {4096: 4.0, 65536: 1.0}


def test_stale_deltas_give_no_per_cell_waf_only_the_aggregate():
    # the logs refreshed late: a saw nothing, b saw a's bytes and its own, c saw its own
    result = waf(
        _counted(
            [("a", 4096, 1000, 0, 0), ("b", 65536, 2000, 3000, 6000), ("c", 8192, 500, 500, 1000)]
        )
    )
    assert result.method == "aggregated" and result.measured == 7000 / 3500
    assert [e["bs"] for e in result.by_size] == [8192]  # only c's delta is its own
    assert result.evidence["spans"][0]["cells"] == ["a", "b"]


def test_cells_the_counters_never_caught_up_with_are_left_out():
    result = waf(_counted([("a", 4096, 1000, 1000, 4000), ("b", 65536, 5000, 0, 0)]))
    assert result.measured == 4.0 and result.method == "aggregated"
    assert result.evidence["cells_unattributed"] == 1
    never = waf(_counted([("a", 4096, 1000, 0, 0), ("b", 4096, 5000, 900, 3600)]))
    assert never.measured is None and "stale" in never.evidence["reason"]


def test_ramp_writes_count_on_the_drive_not_in_fio():
    cells = _counted([("a", 4096, 3000, 3500, 14000)]).assign(ramp_s=5.0)  # 30 s + 5 s ramp
    result = waf(cells)
    assert result.method == "per-cell" and result.measured == 4.0
