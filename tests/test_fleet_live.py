"""A lab's tree from real runs: four simulated drives of one model, one with slow writes.

`run` measures the four drives at once (smoke plan, 1 s cells) into one profiles
tree and results tree, then drive 1 a second time. At once, the normal drives
share the CPU and may read slower; the slow drive's writes are 8x slower in
the model, so it stays the outlier of every write cell. Then the reading commands take folders:
`report profiles/` shows the fleet and names the slow drive (its ground
truth: 8x the program time per IU) as the outlier of the write cells,
`analyze results/` analyses every run, `export profiles/` holds every run's
rows, `compare` takes two drive folders as sets, and `qualify --profile
profiles/` fails a `spread_max` criterion on the write rate naming it.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.profile.resolve import load_profiles, resolve_profiles
from nvmeprobe.sim.spec import parse_spec

pytestmark = [
    pytest.mark.skipif(
        shutil.which("fio") is None or shutil.which("nbdkit") is None,
        reason="fio and nbdkit are needed for simulated drives",
    ),
    pytest.mark.xdist_group("fleet-lab"),  # one worker runs the module fixture once
]

NORMAL = [f"sim:preset=tlc-4k,capacity=256m,seed={seed}" for seed in (1, 2, 3)]
SLOW = "sim:preset=tlc-4k,capacity=256m,seed=4,prog_us=2000"  # writes 8x slower, reads alike


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    for targets in ([*NORMAL, SLOW], NORMAL[:1]):
        result = run_cli(root, *targets, "--plan", "smoke", "--set", "runtime=1s")
        assert result.exit_code == 0, result.output
    return root


def _invoke(*args: str) -> dict | list:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _slow_serial() -> str:
    """The slow drive's serial, as the simulator derives it from its parameters."""
    return parse_spec(SLOW).serial


def test_report_on_the_profiles_tree_names_the_slow_drive(lab, tmp_path):
    doc = _invoke("report", str(lab / "profiles"), "--out", str(tmp_path / "report"), "--json")
    (fleet,) = doc["fleets"]
    slow = _slow_serial()
    assert fleet["model"] == "nvmeprobe-sim tlc-4k" and len(fleet["drives"]) == 4
    assert fleet["profiles"] == 5 and slow in fleet["drives"]
    writes = [
        row for row in fleet["cells"] if row["direction"] == "write" and row["metric"] == "iops"
    ]
    # a busy machine may slow a normal drive's cell too; the slow drive is named in every one
    assert writes and all(slow in row["outliers"] for row in writes)
    assert all(row["min"] < row["median"] / 2 for row in writes)
    assert fleet["outliers"][0]["drive"] == slow  # named in the most values


def test_analyze_results_and_export_profiles_take_folders(lab):
    analysed = _invoke("analyze", str(lab / "results"), "--json")
    assert len(analysed) == 5 and all("iu" in item["findings"] for item in analysed)
    result = CliRunner().invoke(
        main, ["export", str(lab / "profiles"), "--format", "csv", "--record", "cell"]
    )
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(io.BytesIO(result.stdout_bytes))
    assert rows["run_id"].nunique() == 5 and rows["serial"].nunique() == 4


def test_compare_two_drive_folders_and_qualify_the_spread(lab, tmp_path):
    slow = _slow_serial()
    items = load_profiles(resolve_profiles([lab / "profiles"]))
    folders = {item.drive: item.path.parent for item in items}
    twice = max(folders.values(), key=lambda folder: len(list(folder.glob("*.parquet"))))
    doc = _invoke("compare", str(twice), str(folders[slow]), "--json")  # 2 runs: a set
    assert doc["sets"] and doc["a"]["profiles"] >= 1 and doc["b"]["drives"] == [slow]
    writes = [r for r in doc["cells"] if r["direction"] == "write" and r["metric"] == "iops"]
    assert writes and all(r["change"] < -0.5 for r in writes)
    criteria = tmp_path / "fleet.toml"
    criteria.write_text(
        '[[criterion]]\nname = "write rate alike"\nmetric = "bw_bytes"\n'
        'where = { direction = "write" }\nspread_max = 0.5\n'
    )
    result = CliRunner().invoke(
        main, ["qualify", "--profile", str(lab / "profiles"), "--criteria", str(criteria), "--json"]
    )
    assert result.exit_code == 1, result.output
    (verdict,) = json.loads(result.stdout)["verdicts"]
    assert verdict["kind"] == "fleet" and not verdict["passed"]
    assert slow in verdict["message"].split("outliers: ")[1]
