"""`nvmeprobe ingest`: profiles from fio output nvmeprobe did not run."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from nvmeprobe.cli.output import console, err_console, print_json, print_line
from nvmeprobe.errors import InputError


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--profiles",
    "profiles_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("profiles"),
    show_default=True,
    help="Where the profiles go.",
)
@click.option("--model", help="Drive model to record (default: unknown).")
@click.option("--serial", help="Drive serial to record (default: unknown).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(
    paths: tuple[Path, ...],
    profiles_dir: Path,
    model: str | None,
    serial: str | None,
    as_json: bool,
) -> None:
    """Make one profile per PATH (fio JSON/json+ files or folders, bench-fio trees,
    fio logs beside them).
    """
    from nvmeprobe.ingest.to_profiles import ingest_to_profiles

    report = ingest_to_profiles(list(paths), profiles_dir, model, serial)
    if as_json:
        print_json(
            {
                "profiles": [
                    {
                        "profile": str(p.profile),
                        "source": str(p.source),
                        "run_id": p.run_id,
                        "results": p.results,
                        "cells": p.cells,
                        "series": p.series,
                        "logs": [str(log) for log in p.logs],
                    }
                    for p in report.profiles
                ],
                "skipped": [
                    {"path": str(path), "reason": reason} for path, reason in report.skipped
                ],
                "notes": [{"path": str(path), "note": note} for path, note in report.notes],
                "cells": sum(p.cells for p in report.profiles),
            }
        )
    else:
        for p in report.profiles:
            console.print(
                f"{p.results} result(s), {p.cells} cell rows, {p.series} series rows"
                f" from {len(p.logs)} log(s):",
                highlight=False,
            )
            print_line(f"  from: {p.source}")
            print_line(f"  profile: {p.profile}")
        for path, reason in report.skipped:
            err_console.print(f"skipped {escape(str(path))}: {escape(reason)}")
        for path, note in report.notes:
            err_console.print(f"note {escape(str(path))}: {escape(note)}")
    if not report.profiles:
        raise InputError(f"nothing ingested from {len(paths)} path(s)")
