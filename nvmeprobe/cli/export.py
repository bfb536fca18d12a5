"""`nvmeprobe export`: a profile's rows as CSV, JSON or Parquet, on stdout or to a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nvmeprobe.analyze.store import profile_of
from nvmeprobe.errors import InputError
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.schema import RECORDS
from nvmeprobe.report.export import FORMATS, encode, export_table


@click.command("export")
@click.argument("profile", type=click.Path(path_type=Path, exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of stdout.")
@click.option("--record", type=click.Choice(RECORDS),
              help="Only this record type, with its columns (default: every row and column).")
def command(profile: Path, fmt: str, out_file: Path | None, record: str | None) -> None:
    """Export PROFILE (a profile file or run folder) as CSV, JSON or Parquet."""
    if out_file is None and fmt == "parquet" and sys.stdout.isatty():
        raise InputError("Parquet is binary: give --out FILE or redirect stdout")
    data = encode(export_table(read_profile(profile_of(profile)), record), fmt)
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        out_file.write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot write {out_file}: {err.strerror or err}") from None
