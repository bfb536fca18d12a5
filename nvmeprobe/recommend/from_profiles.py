"""The recommender's edge: profiles and economics files in, a recommendation out.

Economics come from an optional TOML file with one table per drive model:

    [drive."nvmeprobe-sim qlc-16k"]
    capacity_bytes = 61440000000000
    perf_scale = 8
    price_per_tb = 65

(keys in `nvmeprobe/recommend/economics.py`). The recommendation is written as
Parquet beside the profiles folder, not inside it, so that one glob over
`profiles/**/*.parquet` keeps reading a single schema.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.profile import Profile, frame_to_findings, read_profile
from nvmeprobe.recommend import (
    DriveClass,
    Recommendation,
    Workload,
    builtin_workloads,
    drive_class_from_profile,
    load_workloads,
    recommend,
    recommendation_frame,
)


def load_economics(path: Path | None) -> dict[str, dict[str, Any]]:
    """Per-model economics from a TOML file (empty without one)."""
    if path is None:
        return {}
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as err:
        raise InputError(f"cannot read economics file {path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"economics file {path}: {err}") from None
    drives = doc.get("drive")
    if not isinstance(drives, dict) or set(doc) - {"drive"}:
        raise InputError(f'economics file {path}: expected only [drive."MODEL"] tables')
    return drives


def drive_classes(profiles: list[Path], economics: dict[str, dict[str, Any]]) -> list[DriveClass]:
    """One drive class per model (from its facts, else the profile's folder name).

    Several profiles of one model (drives of a fleet, repeated runs) make one class: their
    cells together (the recommender takes medians per cell), the latest run's findings and facts.
    """
    by_model: dict[str, list[Profile]] = {}
    for path in profiles:
        profile = read_profile(path)
        model = (profile.facts.get("identity") or {}).get("model") or path.parent.name
        by_model.setdefault(model, []).append(profile)
    classes = []
    for model, group in by_model.items():
        latest = max(group, key=lambda p: p.run_id or "")
        findings = frame_to_findings(latest.findings) if not latest.findings.empty else {}
        cells = pd.concat([p.cells for p in group], ignore_index=True)
        classes.append(
            drive_class_from_profile(model, cells, findings, latest.facts, economics.get(model))
        )
    unknown = set(economics) - {c.model for c in classes}
    if unknown:
        raise InputError(f"economics name a model with no profile: {sorted(unknown)[0]}")
    return classes


def workloads_from(path: Path | None, names: tuple[str, ...] = ()) -> list[Workload]:
    """Workloads from a file, else the built-in ones (all, or those named)."""
    return load_workloads(path) if path else builtin_workloads(list(names) or None)


def recommend_profiles(
    profiles: list[Path], workloads: list[Workload], economics: dict[str, dict[str, Any]]
) -> Recommendation:
    """Place `workloads` on the drive classes measured in `profiles`."""
    if not profiles:
        raise InputError("recommend needs at least one profile")
    return recommend(workloads, drive_classes(profiles, economics))


def write_recommendation(result: Recommendation, path: Path) -> Path:
    """The recommendation as Parquet (one row per placement and per fleet)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pandas(recommendation_frame(result), preserve_index=False), path
        )
    except OSError as err:
        raise ProbeError(f"cannot write {path}: {err.strerror}") from None
    return path
