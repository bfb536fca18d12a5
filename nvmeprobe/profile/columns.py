"""The profile's columns, in one table: name, kind, unit, record types, meaning.

Everything else is derived from `COLUMNS`: the Arrow schema and its field
metadata (`schema.py`), the cell table's dtypes (`cells_frame`), the columns
each record type uses, and the column table in SCHEMA.md and the README
(`columns_markdown`; tests/test_profile_schema.py checks they match). The cell
columns from `run_id` to `steady` are a contract (docs/design.md section 5):
add columns, never rename one. Unknown values are null (NaN / <NA>), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

STRING = pd.StringDtype()
KIND_TYPES = {"str": "string", "int": "int64", "float": "double", "bool": "bool"}


@dataclass(frozen=True)
class Column:
    """One profile column: `kind` is 'str', 'int', 'float' or 'bool'; `unit` '' when none."""

    name: str
    kind: str
    unit: str
    records: tuple[str, ...]
    meaning: str


_ALL = ("cell", "series", "finding")
_CS = ("cell", "series")
_C = ("cell",)
_S = ("series",)
_F = ("finding",)

COLUMNS: tuple[Column, ...] = (
    Column("record", "str", "", _ALL, "`cell`, `series` or `finding` (never null)"),
    # The contract: the cell columns of docs/design.md section 5, in that order.
    Column("run_id", "str", "", _ALL, "the run that measured this"),
    Column(
        "cell",
        "str",
        "",
        _CS,
        "cell id within the run (for ingested files: the file's path"
        " relative to the folder ingested)",
    ),
    Column("model", "str", "", _ALL, "drive model"),
    Column("serial", "str", "", _ALL, "drive serial"),
    Column(
        "target",
        "str",
        "",
        _ALL,
        "target as given (`/dev/nvme0n1`, `sim:qlc-16k`, ...); for"
        " ingested files, fio's `filename`",
    ),
    Column(
        "rw", "str", "", _C, "fio's mode: `read`, `write`, `randread`, `randwrite`, `randrw`, ..."
    ),
    Column(
        "direction", "str", "", _CS, "`read`, `write` or `trim` (trim only when the job trimmed)"
    ),
    Column(
        "bs",
        "int",
        "bytes",
        _CS,
        "IO size of this direction (`bs=4k,64k` gives 4096 for read,"
        " 65536 for write); null when the job mixed sizes (bssplit/bsrange). Series: the IO's"
        " size in per-IO logs, null in averaged logs",
    ),
    Column(
        "offset",
        "int",
        "bytes",
        _CS,
        "alignment offset (fio's `offset`; 0 when absent)."
        " Series: the IO's offset when fio logged it, else null",
    ),
    Column("iodepth", "int", "IOs", _C, "queue depth per job"),
    Column("numjobs", "int", "jobs", _C, "parallel jobs"),
    Column("runtime_s", "float", "s", _C, "time fio measured this direction"),
    Column("iops", "float", "IO/s", _C, "IOs per second"),
    Column(
        "bw_bytes",
        "float",
        "bytes/s",
        _CS,
        "bandwidth (fio's `bw_bytes`, else `bw` KiB/s x 1024); series: the bw sample",
    ),
    Column("lat_mean_us", "float", "us", _C, "mean completion latency (clat)"),
    Column("lat_p50_us", "float", "us", _C, "median completion latency"),
    Column("lat_p99_us", "float", "us", _C, "99th percentile completion latency"),
    Column("lat_p99_9_us", "float", "us", _C, "99.9th percentile"),
    Column("lat_p99_99_us", "float", "us", _C, "99.99th percentile"),
    Column(
        "host_bytes_written",
        "int",
        "bytes",
        _C,
        "bytes this row's direction wrote (`io_bytes` of write rows; 0 for read and trim rows)",
    ),
    Column(
        "media_bytes_written",
        "int",
        "bytes",
        _C,
        "bytes the drive wrote to media during the"
        " cell (counter delta; on write rows), null when the drive does not expose it",
    ),
    Column(
        "steady",
        "bool",
        "",
        _C,
        "true when the cell's round lies in its stage's first"
        " steady-state window (SNIA PTS round rule), false when it does not (yet); null: not"
        " assessed (the cell is not part of a round-based stage)",
    ),
    # Additions.
    Column(
        "lat_p99_999_us",
        "float",
        "us",
        _C,
        "99.999th percentile (from fio's json+ histogram when fio did not print it)",
    ),
    Column("lat_max_us", "float", "us", _C, "maximum completion latency"),
    Column("lat_min_us", "float", "us", _C, "minimum completion latency"),
    Column("io_bytes", "int", "bytes", _C, "bytes transferred in this direction"),
    Column("total_ios", "int", "IOs", _C, "IOs completed in this direction"),
    Column("error", "int", "", _C, "fio's error code for the job (0: none)"),
    Column(
        "rwmixread", "int", "%", _C, "share of reads in a mixed job; null for single-direction jobs"
    ),
    Column("ioengine", "str", "", _C, "fio engine"),
    Column("fio_version", "str", "", _C, "e.g. `fio-3.33`"),
    Column("job_name", "str", "", _C, "fio job name"),
    Column("host", "str", "", _C, "fio server host (client/server runs), else null"),
    Column("source", "str", "", _C, "file the row was ingested from"),
    Column("stage", "str", "", _C, "plan stage that ran the cell"),
    Column("round", "int", "", _C, "round number (steady-state rounds), else null"),
    Column(
        "counter_host_bytes_written",
        "int",
        "bytes",
        _C,
        "how far the drive's own"
        " host-bytes-written counter moved over the cell (write rows); compared with"
        " `host_bytes_written` to tell whether the counters moved in step with the cell;"
        " null when the drive does not count",
    ),
    Column(
        "counter_unaligned_io",
        "int",
        "writes",
        _C,
        "how far OCP C0h Unaligned I/O moved over the cell (write rows), null when not reported",
    ),
    Column(
        "used_bytes",
        "int",
        "bytes",
        _C,
        "bytes the namespace reported holding data when"
        " the cell started (Identify Namespace nuse x LBA size; write rows), null when not"
        " reported",
    ),
    Column(
        "ramp_s",
        "float",
        "s",
        _C,
        "fio's `ramp_time` of the cell: writes the drive counts but `io_bytes` leaves out",
    ),
    Column("series", "str", "", _S, "`bw`, `iops`, `lat`, `clat` or `slat`"),
    Column(
        "t_s", "float", "s", _S, "time of the sample since the job started (fio's log time / 1000)"
    ),
    Column(
        "value",
        "float",
        "see meaning",
        ("series", "finding"),
        "series: `bw` bytes/s, `iops`"
        " IO/s, `lat`/`clat`/`slat` us. Finding: a number (bools as 1.0 / 0.0)",
    ),
    Column(
        "bytes_written",
        "float",
        "bytes",
        _S,
        "bw series: bytes moved in this direction since"
        " the start (bw integrated over the sample intervals, or the sum of IO sizes in per-IO"
        " logs)",
    ),
    Column(
        "finding",
        "str",
        "",
        _F,
        "dotted name of the result, e.g. `iu.inferred_bytes`, `slc.cache_bytes`",
    ),
    Column(
        "value_text",
        "str",
        "",
        _F,
        "text results, integers exactly (128-bit counters),"
        " `true`/`false`, or JSON for lists such as `iu.rmw_amplification`",
    ),
    Column(
        "value_kind",
        "str",
        "",
        _F,
        "`number`, `integer`, `bool`, `text`, `json` or `null`:"
        " how to read `value` / `value_text` back",
    ),
    Column(
        "evidence",
        "str",
        "",
        _F,
        "JSON: the evidence object of the finding's section (e.g."
        " `iu.evidence` on every `iu.*` row), the data and parameters the finding rests on;"
        " null when the section gives none",
    ),
    Column(
        "method_version",
        "str",
        "",
        _F,
        "version of the method that produced the finding"
        " (the section's `method_version`, e.g. `iu-rule+fit/1`; else the analysis's,"
        " `analyze/1`); null when unknown",
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}


def fields_of(record: str) -> dict[str, str]:
    """name -> kind of the columns a record type uses, in schema order (without `record`)."""
    return {c.name: c.kind for c in COLUMNS if record in c.records and c.name != "record"}


CELL_FIELDS: dict[str, str] = fields_of("cell")
CONTRACT_COLUMNS: tuple[str, ...] = tuple(
    list(CELL_FIELDS)[: list(CELL_FIELDS).index("steady") + 1]
)

PANDAS_DTYPES: dict[str, Any] = {
    "str": STRING,
    "int": pd.Int64Dtype(),
    "float": "float64",
    "bool": pd.BooleanDtype(),
}


def cells_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame with every cell column, in order, with nullable dtypes."""
    frame = pd.DataFrame.from_records(records, columns=list(CELL_FIELDS))
    return frame.astype({name: PANDAS_DTYPES[kind] for name, kind in CELL_FIELDS.items()})


def columns_markdown() -> str:
    """The column table of SCHEMA.md and the README, one line per column."""
    lines = ["| column | type | unit | records | meaning |", "|---|---|---|---|---|"]
    for c in COLUMNS:
        records = "all" if c.records == _ALL else ", ".join(c.records)
        cells = [f"`{c.name}`", KIND_TYPES[c.kind], c.unit, records, c.meaning]
        lines.append(" ".join(f"| {cell}" if cell else "|" for cell in cells) + " |")
    return "\n".join(lines) + "\n"
