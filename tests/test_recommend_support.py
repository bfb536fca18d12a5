"""Synthetic drive classes for the recommender tests (no tests here).

`cells()` builds profile cell rows; `tlc()` and `qlc()` are shaped like a
TLC drive with a 4 KiB IU (fast small random writes, no RMW) and a QLC drive
with a 16 KiB IU (RMW factor 4 for 4 KiB writes, large cheap capacity, an SLC
cache, slow post-cache writes), at nominal datacenter capacities.
"""

from __future__ import annotations

import pandas as pd

from nvmeprobe.recommend import drive_class_from_profile

DIRECTION = {"randwrite": "write", "write": "write", "randread": "read", "read": "read"}


def cells(rows: list[tuple]) -> pd.DataFrame:
    """Cell rows from (rw, bs, iodepth, iops, p99_us[, offset, host_bytes, media_bytes]) tuples."""
    out = []
    for row in rows:
        rw, bs, qd, iops, p99 = row[:5]
        offset, host, media = (list(row[5:]) + [0, None, None])[:3]
        out.append(
            {
                "rw": rw,
                "direction": DIRECTION[rw],
                "bs": bs,
                "offset": offset,
                "iodepth": qd,
                "numjobs": 1,
                "iops": iops,
                "bw_bytes": iops * bs,
                "lat_p99_us": p99,
                "lat_p99_99_us": None if p99 is None else p99 * 2,
                "host_bytes_written": host,
                "media_bytes_written": media,
            }
        )
    return pd.DataFrame(out)


def facts(size: int, iu: int | None = None, watts: list[float] | None = None) -> dict:
    """An `inspect --json`-shaped document."""
    return {
        "identity": {"model": "x", "power_states_w": watts},
        "geometry": {"size_bytes": size},
        "iu": {"reported_bytes": iu},
        "endurance": {},
    }


def findings(iu: int | None, rmw: list[dict] | None = None, slc: dict | None = None) -> dict:
    """An `analyze --json`-shaped document."""
    return {
        "iu": {
            "inferred_bytes": iu,
            "reported_bytes": iu,
            "agrees": True,
            "confidence": 0.9,
            "rmw_amplification": rmw or [],
        },
        "slc": slc
        or {
            "detected": False,
            "cache_bytes": None,
            "in_cache_bw": None,
            "post_cache_bw": None,
            "recovered_bytes": None,
        },
        "waf": {"measured": None, "host_bytes": None, "media_bytes": None},
    }


def _grid(shape: dict[tuple[str, int], tuple[float, float]]) -> list[tuple]:
    """QD32 figures per (rw, bs) -> cells at QD 8 (60% of the IOPS, half the p99) and QD 32."""
    rows = []
    for (rw, bs), (iops, p99) in shape.items():
        rows.append((rw, bs, 32, iops, p99))
        rows.append((rw, bs, 8, iops * 0.6, p99 / 2))
    return rows


K, M = 1024, 1024 * 1024

TLC_SHAPE = {
    ("randwrite", 4 * K): (200_000, 300),
    ("randwrite", 16 * K): (70_000, 700),
    ("randwrite", 128 * K): (25_000, 2_500),
    ("randwrite", M): (3_200, 16_000),
    ("randread", 4 * K): (800_000, 250),
    ("randread", 16 * K): (400_000, 400),
    ("randread", 128 * K): (55_000, 1_500),
    ("randread", M): (7_000, 9_000),
    ("write", 128 * K): (30_000, 2_000),
    ("write", M): (4_000, 14_000),
    ("read", 128 * K): (55_000, 1_400),
    ("read", M): (7_000, 8_000),
}
QLC_SHAPE = {
    ("randwrite", 4 * K): (20_000, 6_000),
    ("randwrite", 16 * K): (20_000, 6_000),
    ("randwrite", 128 * K): (12_000, 9_000),
    ("randwrite", M): (1_500, 30_000),
    ("randread", 4 * K): (700_000, 300),
    ("randread", 16 * K): (350_000, 500),
    ("randread", 128 * K): (50_000, 1_800),
    ("randread", M): (7_000, 10_000),
    ("write", 128 * K): (12_000, 6_000),
    ("write", M): (1_500, 30_000),
    ("read", 128 * K): (50_000, 1_600),
    ("read", M): (7_000, 9_000),
}
QLC_RMW = [
    {"bs": bs, "offset": 0, "factor": f}
    for bs, f in ((4 * K, 4.0), (8 * K, 2.0), (16 * K, 1.0), (M, 1.0))
]
QLC_SLC = {
    "detected": True,
    "cache_bytes": 600 * 10**9,
    "in_cache_bw": 3e9,
    "post_cache_bw": 1.5e9,
    "recovered_bytes": 600 * 10**9,
}


def tlc(shape: dict | None = None, **economics):
    """TLC-like class 'TLC-4K': 7.68 TB, 4 KiB IU, no SLC cache, class-default economics."""
    return drive_class_from_profile(
        "TLC-4K",
        cells(_grid(shape or TLC_SHAPE)),
        findings(4096),
        facts(7_680_000_000_000, 4096),
        economics or None,
    )


def qlc(shape: dict | None = None, **economics):
    """QLC-like class 'QLC-16K': 61.44 TB, 16 KiB IU, RMW 4x at 4 KiB, 600 GB SLC cache."""
    return drive_class_from_profile(
        "QLC-16K",
        cells(_grid(shape or QLC_SHAPE)),
        findings(16384, QLC_RMW, QLC_SLC),
        facts(61_440_000_000_000, 16384),
        economics or None,
    )
