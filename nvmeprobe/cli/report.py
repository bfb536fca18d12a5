"""`nvmeprobe report`: one self-contained HTML report and PNG plots of one or more profiles."""

from __future__ import annotations

from pathlib import Path

import click

from nvmeprobe.analyze.store import profile_of
from nvmeprobe.cli.output import console, print_json, print_line


@click.command("report")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("report"),
              show_default=True, help="Folder for report.html and the PNG plots.")
@click.option("--fio-plot", "fio_plot", is_flag=True,
              help="Also include fio-plot's own charts of each run folder, drawn by fio-plot.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(profiles: tuple[Path, ...], out_dir: Path, fio_plot: bool, as_json: bool) -> None:
    """Plot PROFILES (profile files or run folders): heatmaps, RMW, SLC cache, latency, knee, WAF."""
    from nvmeprobe.report.build import build_report

    paths = [profile_of(path) for path in profiles]
    runs = {profile: path for profile, path in zip(paths, profiles)
            if (path / "manifest.json").is_file()} if fio_plot else None
    files = build_report(paths, out_dir, runs)
    if as_json:
        print_json({"html": str(files.html), "pngs": [str(p) for p in files.pngs], "notes": files.notes})
        return
    print_line(f"report: {files.html}")
    print_line(f"  {len(files.pngs)} plots as PNG in {out_dir}")
    for note in files.notes:
        console.print(f"[dim]{note}[/]")
