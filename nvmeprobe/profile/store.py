"""Write and read profiles: one Parquet file per drive and run (schema.py).

Writes are atomic: the table goes to a hidden temporary file in the same
folder (not matched by `*.parquet` globs), is fsynced, then replaces the
profile with os.replace. A crash or a full disk mid-write leaves the previous
profile as it was.

`read_profile` reads every version in `READABLE_VERSIONS`; an older file is
upgraded in memory to the current layout, so readers see one shape.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nvmeprobe import __version__
from nvmeprobe.errors import EXIT_FAILED, InputError, ProbeError
from nvmeprobe.profile.columns import STRING
from nvmeprobe.profile.findings import findings_to_frame, frame_to_findings, to_json
from nvmeprobe.profile.schema import (
    FIELDS_BY_RECORD,
    IDENTITY,
    META_CREATOR,
    META_EXPORT,
    META_FACTS,
    META_MANIFEST,
    META_RUN_ID,
    META_VERSION,
    READABLE_VERSIONS,
    SCHEMA,
    SCHEMA_VERSION,
)

METADATA_KEYS = frozenset({"facts", "manifest", "run_id", "model", "serial", "target"})
CREATOR = f"nvmeprobe {__version__}"
_PANDAS_TYPES = {
    pa.string(): STRING,
    pa.large_string(): STRING,
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


class ProfileWriteError(ProbeError):
    """A profile could not be written (full disk, permissions); the previous file is intact."""

    exit_code = EXIT_FAILED


@dataclass
class Profile:
    """One profile read back: its three record types as DataFrames, and its metadata.

    `schema_version` is the file's; its rows are in the current layout either way.
    `creator` is the library and version that wrote it ("nvmeprobe 0.1.0"), None if unknown.
    """

    cells: pd.DataFrame
    series: pd.DataFrame
    findings: pd.DataFrame
    facts: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    schema_version: str = SCHEMA_VERSION
    creator: str | None = None


def _column(values: pd.Series, target: pa.DataType, name: str) -> pa.Array:
    try:
        array = pa.array(values, from_pandas=True)
        return array if array.type == target else array.cast(target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise InputError(f"profile column {name}: {str(err).splitlines()[0]}") from None


def _identity(cells: pd.DataFrame, metadata: dict[str, Any]) -> dict[str, str | None]:
    """run_id, model, serial, target: from metadata, else the cells' single value."""
    result: dict[str, str | None] = {}
    for name in IDENTITY:
        value = metadata.get(name)
        if value is None and name in cells:
            values = cells[name].dropna().unique()
            value = values[0] if len(values) == 1 else None
        result[name] = None if value is None else str(value)
    return result


def _record_table(
    record: str, frame: pd.DataFrame | None, identity: dict[str, str | None]
) -> pa.Table:
    frame = frame if frame is not None else pd.DataFrame()
    allowed = FIELDS_BY_RECORD[record]
    unknown = sorted(set(frame.columns) - set(allowed) - {"record"})
    if unknown:
        raise InputError(
            f"{record} rows have columns outside profile schema v{SCHEMA_VERSION}: {unknown}"
        )
    rows = len(frame)
    arrays = []
    for schema_field in SCHEMA:
        name, target = schema_field.name, schema_field.type
        if name == "record":
            array = pa.repeat(pa.scalar(record), rows)
        elif name in frame.columns and name in allowed:
            array = _column(frame[name], target, name)
        else:
            array = pa.nulls(rows, target)
        if name in identity and identity[name] is not None and array.null_count:
            array = pc.fill_null(array, pa.scalar(identity[name], target))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _metadata(metadata: dict[str, Any], run_id: str | None) -> dict[bytes, bytes]:
    return {
        META_VERSION: SCHEMA_VERSION.encode(),
        META_CREATOR: CREATOR.encode(),
        META_FACTS: to_json(metadata.get("facts") or {}).encode(),
        META_MANIFEST: to_json(metadata.get("manifest") or {}).encode(),
        META_RUN_ID: (run_id or "").encode(),
    }


def _write_atomically(table: pa.Table, path: Path) -> None:
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as err:
        reason = (
            "no space left on device"
            if err.errno == errno.ENOSPC or "No space left" in str(err)
            else (err.strerror or str(err).splitlines()[0])
        )
        raise ProfileWriteError(f"cannot write profile {path}: {reason}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_profile(
    path: str | Path,
    cells: pd.DataFrame | None,
    series: pd.DataFrame | None = None,
    findings: pd.DataFrame | dict[str, Any] | None = None,
    *,
    metadata: dict[str, Any],
) -> Path:
    """Write one profile atomically; returns its path.

    `metadata` keys: facts (inspect report), manifest, run_id, and optionally
    model, serial, target (else taken from the cells when they hold one value).
    `findings` is a findings frame or a nested findings dict (`findings_to_frame`).
    Columns outside the schema are an InputError: every profile has the same columns.
    """
    path = Path(path)
    unknown = sorted(set(metadata) - METADATA_KEYS)
    if unknown:
        raise InputError(f"unknown profile metadata {unknown}; allowed: {sorted(METADATA_KEYS)}")
    if isinstance(findings, dict):
        findings = findings_to_frame(findings)
    cells = cells if cells is not None else pd.DataFrame()
    identity = _identity(cells, metadata)
    table = pa.concat_tables(
        [
            _record_table("cell", cells, identity),
            _record_table("series", series, identity),
            _record_table("finding", findings, identity),
        ]
    )
    table = table.replace_schema_metadata(_metadata(metadata, identity["run_id"]))
    _write_atomically(table, path)
    return path


def _json_meta(meta: dict[bytes, bytes], key: bytes, path: Path) -> dict[str, Any]:
    try:
        return json.loads(meta.get(key, b"{}") or b"{}")
    except json.JSONDecodeError:
        raise InputError(f"{path}: profile metadata {key.decode()} is not valid JSON") from None


def _records(table: pa.Table, record: str) -> pd.DataFrame:
    rows = table.filter(pc.equal(table.column("record"), record))
    rows = rows.select(list(FIELDS_BY_RECORD[record]))
    return rows.to_pandas(types_mapper=_PANDAS_TYPES.get)


def _export_label(raw: bytes) -> str:
    try:
        label = json.loads(raw)
    except json.JSONDecodeError:
        return "unlabelled"
    if not isinstance(label, dict):
        return "unlabelled"
    return f"{label.get('record') or 'all'} rows of {label.get('profiles', '?')} profile(s)"


def _upgrade_v1(table: pa.Table) -> pa.Table:
    """Schema 1 rows in the schema 2 layout.

    Findings: evidence and method versions were rows of their own and the
    `method_version` column held the package version; rebuilding the nested
    findings and flattening them again puts them on each row. Series: `bs` 0
    (unknown in averaged logs) becomes null.
    """
    findings = _records(table, "finding")
    identity = {
        name: (
            None
            if findings.empty or pd.isna(findings[name].iloc[0])
            else str(findings[name].iloc[0])
        )
        for name in IDENTITY
    }
    nested = frame_to_findings(findings.assign(evidence=pd.NA, method_version=pd.NA))
    upgraded = _record_table("finding", findings_to_frame(nested), identity)
    rest = table.filter(pc.not_equal(table.column("record"), "finding"))
    unknown_bs = pc.and_(pc.equal(rest.column("record"), "series"), pc.equal(rest.column("bs"), 0))
    bs = pc.if_else(unknown_bs, pa.scalar(None, pa.int64()), rest.column("bs"))
    rest = rest.set_column(rest.schema.get_field_index("bs"), SCHEMA.field("bs"), bs)
    return pa.concat_tables([rest, upgraded])


def _creator_v1(table: pa.Table) -> str | None:
    """The nvmeprobe version a schema 1 file names in its findings' method_version, if one."""
    rows = table.filter(pc.equal(table.column("record"), "finding"))
    versions = pc.unique(rows.column("method_version").drop_null()).to_pylist()
    return f"nvmeprobe {versions[0]}" if len(versions) == 1 else None


def read_profile(path: str | Path) -> Profile:
    """Read a profile (any version in READABLE_VERSIONS); InputError for other files."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such profile") from None
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"{path}: not a Parquet profile ({str(err).splitlines()[0]})") from None
    meta = table.schema.metadata or {}
    raw_version = meta.get(META_VERSION)
    if raw_version is None and META_EXPORT in meta:
        raise InputError(
            f"{path}: a partial export ({_export_label(meta[META_EXPORT])}), not a"
            " profile; export one profile without --record for a file commands read"
        )
    if raw_version is None:
        raise InputError(f"{path}: not an nvmeprobe profile (no nvmeprobe.schema_version metadata)")
    version = raw_version.decode(errors="replace")
    if version not in READABLE_VERSIONS:
        raise InputError(
            f"{path}: profile schema version {version!r} is not supported (this"
            f" nvmeprobe reads versions {', '.join(READABLE_VERSIONS)})"
        )
    missing = sorted(set(SCHEMA.names) - set(table.column_names))
    if missing:
        raise InputError(f"{path}: profile lacks schema v{version} columns {missing}")
    try:
        table = table.select(SCHEMA.names).cast(SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise InputError(
            f"{path}: profile columns do not match schema v{version} ({str(err).splitlines()[0]})"
        ) from None
    creator = meta.get(META_CREATOR, b"").decode(errors="replace") or None
    if version == "1":
        creator = _creator_v1(table)
        table = _upgrade_v1(table)
    return Profile(
        cells=_records(table, "cell"),
        series=_records(table, "series"),
        findings=_records(table, "finding"),
        facts=_json_meta(meta, META_FACTS, path),
        manifest=_json_meta(meta, META_MANIFEST, path),
        run_id=meta.get(META_RUN_ID, b"").decode() or None,
        schema_version=version,
        creator=creator,
    )
