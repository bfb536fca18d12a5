"""Profile schema v1: one long Parquet table, the same columns in every profile.

`record` says what a row is: 'cell' (a measured cell and IO direction),
'series' (one sample of a time series) or 'finding' (one analysis result).
Columns that do not apply to a record type are null. SCHEMA.md documents
every column; keep the two in step (tests/test_profile_schema.py checks).
"""

from __future__ import annotations

import pyarrow as pa

from nvmeprobe.profile.columns import CELL_FIELDS

SCHEMA_VERSION = "1"
META_VERSION = b"nvmeprobe.schema_version"
META_FACTS = b"nvmeprobe.facts"
META_MANIFEST = b"nvmeprobe.manifest"
META_RUN_ID = b"nvmeprobe.run_id"
# An `export` that is not a whole profile (one record type, or several profiles) carries this
# key instead of META_VERSION, so no command takes it for a profile.
META_EXPORT = b"nvmeprobe.export"

RECORDS = ("cell", "series", "finding")
_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}

# Identity columns, filled on every row of a profile where known.
IDENTITY = ("run_id", "model", "serial", "target")

SERIES_FIELDS: dict[str, str] = {
    "run_id": "str", "model": "str", "serial": "str", "target": "str",
    "cell": "str", "series": "str", "direction": "str", "t_s": "float", "value": "float",
    "bw_bytes": "float", "bytes_written": "float", "bs": "int", "offset": "int",
}
FINDING_FIELDS: dict[str, str] = {
    "run_id": "str", "model": "str", "serial": "str", "target": "str",
    "finding": "str", "value": "float", "value_text": "str", "value_kind": "str",
    "evidence": "str", "method_version": "str",
}

FIELDS_BY_RECORD: dict[str, dict[str, str]] = {
    "cell": CELL_FIELDS, "series": SERIES_FIELDS, "finding": FINDING_FIELDS,
}


def _all_fields() -> dict[str, str]:
    fields: dict[str, str] = {"record": "str"}
    for group in FIELDS_BY_RECORD.values():
        for name, kind in group.items():
            if fields.setdefault(name, kind) != kind:
                raise AssertionError(f"column {name} has two kinds")
    return fields


ALL_FIELDS = _all_fields()
SCHEMA = pa.schema([pa.field(name, _ARROW[kind], nullable=(name != "record"))
                    for name, kind in ALL_FIELDS.items()])
