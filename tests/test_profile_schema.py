"""SCHEMA.md and the README document every profile column exactly as `profile/columns.py`
defines it, and the Arrow schema is built from that one table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nvmeprobe.profile import SCHEMA
from nvmeprobe.profile.columns import COLUMNS, CONTRACT_COLUMNS, KIND_TYPES, columns_markdown
from nvmeprobe.profile.schema import SCHEMA_VERSION

ROOT = Path(__file__).parent.parent
DOCS = {"SCHEMA.md": ROOT / "nvmeprobe" / "profile" / "SCHEMA.md", "README.md": ROOT / "README.md"}


def _column_table(text: str) -> str:
    """The Markdown table that starts with the `| column | type | unit |` header."""
    match = re.search(r"^\| column \| type \| unit \|.*?\n(?=\n|\Z)", text, re.M | re.S)
    assert match, "no column table"
    return match.group(0)


@pytest.mark.parametrize("name", DOCS)
def test_docs_show_the_generated_column_table(name: str) -> None:
    table = _column_table(DOCS[name].read_text())
    assert table == columns_markdown(), (
        f"{name}: the column table differs from nvmeprobe/profile/columns.py; paste the output"
        " of: python -c 'from nvmeprobe.profile.columns import columns_markdown as m; print(m())'"
    )


@pytest.mark.parametrize("name", DOCS)
def test_docs_name_the_current_schema_version(name: str) -> None:
    text = DOCS[name].read_text()
    assert f'| `nvmeprobe.schema_version` | `"{SCHEMA_VERSION}"` |' in text
    assert (
        f"schema, version {SCHEMA_VERSION}" in text or f"schema (version {SCHEMA_VERSION})" in text
    )
    assert "`nvmeprobe.creator`" in text


def test_the_arrow_schema_is_the_table() -> None:
    assert SCHEMA.names == [c.name for c in COLUMNS]
    for column in COLUMNS:
        field = SCHEMA.field(column.name)
        assert str(field.type) == KIND_TYPES[column.kind]
        assert field.metadata[b"unit"].decode() == column.unit
        assert field.metadata[b"description"].decode() == column.meaning


def test_contract_columns_are_in_the_schema_in_order() -> None:
    names = SCHEMA.names
    assert names[0] == "record"
    assert list(CONTRACT_COLUMNS) == [
        "run_id",
        "cell",
        "model",
        "serial",
        "target",
        "rw",
        "direction",
        "bs",
        "offset",
        "iodepth",
        "numjobs",
        "runtime_s",
        "iops",
        "bw_bytes",
        "lat_mean_us",
        "lat_p50_us",
        "lat_p99_us",
        "lat_p99_9_us",
        "lat_p99_99_us",
        "host_bytes_written",
        "media_bytes_written",
        "steady",
    ]
    assert [n for n in names if n in CONTRACT_COLUMNS] == list(CONTRACT_COLUMNS)
