"""`nvmeprobe detect`: list drives and whether they are in use."""

from __future__ import annotations

import click
from rich.markup import escape

from nvmeprobe.cli.output import Col, err_console, print_json, print_table
from nvmeprobe.discover.detect import detect_devices
from nvmeprobe.units import format_bytes


@click.command("detect")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list on stdout.")
def command(as_json: bool) -> None:
    """List NVMe namespaces and other block devices, with their reported IU."""
    rows, notes = detect_devices()
    for note in notes:
        err_console.print(f"[yellow]note:[/] {note}")
    if as_json:
        print_json(rows)
        return
    columns = [
        Col("target", key=True),
        Col("kind", keep=3),
        Col("model", keep=4),
        Col("serial", keep=2),
        Col("size", keep=5),
        Col("LBA", keep=1),
        Col("reported IU", keep=3, short="IU"),
        Col("in use", keep=6),
    ]
    table = []
    for row in rows:
        in_use = {True: "[red]yes[/]", False: "no", None: "[yellow]unknown[/]"}[row["in_use"]]
        if row["in_use_reasons"] and row["in_use"] is not False:
            in_use += f" ({escape('; '.join(row['in_use_reasons']))})"
        table.append(
            [
                escape(row["target"]),
                row["kind"],
                escape(row["model"] or "-"),
                escape(row["serial"] or "-"),
                format_bytes(row["size_bytes"]),
                format_bytes(row["logical_block_size"]),
                format_bytes(row["reported_iu_bytes"]),
                in_use,
            ]
        )
    print_table(columns, table, title="Block devices")
