"""The main job end to end: `nvmeprobe demo --json` on simulated drives (about 80 s)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from nvmeprobe.cli import main

pytestmark = [
    pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed"),
    pytest.mark.xdist_group("demo"),  # one worker runs the module fixture once
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def _placed(doc, workload):
    return {p["drive"]: p["share"] for p in doc["placements"] if p["workload"] == workload}


def test_demo_places_workloads_from_fresh_measurements(demo):
    out, doc = demo
    assert {"placements", "fleets"} <= set(doc)
    # small random writes on the small-IU drive, read-mostly capacity on QLC
    assert _placed(doc, "metadata") == {"nvmeprobe-sim tlc-4k": 1.0}
    assert (
        max(_placed(doc, "training-read"), key=_placed(doc, "training-read").get)
        == "nvmeprobe-sim qlc-16k"
    )
    assert (
        max(_placed(doc, "embeddings"), key=_placed(doc, "embeddings").get)
        == "nvmeprobe-sim qlc-16k"
    )
    for workload in ("checkpoint", "metadata", "embeddings", "training-read", "logs"):
        assert sum(_placed(doc, workload).values()) == pytest.approx(1.0)
    assert (out / "recommendation.parquet").exists()
    assert (out / "report" / "report.html").stat().st_size > 10_000


def test_demo_measured_the_truth_of_each_drive(demo):
    _, doc = demo
    drives = {d["preset"]: d for d in doc["drives"]}
    assert drives["tlc-4k"]["findings"]["iu"]["inferred_bytes"] == 4096
    assert drives["qlc-16k"]["findings"]["iu"]["inferred_bytes"] == 16384
    assert drives["tlc-4k"]["findings"]["slc"]["detected"] is False
    slc = drives["qlc-16k"]["findings"]["slc"]
    assert slc["detected"] is True
    assert slc["cache_bytes"] == pytest.approx(192 * 2**20, rel=0.10)
    assert slc["post_cache_bw"] < 0.5 * slc["in_cache_bw"]


def test_mixed_fleet_beats_single_class_fleets(demo):
    _, doc = demo
    fleets = {f["name"]: f for f in doc["fleets"]}
    mixed = fleets["mixed"]
    assert mixed["feasible"] is True
    for name, fleet in fleets.items():
        if name != "mixed":  # cheaper than every single class that meets the targets,
            assert not fleet["feasible"] or fleet["cost"] > mixed["cost"], name
    assert not fleets["all-nvmeprobe-sim qlc-16k"]["feasible"]  # QLC alone misses metadata's p99
