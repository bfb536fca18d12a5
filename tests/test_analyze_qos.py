"""QoS: latency percentile table and the IOPS saturation knee."""

from __future__ import annotations

import pandas as pd

from nvmeprobe.analyze.qos import percentile_columns, qos, saturation_knee


def _cells() -> pd.DataFrame:
    rows = []
    for qd, iops in [
        (1, 10_000),
        (2, 19_000),
        (4, 35_000),
        (8, 60_000),
        (16, 92_000),
        (32, 100_000),
        (64, 101_000),
    ]:
        rows.append(
            {
                "cell": f"q{qd}",
                "rw": "randread",
                "direction": "read",
                "bs": 4096,
                "offset": 0,
                "iodepth": qd,
                "numjobs": 1,
                "iops": iops,
                "lat_mean_us": qd * 1e6 / iops,
                "lat_p99_99_us": 9.0,
                "lat_p50_us": 1.0,
                "lat_p99_999_us": 12.0,
                "lat_p99_us": 5.0,
                "lat_p99_9_us": 7.0,
            }
        )
    return pd.DataFrame(rows)


def test_knee_is_smallest_depth_at_90_percent_of_max():
    knee = saturation_knee(
        [1, 2, 4, 8, 16, 32, 64], [10_000, 19_000, 35_000, 60_000, 92_000, 100_000, 101_000]
    )
    assert knee["knee_iodepth"] == 16 and knee["max_iops"] == 101_000
    assert knee["iops_at_knee"] == 92_000
    assert knee["kneedle_iodepth"] in (16, 32)
    assert saturation_knee([1, 2], [1.0, 2.0])["knee_iodepth"] is None


def test_percentiles_in_order_including_p99_999():
    cells = _cells()
    assert percentile_columns(cells) == [
        "lat_p50_us",
        "lat_p99_us",
        "lat_p99_9_us",
        "lat_p99_99_us",
        "lat_p99_999_us",
    ]
    result = qos(cells)
    assert len(result["percentiles"]) == 7
    assert result["percentiles"][0]["lat_p99_999_us"] == 12.0
    (group,) = result["saturation"]
    assert group["rw"] == "randread" and group["knee_iodepth"] == 16


def test_groups_with_too_few_depths_have_no_knee():
    cells = _cells()
    assert qos(cells[cells["iodepth"] <= 2])["saturation"] == []
