"""`nvmeprobe demo`: characterise simulated TLC and QLC drives, then place workloads."""

from __future__ import annotations

from pathlib import Path

import click

from nvmeprobe.cli.analyze import render_findings
from nvmeprobe.cli.output import console, err_console, print_json, print_line
from nvmeprobe.cli.recommend import render_recommendation
from nvmeprobe.cli.run_many import run_drives
from nvmeprobe.demo import DEMO_DRIVES, run_demo


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for results, profiles, recommendation and report.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the recommendation (and each drive's run summary) as JSON.",
)
def command(out_dir: Path, as_json: bool) -> None:
    """Start simulated tlc-4k and qlc-16k drives, measure them with fio, recommend placement."""
    err_console.print(f"[bold]characterising simulated {' and '.join(DEMO_DRIVES)} at once[/]")
    result = run_demo(out_dir, lambda options: run_drives(options, parallel=None))
    if as_json:
        print_json(result.to_dict())
        return
    for run in result.runs:
        console.print(f"\n[bold]{run.facts['identity']['model']}[/]")
        print_line(f"  profile: {run.profile}")
        if run.findings:
            render_findings(run.findings)
    console.print()
    render_recommendation(result.recommendation.to_dict())
    console.print(f"\nresults, profiles and {result.recommendation_path.name} are under:")
    print_line(f"  {out_dir}/")
    console.print("the report is:")
    print_line(f"  {result.report_path}")
