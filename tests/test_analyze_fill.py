"""The fill level of cache findings: which bursts open a measurement, where the fill comes from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nvmeprobe.analyze.fill import fill_at, first_measurement, measurements, with_fill
from nvmeprobe.analyze.synthetic import slc_series
from nvmeprobe.report import data, plots

MIB = 1024**2


def _manifest(*kinds: str) -> dict:
    return {"cells": [{"id": f"{n}-{kind}", "kind": kind} for n, kind in enumerate(kinds)]}


def test_a_burst_after_a_burst_is_its_recovery_and_one_after_a_fill_a_new_level():
    slc = _manifest("sustained", "idle", "sustained", "idle", "sustained")
    assert measurements(slc) == ["0-sustained"]
    fill = _manifest(
        "sustained",
        "idle",
        "precondition",
        "idle",
        "sustained",
        "idle",
        "precondition",
        "idle",
        "sustained",
    )
    assert measurements(fill) == ["0-sustained", "4-sustained", "8-sustained"]
    assert first_measurement(slc) == {"0-sustained", "2-sustained", "4-sustained"}
    assert first_measurement(fill) == {"0-sustained"}  # the next level recovers nothing


def _cells(used: float | None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("fill", "write", "write", 60 * MIB, None),
            ("rand", "randwrite", "write", 90 * MIB, None),
            ("burst", "write", "write", 30 * MIB, used),
        ],
        columns=["cell", "rw", "direction", "host_bytes_written", "used_bytes"],
    )


def test_the_drive_report_comes_first_then_what_the_run_wrote_then_nothing():
    drive = fill_at(_cells(50 * MIB), "burst", 100 * MIB)
    assert (drive["fill_fraction"], drive["source"], drive["lower_bound"]) == (0.5, "drive", False)
    run = fill_at(_cells(None), "burst", 100 * MIB)  # the sequential fill, not the random cell
    assert (run["fill_fraction"], run["source"], run["lower_bound"]) == (0.6, "run", True)
    first = fill_at(_cells(None).iloc[2:].reset_index(drop=True), "burst", 100 * MIB)
    assert first["fill_fraction"] is None and "nuse" in first["reason"]


def test_cache_against_fill_is_plotted_from_two_levels():
    levels = [
        {"fill_fraction": 0.0, "detected": True, "cache_bytes": 60 * MIB},
        {"fill_fraction": 0.5, "detected": True, "cache_bytes": 35 * MIB},
        {"fill_fraction": 0.9, "detected": False, "cache_bytes": None},
    ]
    assert isinstance(data.cache_by_fill({"slc": {"by_fill": levels[:1]}}), data.Missing)
    found = data.cache_by_fill({"slc": {"by_fill": levels}})
    assert found == levels
    assert plots.plot_cache_fill(found).startswith(b"\x89PNG")


def _two_levels(thermal: bool | None) -> dict:
    rng = np.random.default_rng(7)
    series = {
        "0-sustained": slc_series(rng, 60 * MIB, 400 * MIB, 100 * MIB, 120 * MIB, 0.01),
        "4-sustained": slc_series(rng, 30 * MIB, 400 * MIB, 100 * MIB, 60 * MIB, 0.01),
    }
    cells = pd.DataFrame(
        [
            ("0-sustained", "write", "write", 80 * MIB, 0),
            ("2-precondition", "write", "write", 50 * MIB, 0),
            ("4-sustained", "write", "write", 40 * MIB, 50 * MIB),
        ],
        columns=["cell", "rw", "direction", "host_bytes_written", "used_bytes"],
    )
    findings = {"slc": {"detected": True, "cache_bytes": 60 * MIB, "evidence": {}}}
    if thermal is not None:
        findings["thermal"] = {"detected": thermal}
    manifest = _manifest("sustained", "idle", "precondition", "idle", "sustained")
    return with_fill(findings, cells, manifest, series, 100 * MIB)["slc"]


def test_each_level_has_its_cache_and_fill_unless_the_drive_throttles():
    found = _two_levels(thermal=None)
    assert found["fill_fraction"] == 0.0 and found["evidence"]["fill"]["source"] == "drive"
    first, second = found["by_fill"]
    assert (first["cache_bytes"], second["fill_fraction"]) == (60 * MIB, 0.5)
    assert second["detected"] and abs(second["cache_bytes"] / (30 * MIB) - 1) < 0.05
    hot = _two_levels(thermal=True)["by_fill"][1]
    assert hot["detected"] is None and hot["cache_bytes"] is None and "heat" in hot["reason"]
