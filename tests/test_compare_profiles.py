"""`nvmeprobe compare`: changes beyond noise are flagged, identical profiles are not."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from test_report_support import synthetic_cells, write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.profile import read_profile, write_profile
from nvmeprobe.report.compare import (
    compare_cells,
    compare_findings,
    compare_profiles,
    finding_leaves,
    relative_change,
)


@pytest.fixture
def cli_main(monkeypatch):
    extra = tuple(
        c for c in ("report", "compare", "export", "ingest", "query") if c not in cli.COMMANDS
    )
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + extra)
    return cli.main


def _compare(tmp_path, a, b, noise=0.05):
    return compare_profiles(read_profile(a), read_profile(b), a, b, noise)


def test_identical_profiles_show_no_change(tmp_path):
    path = write_synthetic(tmp_path / "a.parquet")
    doc = _compare(tmp_path, path, path)
    assert doc["summary"]["cells_matched"] == 36  # the burst cell is left out
    assert doc["summary"]["cell_values_beyond_noise"] == 0
    assert doc["summary"]["findings_beyond_noise"] == 0
    assert doc["cells_only_in_a"] == doc["cells_only_in_b"] == []
    assert {row["finding"] for row in doc["findings"]} >= {
        "iu.inferred_bytes",
        "slc.cache_bytes",
        "waf.measured",
    }


def test_a_uniform_slowdown_beyond_noise_is_flagged_as_worse(tmp_path):
    a = write_synthetic(tmp_path / "a.parquet")
    b = write_synthetic(tmp_path / "b.parquet", scale=0.8, firmware="FW2")
    doc = _compare(tmp_path, a, b)
    iops = [row for row in doc["cells"] if row["metric"] == "iops"]
    assert len(iops) == 36 and all(
        row["beyond_noise"] and row["verdict"] == "worse" for row in iops
    )
    assert all(row["change"] == pytest.approx(-0.2) for row in iops)
    latency = [row for row in doc["cells"] if row["metric"] == "lat_mean_us"]
    assert all(
        row["change"] == pytest.approx(0.25) and row["verdict"] == "worse" for row in latency
    )
    assert doc["a"]["firmware"] == "FW1" and doc["b"]["firmware"] == "FW2"


def test_a_small_change_counts_only_under_a_lower_noise_floor(tmp_path):
    a = write_synthetic(tmp_path / "a.parquet")
    b = write_synthetic(tmp_path / "b.parquet", scale=1.03)
    assert _compare(tmp_path, a, b)["summary"]["cell_values_beyond_noise"] == 0
    tight = _compare(tmp_path, a, b, noise=0.01)
    flagged = [row for row in tight["cells"] if row["metric"] == "iops" and row["beyond_noise"]]
    assert len(flagged) == 36 and all(row["verdict"] == "better" for row in flagged)


def test_repeats_widen_the_tolerance():
    noisy = synthetic_cells()
    noisy = pd.concat([noisy, noisy.assign(iops=noisy["iops"] * 1.3)], ignore_index=True)
    changed = synthetic_cells(scale=1.2)
    rows = [r for r in compare_cells(noisy, changed, 0.05)["cells"] if r["metric"] == "iops"]
    assert rows and all(r["noise_measured"] == pytest.approx(0.3 / 1.15) for r in rows)
    assert not any(r["beyond_noise"] for r in rows)
    bw = [r for r in compare_cells(noisy, changed, 0.05)["cells"] if r["metric"] == "bw_bytes"]
    assert all(r["beyond_noise"] for r in bw)  # bw had no spread: 20% counts


def test_findings_changes():
    a = {
        "iu": {
            "inferred_bytes": 16384,
            "agrees": True,
            "confidence": 0.9,
            "rmw_amplification": [{"bs": 4096, "offset": 0, "factor": 4.0}],
            "evidence": {"huge": [1, 2, 3]},
        },
        "method_version": "analyze/1",
    }
    b = {
        "iu": {
            "inferred_bytes": 65536,
            "agrees": False,
            "confidence": 0.92,
            "rmw_amplification": [{"bs": 4096, "offset": 0, "factor": 16.0}],
        }
    }
    assert set(finding_leaves(a)) == {
        "iu.inferred_bytes",
        "iu.agrees",
        "iu.confidence",
        "iu.rmw_amplification[bs=4096,offset=0].factor",
    }
    rows = {r["finding"]: r for r in compare_findings(a, b, 0.05)}
    assert rows["iu.inferred_bytes"]["beyond_noise"] and rows["iu.inferred_bytes"]["change"] == 3.0
    assert rows["iu.agrees"]["beyond_noise"] and rows["iu.agrees"]["change"] is None
    assert not rows["iu.confidence"]["beyond_noise"]
    assert rows["iu.rmw_amplification[bs=4096,offset=0].factor"]["beyond_noise"]


def test_relative_change_edges():
    assert relative_change(100.0, 80.0) == pytest.approx(-0.2)
    assert relative_change(0.0, 0.0) == 0.0
    assert relative_change(0.0, 5.0) is None and relative_change(None, 5.0) is None


def test_cells_on_one_side_are_listed(tmp_path):
    a = write_synthetic(tmp_path / "a.parquet")
    cells = read_profile(a).cells
    keep = (cells["iodepth"] != 32) & (cells["cell"] != "burst")
    b = write_profile(tmp_path / "b.parquet", cells[keep], metadata={"run_id": "b"})
    doc = _compare(tmp_path, a, b)
    assert len(doc["cells_only_in_a"]) == 8 and doc["cells_only_in_b"] == []
    assert {c["iodepth"] for c in doc["cells_only_in_a"]} == {32}


def test_compare_cli(tmp_path, cli_main):
    a = write_synthetic(tmp_path / "a.parquet")
    b = write_synthetic(tmp_path / "b.parquet", scale=0.8)
    result = CliRunner().invoke(cli_main, ["compare", str(a), str(b), "--json", "--noise", "0.1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["noise"]["floor"] == 0.1 and doc["summary"]["cell_values_beyond_noise"] > 0
    human = CliRunner().invoke(cli_main, ["compare", str(a), str(a)])
    assert human.exit_code == 0 and "beyond noise (0 of" in human.output
    bad = CliRunner().invoke(cli_main, ["compare", str(a), str(b), "--noise", "-1"])
    assert bad.exit_code == 2 and "--noise" in bad.output
