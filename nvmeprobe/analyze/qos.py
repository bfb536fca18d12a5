"""Quality of service: latency percentiles per cell and the IOPS saturation knee.

Percentiles are whatever `lat_p*_us` columns the cells carry (p50 .. p99.99,
p99.999 and beyond when ingest found them), ordered by percentile.

Saturation knee, per (rw, direction, bs, offset, numjobs) with at least 3
queue depths: the smallest queue depth whose IOPS reach `KNEE_FRACTION`
(90%) of the group's maximum. The kneedle point (largest distance above the
chord of IOPS/max against log2 queue depth) is reported beside it as
evidence; the 90% rule is the answer because it is stable under noise and
reads as a sentence ("QD8 gives 90% of the drive's IOPS").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from nvmeprobe.analyze._common import require_columns
from nvmeprobe.unknown import jsonable, optional_float

METHOD_VERSION = "qos/1"
KNEE_FRACTION = 0.9
MIN_DEPTHS = 3
GROUP_KEYS = ("rw", "direction", "bs", "offset", "numjobs")
CELL_KEYS = ("cell", "rw", "direction", "bs", "offset", "iodepth", "numjobs", "iops")
_PERCENTILE = re.compile(r"^lat_p(\d+)(?:_(\d+))?_us$")


def percentile_columns(cells: pd.DataFrame) -> list[str]:
    """The `lat_p*_us` columns present, in increasing percentile order."""
    found = []
    for column in cells.columns:
        match = _PERCENTILE.match(str(column))
        if match:
            found.append((float(f"{match.group(1)}.{match.group(2) or 0}"), column))
    return [column for _, column in sorted(found)]


def percentile_table(cells: pd.DataFrame) -> list[dict]:
    """One row per cell and direction: its keys, iops, lat_mean_us and every percentile."""
    require_columns(cells, CELL_KEYS, "cells")
    columns = (
        list(CELL_KEYS)
        + [c for c in ["lat_mean_us"] if c in cells.columns]
        + percentile_columns(cells)
    )
    return jsonable(cells.loc[:, columns].to_dict(orient="records"))


def saturation_knee(iodepths: list[int], iops: list[float]) -> dict:
    """Knee of IOPS against queue depth (see module docstring) for one configuration."""
    curve = pd.Series(iops, index=iodepths, dtype=float).dropna().groupby(level=0).median()
    curve = curve.sort_index()
    top = float(curve.max())
    depths = [int(d) for d in curve.index]
    if len(curve) < MIN_DEPTHS or not top > 0:
        return {
            "knee_iodepth": None,
            "max_iops": optional_float(top) if len(curve) else None,
            "iops_at_knee": None,
            "kneedle_iodepth": None,
            "points": _points(curve),
        }
    knee = next(d for d, v in curve.items() if v >= KNEE_FRACTION * top)
    x = np.log2(np.array(depths, dtype=float))
    y = curve.to_numpy() / top
    span = x[-1] - x[0]
    chord = y[0] + (y[-1] - y[0]) * (x - x[0]) / span if span > 0 else y
    kneedle = depths[int(np.argmax(y - chord))]
    return {
        "knee_iodepth": int(knee),
        "max_iops": top,
        "iops_at_knee": float(curve[knee]),
        "kneedle_iodepth": kneedle,
        "points": _points(curve),
    }


def qos(cells: pd.DataFrame) -> dict:
    """The `qos` finding: percentile table and saturation knees."""
    table = percentile_table(cells)
    knees = []
    for key, group in cells.groupby(list(GROUP_KEYS), sort=True, dropna=False):
        if group["iodepth"].nunique() < MIN_DEPTHS:
            continue
        knee = saturation_knee(group["iodepth"].tolist(), group["iops"].tolist())
        knees.append({**dict(zip(GROUP_KEYS, key)), **knee})
    return jsonable(
        {
            "percentiles": table,
            "saturation": knees,
            "percentile_columns": percentile_columns(cells),
            "knee_fraction": KNEE_FRACTION,
            "method_version": METHOD_VERSION,
        }
    )


def _points(curve: pd.Series) -> list[dict]:
    return [{"iodepth": int(d), "iops": float(v)} for d, v in curve.items()]
