"""`nvmeprobe inspect`: identity, geometry, reported IU and wear of one target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from nvmeprobe.cli.output import Col, console, print_json, print_table
from nvmeprobe.discover.collect import load_capture, save_capture
from nvmeprobe.discover.session import inspect_report, open_session
from nvmeprobe.errors import InputError
from nvmeprobe.units import format_bytes

_BYTE_KEYS = {
    "size_bytes",
    "logical_block_size",
    "physical_block_size",
    "minimum_io_size",
    "optimal_io_size",
    "reported_bytes",
    "write_alignment_bytes",
    "deallocate_granularity_bytes",
    "optimal_write_bytes",
    "deallocate_alignment_bytes",
    "boundary_bytes",
    "host_bytes_written",
    "media_bytes_written",
    "host_bytes_read",
}


def _value(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in _BYTE_KEYS and isinstance(value, int):
        return f"{format_bytes(value)} ({value:,} B)" if value >= 1024 else f"{value} B"
    if key == "lifetime_waf" and isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def render_report(report: dict[str, Any]) -> None:
    """The human view of an inspect report."""
    identity = report.get("identity") or {}
    console.print(
        f"[bold]{report['target']}[/] ({report.get('kind')}):"
        f" {identity.get('model') or 'unknown model'}"
    )
    for section in ("identity", "geometry", "iu", "endurance"):
        fields = (report.get(section) or {}).items()
        rows = [
            [key, escape(_value(key, value))]
            for key, value in fields  # groups: in --json
            if not (isinstance(value, list) and value and isinstance(value[0], dict))
        ]
        print_table(
            [Col("field", key=True), Col("value", keep=1)], rows, title=section, show_header=False
        )
    for warning in report.get("warnings") or []:
        console.print(f"[bold yellow]warning:[/] {warning}")
    for gap in report.get("gaps") or []:
        console.print(f"[dim]not known: {gap}[/]")


@click.command("inspect")
@click.argument("target", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option(
    "--capture",
    "capture_dir",
    type=click.Path(path_type=Path),
    help="Also save every raw output read (nvme-cli, sysfs, smartctl) to this folder.",
)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(path_type=Path),
    help="Decode a capture folder instead of reading a device.",
)
def command(
    target: str | None, as_json: bool, capture_dir: Path | None, from_dir: Path | None
) -> None:
    """Report TARGET's identity, geometry, reported IU and endurance counters."""
    if from_dir is not None:
        capture = load_capture(from_dir)
        name = target or capture.get("target.txt", str(from_dir).encode()).decode().strip()
        report = inspect_report(capture, name)
    elif target is None:
        raise InputError("inspect needs a TARGET or --from DIR")
    else:
        with open_session(target) as session:
            capture, report = session.capture, session.facts
    if capture_dir is not None:
        save_capture(capture, capture_dir)
    if as_json:
        print_json(report)
    else:
        render_report(report)
