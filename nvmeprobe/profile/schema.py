"""Profile schema v2: one long Parquet table, the same columns in every profile.

`record` says what a row is: 'cell' (a measured cell and IO direction),
'series' (one sample of a time series) or 'finding' (one analysis result).
Columns that do not apply to a record type are null. The columns, their
units and meanings come from `columns.COLUMNS`; each Arrow field carries its
`unit`, `records` and `description` as field metadata.

Version history (what a reader must know to read an older file):
- 1: findings' evidence and method versions were finding rows of their own
  (`iu.evidence.*`, `iu.method_version`); the `evidence` column was null and
  `method_version` held the nvmeprobe version. Series rows had no `bs`.
- 2: evidence and method version sit on each finding row (`evidence`,
  `method_version`); `nvmeprobe.creator` names the writer; round-based stages
  set `steady`; field metadata gives each column's unit and meaning.
"""

from __future__ import annotations

import pyarrow as pa

from nvmeprobe.profile.columns import COLUMNS, KIND_TYPES, fields_of

SCHEMA_VERSION = "2"
READABLE_VERSIONS = ("1", "2")
META_VERSION = b"nvmeprobe.schema_version"
META_CREATOR = b"nvmeprobe.creator"
META_FACTS = b"nvmeprobe.facts"
META_MANIFEST = b"nvmeprobe.manifest"
META_RUN_ID = b"nvmeprobe.run_id"
# An `export` that is not a whole profile (one record type, or several profiles) carries this
# key instead of META_VERSION, so no command takes it for a profile.
META_EXPORT = b"nvmeprobe.export"

RECORDS = ("cell", "series", "finding")

# Identity columns, filled on every row of a profile where known.
IDENTITY = ("run_id", "model", "serial", "target")

FIELDS_BY_RECORD: dict[str, dict[str, str]] = {record: fields_of(record) for record in RECORDS}

SCHEMA = pa.schema(
    [
        pa.field(
            c.name,
            pa.type_for_alias(KIND_TYPES[c.kind]),
            nullable=(c.name != "record"),
            metadata={"unit": c.unit, "records": ",".join(c.records), "description": c.meaning},
        )
        for c in COLUMNS
    ]
)
