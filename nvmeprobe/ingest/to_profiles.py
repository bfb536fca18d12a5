"""Profiles from fio output nvmeprobe did not run (`nvmeprobe ingest`).

One profile per PATH given (a file, or a folder searched recursively: single
JSON, json+, client/server output, bench-fio trees), at
`<profiles>/<model>_<serial>/ingest-<UTC time>-<name>.parquet`; model and
serial are unknown unless given. Parameters come from the JSON itself
(`nvmeprobe.ingest`).

fio logs beside a result become `series` rows of that result's cell: a job's
`write_bw_log`, `write_iops_log` or `write_lat_log` option names the log
prefix (its last path component is looked up in the JSON's own folder, since
the files were usually moved since the run; an empty value means the job
name), and fio appends `_bw.N.log`, `_clat.N.log` and the like.

Malformed results and logs are listed and skipped, never fatal. The findings
of `analyze` are computed and stored, as a run would.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import pandas as pd

from nvmeprobe import __version__
from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.errors import InputError
from nvmeprobe.ingest import ingest_paths, load_fio_json, series_from_log
from nvmeprobe.ingest.fio_logs import series_kind
from nvmeprobe.ingest.fio_options import merged_options
from nvmeprobe.profile import Profile, profile_path, slug, write_profile
from nvmeprobe.profile.findings import FINDING_COLUMNS

LOG_OPTIONS = ("write_bw_log", "write_iops_log", "write_lat_log")


@dataclass(frozen=True)
class Ingested:
    """One profile written from one PATH."""

    profile: Path
    source: Path
    run_id: str
    cells: int
    series: int
    results: int
    logs: list[Path]


@dataclass
class IngestReport:
    """Every profile written, every file skipped with the reason, every option left unknown."""

    profiles: list[Ingested] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[tuple[Path, str]] = field(default_factory=list)


def log_prefixes(doc: dict) -> set[str]:
    """The log name prefixes a fio document's jobs wrote (last path component only)."""
    prefixes = set()
    jobs = doc.get("client_stats") or doc.get("jobs") or []
    for job in jobs:
        options = merged_options(doc.get("global options"), job)
        for name in LOG_OPTIONS:
            if name in options:
                value = str(options[name]).strip()
                prefixes.add(PurePosixPath(value).name if value else str(job.get("jobname", "")))
    return {prefix for prefix in prefixes if prefix}


def logs_beside(result: Path) -> list[Path]:
    """fio logs in the result's folder written by its jobs (see the module docstring)."""
    folder = result.parent
    if next(folder.glob("*.log*"), None) is None:
        return []
    doc = load_fio_json(result.read_bytes(), str(result))
    found = []
    for prefix in sorted(log_prefixes(doc)):
        for path in sorted(folder.glob(f"{glob.escape(prefix)}_*.log*")):
            try:
                series_kind(path)
            except InputError:
                continue
            found.append(path)
    return found


def _series(
    cells: pd.DataFrame, skipped: list[tuple[Path, str]]
) -> tuple[pd.DataFrame | None, list[Path]]:
    frames, used = [], []
    for source, cell in cells[["source", "cell"]].drop_duplicates("source").itertuples(index=False):
        try:
            logs = logs_beside(Path(source))
        except (InputError, OSError) as err:
            skipped.append((Path(source), f"logs not read: {err}"))
            continue
        for log in logs:
            try:
                frames.append(series_from_log(log, cell=cell))
                used.append(log)
            except InputError as err:
                skipped.append((log, str(err)))
    if not frames:
        return None, used
    series = pd.concat(frames, ignore_index=True)
    series["direction"] = series["direction"].astype(str)
    return series, used


def _run_id(path: Path, taken: Callable[[str], bool], now: datetime) -> str:
    base = f"ingest-{now.strftime('%Y%m%dT%H%M%SZ')}-{slug(path.resolve().name)}"
    run_id, number = base, 1
    while taken(run_id):
        number += 1
        run_id = f"{base}-{number}"
    return run_id


def _findings(cells: pd.DataFrame, series: pd.DataFrame | None, manifest: dict) -> dict:
    empty = pd.DataFrame(columns=FINDING_COLUMNS)
    return analyze_profile(
        Profile(
            cells=cells,
            series=series if series is not None else pd.DataFrame(),
            findings=empty,
            facts={},
            manifest=manifest,
        )
    )


def ingest_to_profiles(
    paths: list[Path], profiles_dir: Path, model: str | None = None, serial: str | None = None
) -> IngestReport:
    """Ingest each PATH into its own profile; what could not be read is listed, not raised."""
    report = IngestReport()
    now = datetime.now(UTC)
    for path in paths:
        try:
            notes: list[tuple[Path, str]] = []
            cells, skipped = ingest_paths([path], notes)
        except InputError as err:
            report.skipped.append((path, str(err)))
            continue
        report.skipped.extend(skipped)
        report.notes.extend(notes)
        if cells.empty:
            continue
        series, logs = _series(cells, report.skipped)
        run_id = _run_id(
            path, lambda rid: profile_path(profiles_dir, model, serial, rid).exists(), now
        )
        manifest = {
            "kind": "ingest",
            "sources": sorted(set(cells["source"].dropna())),
            "logs": [str(log) for log in logs],
            "nvmeprobe_version": __version__,
            "notes": [f"{source}: {note}" for source, note in notes],
        }
        cells = cells.assign(run_id=run_id, model=model, serial=serial)
        written = write_profile(
            profile_path(profiles_dir, model, serial, run_id),
            cells,
            series,
            _findings(cells, series, manifest),
            metadata={
                "run_id": run_id,
                "manifest": manifest,
                "facts": {},
                "model": model,
                "serial": serial,
            },
        )
        report.profiles.append(
            Ingested(
                written,
                path,
                run_id,
                len(cells),
                0 if series is None else len(series),
                int(cells["source"].nunique()),
                logs,
            )
        )
    return report
