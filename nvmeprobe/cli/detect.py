"""`nvmeprobe detect`: list drives and whether they are in use."""

from __future__ import annotations

import click
from rich.table import Table

from nvmeprobe.cli.output import console, err_console, print_json
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
    table = Table(title="Block devices")
    for column in ("target", "kind", "model", "serial", "size", "LBA", "reported IU", "in use"):
        table.add_column(column)
    for row in rows:
        in_use = {True: "[red]yes[/]", False: "no", None: "[yellow]unknown[/]"}[row["in_use"]]
        if row["in_use_reasons"] and row["in_use"] is not False:
            in_use += f" ({'; '.join(row['in_use_reasons'])})"
        table.add_row(row["target"], row["kind"], row["model"] or "-", row["serial"] or "-",
                      format_bytes(row["size_bytes"]), format_bytes(row["logical_block_size"]),
                      format_bytes(row["reported_iu_bytes"]), in_use)
    console.print(table)
