"""Export profiles' rows as CSV, JSON or Parquet, for tools that do not read nvmeprobe profiles.

With a record type (cell, series, finding) only that type's columns are
exported, in schema order with `record` first; without one the whole long
table (every column, every record). Several profiles give their rows one
after another (each row names its run, model and serial). JSON is a list of
row objects, unknown values null.

Parquet: a whole single profile keeps the profile's metadata (schema
version, creator, facts, manifest, run id) and each column's field metadata
(unit, meaning), so it is itself a profile every command reads. Anything
else (one record type, or several profiles) is labelled a partial export
(`nvmeprobe.export` metadata: record, profiles, run ids) and carries no
schema version: `read_profile` refuses it with a clear error and folder
searches pass over it.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nvmeprobe.errors import InputError
from nvmeprobe.profile import SCHEMA, Profile
from nvmeprobe.profile.findings import to_json
from nvmeprobe.profile.schema import (
    FIELDS_BY_RECORD,
    META_CREATOR,
    META_EXPORT,
    META_FACTS,
    META_MANIFEST,
    META_RUN_ID,
    META_VERSION,
    RECORDS,
    SCHEMA_VERSION,
)
from nvmeprobe.unknown import jsonable

FORMATS = ("csv", "json", "parquet")


def _frame(profile: Profile, record: str) -> pd.DataFrame:
    return {"cell": profile.cells, "series": profile.series, "finding": profile.findings}[record]


def _record_table(profile: Profile, record: str, schema: pa.Schema) -> pa.Table:
    frame = _frame(profile, record)
    arrays = [
        pa.repeat(pa.scalar(record), len(frame))
        if field.name == "record"
        else pa.array(frame[field.name], from_pandas=True).cast(field.type)
        if field.name in frame.columns
        else pa.nulls(len(frame), field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _rows(profile: Profile, record: str | None) -> pa.Table:
    if record is None:
        return pa.concat_tables([_record_table(profile, name, SCHEMA) for name in RECORDS])
    wanted = {"record", *FIELDS_BY_RECORD[record]}
    return _record_table(profile, record, pa.schema([f for f in SCHEMA if f.name in wanted]))


def export_table(profiles: list[Profile], record: str | None) -> pa.Table:
    """The rows to export, labelled as a profile (one whole profile) or a partial export."""
    if record is not None and record not in RECORDS:
        raise InputError(f"--record {record!r} is not one of {', '.join(RECORDS)}")
    if not profiles:
        raise InputError("export needs at least one profile")
    table = pa.concat_tables([_rows(profile, record) for profile in profiles])
    if record is None and len(profiles) == 1:
        profile = profiles[0]
        return table.replace_schema_metadata(
            {
                META_VERSION: SCHEMA_VERSION.encode(),
                META_CREATOR: (profile.creator or "").encode(),
                META_FACTS: to_json(profile.facts).encode(),
                META_MANIFEST: to_json(profile.manifest).encode(),
                META_RUN_ID: (profile.run_id or "").encode(),
            }
        )
    label = {
        "kind": "partial",
        "record": record,
        "profiles": len(profiles),
        "run_ids": [profile.run_id for profile in profiles],
    }
    return table.replace_schema_metadata({META_EXPORT: to_json(label).encode()})


def encode(table: pa.Table, fmt: str) -> bytes:
    """The table as CSV (header row), JSON (list of objects) or Parquet (zstd) bytes."""
    if fmt == "csv":
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        return buffer.getvalue()
    if fmt == "json":
        rows = [{key: jsonable(value) for key, value in row.items()} for row in table.to_pylist()]
        return (json.dumps(rows, indent=1, allow_nan=False) + "\n").encode()
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue().to_pybytes()
    raise InputError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
