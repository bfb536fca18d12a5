"""The cell table's columns: names (a contract, docs/design.md "Profiles"), kinds, dtypes.

One row per measured cell (one fio job, or one group_reporting group) and IO
direction. Unknown values are missing (NaN / <NA>), never 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

STRING = pd.StringDtype()

# name -> kind ('str', 'int', 'float', 'bool'); contract columns first, in docs/design.md order.
CELL_FIELDS: dict[str, str] = {
    "run_id": "str",
    "cell": "str",
    "model": "str",
    "serial": "str",
    "target": "str",
    "rw": "str",
    "direction": "str",
    "bs": "int",
    "offset": "int",
    "iodepth": "int",
    "numjobs": "int",
    "runtime_s": "float",
    "iops": "float",
    "bw_bytes": "float",
    "lat_mean_us": "float",
    "lat_p50_us": "float",
    "lat_p99_us": "float",
    "lat_p99_9_us": "float",
    "lat_p99_99_us": "float",
    "host_bytes_written": "int",
    "media_bytes_written": "int",
    "steady": "bool",
    # additions
    "lat_p99_999_us": "float",
    "lat_max_us": "float",
    "lat_min_us": "float",
    "io_bytes": "int",
    "total_ios": "int",
    "error": "int",
    "rwmixread": "int",
    "ioengine": "str",
    "fio_version": "str",
    "job_name": "str",
    "host": "str",
    "source": "str",
    "stage": "str",
    "round": "int",
}

CONTRACT_COLUMNS: tuple[str, ...] = tuple(list(CELL_FIELDS)[:22])

PANDAS_DTYPES: dict[str, Any] = {
    "str": STRING, "int": pd.Int64Dtype(), "float": "float64", "bool": pd.BooleanDtype(),
}


def cells_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame with every cell column, in order, with nullable dtypes."""
    frame = pd.DataFrame.from_records(records, columns=list(CELL_FIELDS))
    return frame.astype({name: PANDAS_DTYPES[kind] for name, kind in CELL_FIELDS.items()})
