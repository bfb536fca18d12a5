"""`nvmeprobe recommend`: which workload goes on which drive class, and how to write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from nvmeprobe.cli.output import Col, console, print_json, print_table
from nvmeprobe.profile.resolve import resolve_profiles
from nvmeprobe.recommend.from_profiles import (
    load_economics,
    recommend_profiles,
    workloads_from,
    write_recommendation,
)
from nvmeprobe.units import format_bytes


def render_recommendation(doc: dict[str, Any]) -> None:
    """Placements with reasons and advice, then the fleets side by side."""
    print_table(
        [
            Col("workload", key=True),
            Col("drive", key=True),
            Col("share", keep=2),
            Col("advice", keep=3, note=True),
        ],
        [
            [
                escape(p["workload"]),
                escape(p["drive"]),
                f"{p['share']:.0%}",
                [escape(text) for text in p["advice"]],
            ]
            for p in doc["placements"]
        ],
        title="placement (mixed fleet); advice below",
    )
    for item in doc.get("unplaced") or []:
        console.print(
            f"[bold red]cannot place {item.get('workload')}:[/] {item.get('reason') or item}"
        )
    print_table(
        [
            Col("fleet", key=True),
            Col("feasible", keep=5, short="ok"),
            Col("cost $", keep=4),
            Col("capacity", keep=3, short="cap."),
            Col("IOPS/W", keep=1),
            Col("lifetime (years)", keep=2, short="years"),
        ],
        [
            [
                escape(f["name"]),
                "yes" if f["feasible"] else "[red]no[/]",
                f"{f['cost']:,.0f}" if f["cost"] is not None else "-",
                format_bytes(f["capacity_bytes"]),
                f"{f['iops_per_watt']:,.0f}" if f["iops_per_watt"] is not None else "-",
                f"{f['lifetime_years']:.1f}" if f["lifetime_years"] is not None else "-",
            ]
            for f in doc["fleets"]
        ],
        title="fleets compared",
    )


@click.command("recommend")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--workloads",
    "workloads_file",
    type=click.Path(path_type=Path, exists=True),
    help="A workload TOML file (default: the built-in AI-cluster workloads).",
)
@click.option(
    "--workload", "names", multiple=True, help="Use only this built-in workload (repeatable)."
)
@click.option(
    "--economics",
    "economics_file",
    type=click.Path(path_type=Path, exists=True),
    help="Per-drive price, capacity, endurance and power (TOML).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("recommendation.parquet"),
    show_default=True,
    help="Where the Parquet recommendation goes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(
    profiles: tuple[Path, ...],
    workloads_file: Path | None,
    names: tuple[str, ...],
    economics_file: Path | None,
    output: Path,
    as_json: bool,
) -> None:
    """Place workloads on the drive classes measured in PROFILES at the lowest cost.

    PROFILES: profile files, run folders, drive folders or profiles trees.
    """
    result = recommend_profiles(
        resolve_profiles(profiles),
        workloads_from(workloads_file, names),
        load_economics(economics_file),
    )
    write_recommendation(result, output)
    if as_json:
        print_json(result.to_dict())
    else:
        render_recommendation(result.to_dict())
