"""`nvmeprobe query`: SQL (DuckDB) over every profile in a folder."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from nvmeprobe.cli.output import console, print_json


@click.command("query")
@click.argument("sql")
@click.option("--profiles", "profiles_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("profiles"), show_default=True, help="Folder of profiles (searched recursively).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON list of objects.")
def command(sql: str, profiles_dir: Path, as_json: bool) -> None:
    """Run SQL over the views profiles, cells, series and findings of every profile."""
    from nvmeprobe.report.query import run_query

    result = run_query(profiles_dir, sql)
    if as_json:
        print_json(result.records())
        return
    table = Table(title=f"{len(result.rows)} row(s)", title_justify="left")
    for column in result.columns:
        table.add_column(escape(column))
    for row in result.rows:
        table.add_row(*("" if value is None else escape(str(value)) for value in row))
    console.print(table)
