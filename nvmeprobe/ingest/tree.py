"""Find and ingest fio results: single files, json+, client/server output, bench-fio trees.

bench-fio stores `<out>/<target>/<mode>/<bs>/<mode>-<iodepth>-<numjobs>.json`;
any depth is searched. A file named on the command line is always read; in a
folder, a .json file is a result when its head names a fio version or client
stats, or its name has bench-fio's shape (so an empty or cut-off result is
reported rather than silently passed over). Parameters come from each file's
JSON, never from its name; `cell` is the file's path relative to the folder
searched (without .json) and `source` its path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.ingest.fio_json import fio_records, load_fio_json
from nvmeprobe.profile.columns import cells_frame

_HEAD_BYTES = 8192
_BENCH_FIO_NAME = re.compile(r"^[a-z]+-\d+-\d+\.json$")
_MARKERS = (b'"fio version"', b'"client_stats"')


def _looks_like_result(path: Path) -> bool:
    if _BENCH_FIO_NAME.match(path.name):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return True  # unreadable: let ingest report why
    return any(marker in head for marker in _MARKERS)


def _results_with_cells(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for item in paths:
        root = Path(item)
        if root.is_dir():
            for path in sorted(root.rglob("*.json")):
                if path.is_file() and _looks_like_result(path):
                    found.append((path, path.relative_to(root).with_suffix("").as_posix()))
        elif root.exists():
            found.append((root, root.stem))
        else:
            raise InputError(f"{root}: no such file or directory")
    return found


def find_fio_results(paths: Iterable[str | Path]) -> list[Path]:
    """fio result files named in `paths` or found (recursively) under them, sorted per folder."""
    return [path for path, _ in _results_with_cells(paths)]


def ingest_paths(
    paths: Iterable[str | Path], notes: list[tuple[Path, str]] | None = None
) -> tuple[pd.DataFrame, list[tuple[Path, str]]]:
    """Cells of every fio result under `paths`, and the (path, reason) of each file skipped.

    `notes` (when given) receives (path, note) for each option left unknown in a kept file.
    """
    records: list[dict] = []
    skipped: list[tuple[Path, str]] = []
    for path, cell in _results_with_cells(paths):
        found: list[str] = []
        try:
            doc = load_fio_json(path.read_bytes(), str(path))
            rows = fio_records(doc, found, cell=cell, source=str(path))
        except InputError as err:
            skipped.append((path, str(err)))
            continue
        except OSError as err:
            skipped.append((path, f"{path}: cannot read ({err.strerror})"))
            continue
        if not rows:
            skipped.append((path, f"{path}: fio results hold no jobs"))
        if notes is not None:
            notes.extend((path, note) for note in found)
        records.extend(rows)
    return cells_frame(records), skipped
