"""`nvmeprobe compare`: two profiles (or two sets of drives) side by side, against noise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from nvmeprobe.cli.output import Col, console, print_json, print_line, print_table
from nvmeprobe.profile.resolve import load_profiles, resolve_profiles
from nvmeprobe.report.compare import DEFAULT_NOISE, cell_label, compare_profiles
from nvmeprobe.report.compare_sets import compare_sets


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _change(row: dict[str, Any]) -> str:
    text = "-" if row["change"] is None else f"{row['change']:+.1%}"
    return f"[bold red]{text}[/]" if row["beyond_noise"] else text


def _heading(doc: dict[str, Any]) -> None:
    if doc.get("sets"):
        print_table(
            [
                Col("", key=True),
                Col("profiles", keep=1),
                Col("drives", key=True),
                Col("model", keep=2),
                Col("firmware", keep=3, short="fw"),
            ],
            [
                [
                    side.upper(),
                    str(doc[side]["profiles"]),
                    *(escape(", ".join(doc[side][k])) for k in ("drives", "models", "firmware")),
                ]
                for side in ("a", "b")
            ],
            title="sets (one value per drive)",
        )
        return
    print_table(
        [
            Col("", key=True),
            Col("model", key=True),
            Col("serial", key=True),
            Col("firmware", keep=1, short="fw"),
            Col("run", key=True),
        ],
        [
            [
                side.upper(),
                *(escape(_value(doc[side][k])) for k in ("model", "serial", "firmware", "run_id")),
            ]
            for side in ("a", "b")
        ],
        title="profiles",
    )


def _basis(doc: dict[str, Any], row: dict[str, Any]) -> str:
    if doc.get("sets"):
        return f"{row['test']} (n={row['n_a']}+{row['n_b']})"
    return f"{row['tolerance']:.1%}"


def render_comparison(doc: dict[str, Any]) -> None:
    """Identities, findings, and the cell values that changed beyond noise."""
    _heading(doc)
    shown = [row for row in doc["findings"] if row["beyond_noise"] or "[" not in row["finding"]]
    print_table(
        [Col("finding", key=True), Col("A", keep=2), Col("B", keep=2), Col("change", keep=3)],
        [
            [
                escape(row["finding"]),
                escape(_value(row["a"])),
                escape(_value(row["b"])),
                _change(row),
            ]
            for row in shown
        ],
        title=f"findings: the main ones and every one beyond noise (red); {len(shown)} of"
        f" {len(doc['findings'])}",
    )
    changed = [row for row in doc["cells"] if row["beyond_noise"]]
    basis = (
        Col("tested by", keep=3, short="test")
        if doc.get("sets")
        else Col("tolerance", keep=1, short="tol.")
    )
    print_table(
        [
            Col("cell", key=True),
            Col("metric", key=True),
            Col("A", keep=2),
            Col("B", keep=2),
            Col("change", keep=3),
            basis,
            Col("B is", keep=4),
        ],
        [
            [
                cell_label(row),
                row["metric"],
                _value(row["a"]),
                _value(row["b"]),
                _change(row),
                _basis(doc, row),
                row["verdict"] or "-",
            ]
            for row in changed
        ],
        title=f"cell values beyond noise ({len(changed)} of {len(doc['cells'])})",
    )
    if doc.get("sets"):
        tests = doc["summary"]["tests"]
        print_line("tested by: " + "; ".join(f"{name} ({count})" for name, count in tests.items()))
        console.print(f"[dim]{escape(doc['noise']['rule'])}[/]")
    for side in ("a", "b"):
        only = doc[f"cells_only_in_{side}"]
        if only:
            console.print(f"{len(only)} cell(s) only in {side.upper()}")


@click.command("compare")
@click.argument("a", type=click.Path(path_type=Path, exists=True))
@click.argument("b", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--noise",
    type=float,
    default=DEFAULT_NOISE,
    show_default=True,
    help="Noise floor: the smallest relative change counted (0.05 = 5%).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(a: Path, b: Path, noise: float, as_json: bool) -> None:
    """Compare A with B: every finding and matching cell.

    A and B: each a profile file, run folder, drive folder or profiles tree. One profile a
    side compares two runs; more on either side compares two sets of drives, testing the
    difference against the spread within each set.
    """
    paths_a, paths_b = resolve_profiles([a]), resolve_profiles([b])
    items_a, items_b = load_profiles(paths_a), load_profiles(paths_b)
    if len(paths_a) == 1 and len(paths_b) == 1:
        doc = compare_profiles(
            items_a[0].profile, items_b[0].profile, paths_a[0], paths_b[0], noise
        )
    else:
        doc = compare_sets(items_a, items_b, paths_a, paths_b, noise)
    if as_json:
        print_json(doc)
    else:
        render_comparison(doc)
