"""SCHEMA.md documents every profile column, with the type the writer uses."""

from __future__ import annotations

import re
from pathlib import Path

from nvmeprobe.profile.columns import CONTRACT_COLUMNS
from nvmeprobe.profile import SCHEMA

SCHEMA_MD = Path(__file__).parent.parent / "nvmeprobe" / "profile" / "SCHEMA.md"


def test_schema_md_documents_every_column_with_its_type() -> None:
    documented = dict(re.findall(r"^\| `([a-z0-9_]+)` \| (\w+) \|", SCHEMA_MD.read_text(), re.M))
    assert documented == {field.name: str(field.type) for field in SCHEMA}


def test_contract_columns_are_in_the_schema_in_order() -> None:
    names = SCHEMA.names
    assert names[0] == "record"
    assert [n for n in names if n in CONTRACT_COLUMNS] == list(CONTRACT_COLUMNS)
