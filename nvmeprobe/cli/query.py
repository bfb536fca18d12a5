"""`nvmeprobe query`: SQL (DuckDB) over every profile in a folder."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from nvmeprobe.cli.output import Col, print_json, print_table


@click.command("query")
@click.argument("sql")
@click.option(
    "--profiles",
    "profiles",
    type=click.Path(path_type=Path),
    multiple=True,
    default=[Path("profiles")],
    show_default=True,
    help="Profiles: files, run folders, drive folders or trees (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON list of objects.")
def command(sql: str, profiles: tuple[Path, ...], as_json: bool) -> None:
    """Run SQL over the views profiles, cells, series and findings of every profile."""
    from nvmeprobe.report.query import run_query

    result = run_query(list(profiles), sql)
    if as_json:
        print_json(result.records())
        return
    # the first column identifies a row; later columns are dropped first when space is short
    columns = [
        Col(escape(name), key=i == 0, keep=len(result.columns) - i)
        for i, name in enumerate(result.columns)
    ]
    print_table(
        columns,
        [["" if value is None else escape(str(value)) for value in row] for row in result.rows],
        title=f"{len(result.rows)} row(s)",
    )
