"""`nvmeprobe report`: one self-contained HTML report and PNG plots of one or more profiles."""

from __future__ import annotations

from pathlib import Path

import click

from nvmeprobe.cli.output import console, print_json, print_line
from nvmeprobe.profile.resolve import resolve_profiles, run_profile


@click.command("report")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("report"),
    show_default=True,
    help="Folder for report.html and the PNG plots.",
)
@click.option(
    "--fio-plot",
    "fio_plot",
    is_flag=True,
    help="Also include fio-plot's own charts of each run folder, drawn by fio-plot.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(profiles: tuple[Path, ...], out_dir: Path, fio_plot: bool, as_json: bool) -> None:
    """Plot PROFILES: heatmaps, RMW, SLC cache, latency, knee, WAF; a fleet view per model.

    PROFILES: profile files, run folders, drive folders or profiles trees.
    """
    from nvmeprobe.report.build import build_report, outlier_text

    runs = (
        {profile: path for path in profiles if (profile := run_profile(path)) is not None}
        if fio_plot
        else None
    )
    files = build_report(resolve_profiles(profiles), out_dir, runs)
    if as_json:
        print_json(
            {
                "html": str(files.html),
                "pngs": [str(p) for p in files.pngs],
                "notes": files.notes,
                "fleets": files.fleets,
            }
        )
        return
    print_line(f"report: {files.html}")
    print_line(f"  {len(files.pngs)} plots as PNG in {out_dir}")
    for fleet in files.fleets:
        outliers = outlier_text(fleet["outliers"])
        print_line(
            f"fleet {fleet['model']}: {len(fleet['drives'])} drives, {fleet['profiles']}"
            f" profiles; outliers: {outliers}"
        )
    for note in files.notes:
        console.print(f"[dim]{note}[/]")
