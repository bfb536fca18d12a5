"""Synthetic profiles for the report, compare, export and query tests (no tests here).

`write_synthetic(path)` writes a profile shaped like a QLC drive with a 16 KiB
IU: random reads and writes over IO size x queue depth (saturating past QD8),
misaligned writes that pay read-modify-write, media-byte counters, a
sustained write whose bandwidth drops after 6400 MiB, and its findings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.profile import Profile, write_profile
from nvmeprobe.profile.findings import FINDING_COLUMNS

KIB, MIB = 1024, 1024 * 1024
IU = 16 * KIB
SIZES = (4 * KIB, 16 * KIB, 64 * KIB, 128 * KIB)
DEPTHS = (1, 4, 16, 32)


def _cell(
    rw: str,
    bs: int,
    offset: int,
    qd: int,
    scale: float,
    round_: int | None = None,
    iu: int | None = IU,
) -> dict:
    """One cell; iu=None: a flat drive, whose writes cost the same per byte at any size."""
    direction = "write" if "write" in rw else "read"
    unit = iu or KIB
    ios_per_unit = max(1, -(-(offset + bs) // unit) + (1 if offset % unit else 0))
    service_us = (80.0 if direction == "read" else 200.0) * (
        ios_per_unit if direction == "write" else 1
    )
    iops = scale * min(qd, 8) * 1e6 / service_us / (1 + bs / (256 * KIB))
    if iu is None and direction == "write":
        iops = scale * min(qd, 8) / 8 * 400 * MIB / bs
    host = int(iops * bs) if direction == "write" else 0
    wasted = max(unit * -(-(offset % unit + bs) // unit), bs) / bs
    return {
        "cell": f"{rw}-{bs}-o{offset}-qd{qd}" + ("" if round_ is None else f"-r{round_}"),
        "rw": rw,
        "direction": direction,
        "bs": bs,
        "offset": offset,
        "iodepth": qd,
        "numjobs": 1,
        "runtime_s": 1.0,
        "iops": iops,
        "bw_bytes": iops * bs,
        "lat_mean_us": qd * 1e6 / iops,
        "lat_p50_us": qd * 1e6 / iops * 0.9,
        "lat_p99_us": qd * 1e6 / iops * 2,
        "lat_p99_9_us": qd * 1e6 / iops * 3,
        "lat_p99_99_us": qd * 1e6 / iops * 5,
        "host_bytes_written": host,
        "io_bytes": int(iops * bs),
        "media_bytes_written": int(host * wasted) if direction == "write" else None,
        "round": round_,
        "stage": "grid",
    }


def synthetic_cells(
    scale: float = 1.0, rounds: int = 1, media: bool = True, iu: int | None = IU
) -> pd.DataFrame:
    """The grid: randread/randwrite over SIZES x DEPTHS, plus misaligned randwrites at QD16
    (iu=None: a flat drive, no read-modify-write)."""
    rows = []
    for round_ in range(rounds):
        label = None if rounds == 1 else round_
        factor = scale * (1 + 0.01 * round_)
        rows += [
            _cell(rw, bs, 0, qd, factor, label, iu)
            for rw in ("randread", "randwrite")
            for bs in SIZES
            for qd in DEPTHS
        ]
        rows += [_cell("randwrite", bs, 4 * KIB, 16, factor, label, iu) for bs in SIZES]
    cells = pd.DataFrame(rows)
    if not media:
        cells["media_bytes_written"] = None
    return cells


def synthetic_series(drop: bool = True) -> pd.DataFrame:
    """A sustained write logged every 0.1 s: 400 MiB/s for 16 s (6400 MiB), then 100 MiB/s
    (without `drop`: 400 MiB/s throughout, +-2% noise)."""
    rng = np.random.default_rng(7)
    after = 100.0 if drop else 400.0
    bw = np.r_[np.full(160, 400.0 * MIB), np.full(160, after * MIB)] * rng.uniform(0.98, 1.02, 320)
    written = np.cumsum(bw * 0.1)
    return pd.DataFrame(
        {
            "cell": "burst",
            "series": "bw",
            "direction": "write",
            "t_s": np.arange(1, 321) * 0.1,
            "value": bw,
            "bw_bytes": bw,
            "bytes_written": written,
        }
    )


FACTS = {
    "identity": {"model": "SYNTH QLC", "serial": "S1", "firmware": "FW1"},
    "geometry": {"size_bytes": 8 << 40, "logical_block_size": 4096},
    "iu": {"reported_bytes": IU, "source": "id-ns npwg"},
    "endurance": {
        "percent_used": 3,
        "host_bytes_written": 10 << 40,
        "media_bytes_written": 13 << 40,
        "lifetime_waf": 1.3,
        "available_spare": 100,
        "media_errors": 0,
    },
}
MANIFEST = {
    "cells": [{"id": "burst", "kind": "sustained"}],
    "state": {"burst": {"temperature_limit_c": 70.0}},
}
"""The burst ran on a drive reporting its temperature limit (wctemp 70 C): with the samples of
`synthetic_temperature`, far below it, the drop is an SLC cache, not heat."""


def synthetic_temperature() -> pd.DataFrame:
    """The burst's composite temperature, sampled once a second: 40 C rising to 48 C."""
    t_s = np.arange(1, 33, dtype=float)
    return pd.DataFrame(
        {"cell": "burst", "series": "temp", "t_s": t_s, "value": 40.0 + 8.0 * t_s / t_s[-1]}
    )


def write_synthetic(
    path: Path,
    *,
    scale: float = 1.0,
    rounds: int = 1,
    series: bool = True,
    media: bool = True,
    findings: bool = True,
    firmware: str = "FW1",
    serial: str = "S1",
    flat: bool = False,
) -> Path:
    """Write a synthetic profile (findings computed by `analyze` when asked) and return its path.
    `flat`: a drive without RMW or SLC cache, model 'SYNTH FLAT'."""
    cells = synthetic_cells(scale, rounds, media, None if flat else IU)
    burst = pd.DataFrame(
        [
            {
                "cell": "burst",
                "rw": "write",
                "direction": "write",
                "bs": 128 * KIB,
                "offset": 0,
                "iodepth": 8,
                "numjobs": 1,
                "iops": 1600.0,
                "bw_bytes": 200.0 * MIB,
                "stage": "burst",
            }
        ]
    )
    cells = pd.concat([cells, burst], ignore_index=True)
    logs = (
        pd.concat([synthetic_series(drop=not flat), synthetic_temperature()], ignore_index=True)
        if series
        else None
    )
    model = "SYNTH FLAT" if flat else "SYNTH QLC"
    facts = {
        **FACTS,
        "identity": {**FACTS["identity"], "firmware": firmware, "serial": serial, "model": model},
        "iu": {**FACTS["iu"], "reported_bytes": 4 * KIB if flat else IU},
    }
    found = None
    if findings:
        found = analyze_profile(
            Profile(
                cells,
                logs if logs is not None else pd.DataFrame(),
                pd.DataFrame(columns=FINDING_COLUMNS),
                facts,
                MANIFEST,
            )
        )
    return write_profile(
        path,
        cells.assign(model=model, serial=serial),
        logs,
        found,
        metadata={"run_id": path.stem, "facts": facts, "manifest": MANIFEST},
    )
