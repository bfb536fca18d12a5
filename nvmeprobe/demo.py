"""`nvmeprobe demo`: the main job end to end on the embedded default.

Starts simulated `tlc-4k` and `qlc-16k` drives, characterises both at once with real
fio through the `demo` plan (SLC burst/idle/burst, IU sweep, the workloads'
IO shapes), analyses them, and places the built-in AI-cluster workloads on
them. Everything lands under one folder: results/, profiles/, the
recommendation Parquet file and the report.

The simulated drives are small and slow (a few parallel units, time-scaled),
so their economics say what they stand for: a 7.68 TB TLC drive and a
61.44 TB QLC drive. Each drive's measured rates are scaled by one factor,
calibrated from the run just made so that its 4 KiB random-write IOPS at
QD32 matches the published figure of its class (docs/field-notes.md section 8:
Solidigm D7-P5520 ~200K for TLC, D5-P5336 38K for QLC). One anchor per
drive keeps every other relation measured: IU penalties, cache, read/write
and size ratios all come from fio on the simulated drive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nvmeprobe.errors import MeasurementFailed
from nvmeprobe.profile import read_profile
from nvmeprobe.recommend import Recommendation, builtin_workloads
from nvmeprobe.recommend.from_profiles import recommend_profiles, write_recommendation
from nvmeprobe.report.build import build_report
from nvmeprobe.run.execute import RunOptions, RunSummary
from nvmeprobe.run.parallel import DriveRun, execute_many

RunDrives = Callable[[list[RunOptions]], list[DriveRun]]
"""Runs several targets at once, one outcome per target in order (run.parallel.execute_many)."""

DEMO_DRIVES: dict[str, tuple[int, float]] = {
    "tlc-4k": (7_680_000_000_000, 200_000.0),
    "qlc-16k": (61_440_000_000_000, 38_000.0),
}
"""Simulated preset -> (nominal capacity in bytes, 4 KiB random-write IOPS at QD32 of its class)."""

DEMO_TARGETS: dict[str, str] = {
    "tlc-4k": "sim:tlc-4k",
    "qlc-16k": "sim:qlc-16k,fold_delay_us=375000",
}
"""Simulated preset -> the demo's target. The QLC drive starts folding its cache after 3 s of
real idle (375 ms modelled at its time scale 8; the preset: 0.48 s), so the gaps between
fio cells, which grow past 0.48 s on a busy machine, never refill the cache: every cell
after the cache bursts (the calibration anchor among them) measures the native rate, as on
an idle machine, and only the demo plan's idle stage (6 s) refolds it."""


@dataclass
class DemoResult:
    """Runs, the recommendation and where they were written."""

    runs: list[RunSummary]
    recommendation: Recommendation
    recommendation_path: Path
    report_path: Path

    def to_dict(self) -> dict[str, Any]:
        doc = self.recommendation.to_dict()
        doc["drives"] = [
            dict(run.to_dict(), preset=preset) for preset, run in zip(DEMO_DRIVES, self.runs)
        ]
        doc["recommendation_file"] = str(self.recommendation_path)
        doc["report"] = str(self.report_path)
        return doc


def calibration_iops(cells: pd.DataFrame) -> float:
    """Measured 4 KiB random-write IOPS at QD32 (the calibration anchor)."""
    rows = cells[
        (cells["rw"] == "randwrite")
        & (cells["direction"] == "write")
        & (cells["bs"] == 4096)
        & (cells["iodepth"] == 32)
        & (cells["offset"] == 0)
    ]
    if rows.empty or not (rows["iops"] > 0).all():
        raise MeasurementFailed("demo: no 4 KiB random-write cell at QD32 to calibrate with")
    return float(rows["iops"].median())


def demo_economics(runs: list[RunSummary]) -> dict[str, dict[str, Any]]:
    """Economics keyed by the simulated drives' model names, calibrated from their runs."""
    economics = {}
    for (preset, (capacity, anchor_iops)), run in zip(DEMO_DRIVES.items(), runs):
        measured = calibration_iops(read_profile(run.profile).cells)
        economics[f"nvmeprobe-sim {preset}"] = {
            "capacity_bytes": capacity,
            "perf_scale": anchor_iops / measured,
        }
    return economics


def run_demo(out: Path, run_drives: RunDrives = execute_many) -> DemoResult:
    """Characterise both simulated drives at once and recommend placement; files under `out`.

    `run_drives` runs the drives' RunOptions together (a display may wrap it);
    a drive that fails fails the demo with its own error.
    """
    options = [
        RunOptions(
            target=DEMO_TARGETS[preset],
            plan="demo",
            results_dir=out / "results",
            profiles_dir=out / "profiles",
        )
        for preset in DEMO_DRIVES
    ]
    drives = run_drives(options)
    for drive in drives:
        if drive.failure is not None:
            raise drive.failure
    runs = [drive.summary for drive in drives if drive.summary is not None]
    result = recommend_profiles(
        [run.profile for run in runs], builtin_workloads(), demo_economics(runs)
    )
    path = write_recommendation(result, out / "recommendation.parquet")
    report = build_report([run.profile for run in runs], out / "report")
    return DemoResult(runs, result, path, report.html)
