"""`nvmeprobe compare`: two profiles side by side, every finding and matching cell, against noise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from nvmeprobe.analyze.store import profile_of
from nvmeprobe.cli.output import Col, console, print_json, print_table
from nvmeprobe.profile import read_profile
from nvmeprobe.report.compare import DEFAULT_NOISE, compare_profiles
from nvmeprobe.units import format_size_token


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _change(row: dict[str, Any]) -> str:
    text = "-" if row["change"] is None else f"{row['change']:+.1%}"
    return f"[bold red]{text}[/]" if row["beyond_noise"] else text


def _cell(row: dict[str, Any]) -> str:
    """'randwrite write 4k+4k QD16 x1' from a cell key."""
    size = "?" if row["bs"] is None else format_size_token(row["bs"])
    offset = f"+{format_size_token(row['offset'])}" if row["offset"] else ""
    return f"{row['rw']} {row['direction']} {size}{offset} QD{_value(row['iodepth'])} x{_value(row['numjobs'])}"


def render_comparison(doc: dict[str, Any]) -> None:
    """Identities, findings, and the cell values that changed beyond noise."""
    print_table([Col("", key=True), Col("model", key=True), Col("serial", key=True),
                 Col("firmware", keep=1, short="fw"), Col("run", key=True)],
                [[side.upper(), *(escape(_value(doc[side][k]))
                                  for k in ("model", "serial", "firmware", "run_id"))]
                 for side in ("a", "b")], title="profiles")
    shown = [row for row in doc["findings"] if row["beyond_noise"] or "[" not in row["finding"]]
    print_table([Col("finding", key=True), Col("A", keep=2), Col("B", keep=2), Col("change", keep=3)],
                [[escape(row["finding"]), escape(_value(row["a"])), escape(_value(row["b"])),
                  _change(row)] for row in shown],
                title=f"findings: the main ones and every one beyond noise (red); {len(shown)} of"
                      f" {len(doc['findings'])}")
    changed = [row for row in doc["cells"] if row["beyond_noise"]]
    print_table([Col("cell", key=True), Col("metric", key=True), Col("A", keep=2),
                 Col("B", keep=2), Col("change", keep=3), Col("tolerance", keep=1, short="tol."),
                 Col("B is", keep=4)],
                [[_cell(row), row["metric"], _value(row["a"]), _value(row["b"]), _change(row),
                  f"{row['tolerance']:.1%}", row["verdict"] or "-"] for row in changed],
                title=f"cell values beyond noise ({len(changed)} of {len(doc['cells'])})")
    for side in ("a", "b"):
        only = doc[f"cells_only_in_{side}"]
        if only:
            console.print(f"{len(only)} cell(s) only in {side.upper()}")


@click.command("compare")
@click.argument("a", type=click.Path(path_type=Path, exists=True))
@click.argument("b", type=click.Path(path_type=Path, exists=True))
@click.option("--noise", type=float, default=DEFAULT_NOISE, show_default=True,
              help="Noise floor: the smallest relative change counted (0.05 = 5%).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(a: Path, b: Path, noise: float, as_json: bool) -> None:
    """Compare profile (or run folder) A with B: every finding and matching cell."""
    path_a, path_b = profile_of(a), profile_of(b)
    doc = compare_profiles(read_profile(path_a), read_profile(path_b), path_a, path_b, noise)
    if as_json:
        print_json(doc)
    else:
        render_comparison(doc)
