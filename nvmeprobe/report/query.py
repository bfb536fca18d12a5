"""SQL over profiles with DuckDB.

The profiles are those `resolve_profiles` finds (files, run folders, drive
folders, trees; other Parquet files in a folder are passed over). Views, all
over that list of files (the schema is the same in every profile):
- `profiles`: every row and column, plus `filename` (the profile file);
- `cells`, `series`, `findings`: the rows of one record type with that
  type's columns (SCHEMA.md) and `filename`.
DuckDB runs in memory; the profiles are only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from nvmeprobe.errors import InputError
from nvmeprobe.profile.resolve import resolve_profiles
from nvmeprobe.profile.schema import FIELDS_BY_RECORD
from nvmeprobe.unknown import jsonable

VIEWS = {"cells": "cell", "series": "series", "findings": "finding"}


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows (Python values, NaN as None)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Rows as objects keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(paths: list[Path]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views over the profiles `paths` name."""
    files = "[" + ", ".join(_quote(str(path)) for path in resolve_profiles(paths)) + "]"
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(
            f"create view profiles as select * from read_parquet({files}, filename = true)"
        )
        for view, record in VIEWS.items():
            columns = ", ".join(f'"{name}"' for name in FIELDS_BY_RECORD[record])
            connection.execute(
                f"create view {view} as select record, {columns}, filename from profiles"
                f" where record = {_quote(record)}"
            )
    except duckdb.Error as err:
        connection.close()
        where = ", ".join(str(path) for path in paths)
        raise InputError(f"cannot read the profiles under {where}: {_first_line(err)}") from None
    return connection


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def run_query(paths: list[Path], sql: str) -> QueryResult:
    """Run one SQL statement over the views; a bad statement is an InputError with DuckDB's
    first line.
    """
    connection = connect(paths)
    try:
        cursor = connection.execute(sql)
        if cursor.description is None:
            return QueryResult([], [])
        columns = [item[0] for item in cursor.description]
        rows = [tuple(jsonable(v) for v in row) for row in cursor.fetchall()]
    except duckdb.Error as err:
        raise InputError(f"query failed: {_first_line(err)}") from None
    finally:
        connection.close()
    return QueryResult(columns, rows)
