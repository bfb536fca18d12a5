"""`nvmeprobe export`: profiles' rows as CSV, JSON or Parquet, on stdout or to a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nvmeprobe.errors import InputError
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.resolve import resolve_profiles
from nvmeprobe.profile.schema import RECORDS
from nvmeprobe.report.export import FORMATS, encode, export_table


@click.command("export")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--record",
    type=click.Choice(RECORDS),
    help="Only this record type, with its columns (default: every row and column).",
)
def command(
    profiles: tuple[Path, ...], fmt: str, out_file: Path | None, record: str | None
) -> None:
    """Export PROFILES as CSV, JSON or Parquet (rows of several profiles one after another).

    PROFILES: profile files, run folders, drive folders or profiles trees. Parquet of one
    whole profile is a profile; with --record or several profiles, a labelled partial export.
    """
    if out_file is None and fmt == "parquet" and sys.stdout.isatty():
        raise InputError("Parquet is binary: give --out FILE or redirect stdout")
    data = encode(export_table([read_profile(p) for p in resolve_profiles(profiles)], record), fmt)
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        out_file.write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot write {out_file}: {err.strerror or err}") from None
