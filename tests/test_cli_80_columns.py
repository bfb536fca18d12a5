"""Human output in an 80-column terminal: every identifying value (targets, cells, findings,
drives, fleets) and every path appears whole; tables never cut a value with an ellipsis."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_recommend_support import QLC_RMW, QLC_SHAPE, QLC_SLC, TLC_SHAPE, _grid, cells, facts
from test_recommend_support import findings as findings_doc
from test_report_support import write_synthetic

from nvmeprobe.profile import write_profile

WIDTH = 80
BOX = set("│┃┏┓┗┛┡┩└┘─━╇┳┻┼")


def nvmeprobe(*args: str, cwd: Path | None = None, check: bool = True) -> tuple[str, str]:
    """Run the CLI as a user would, in an 80-column terminal: (stdout, stderr)."""
    env = {**os.environ, "COLUMNS": str(WIDTH)}
    done = subprocess.run(
        [sys.executable, "-m", "nvmeprobe.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def assert_whole(values: list[str], text: str) -> None:
    """Each value appears unbroken on one line, and no table line is cut or too wide."""
    lines = text.splitlines()
    for value in values:
        assert any(value in line for line in lines), f"{value!r} is not whole in:\n{text}"
    for line in lines:
        if BOX & set(line):
            assert len(line.rstrip()) <= WIDTH and "…" not in line, line


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for loop devices")
def test_detect_shows_every_target_whole(make_loop):
    ours = [make_loop(64), make_loop(64)]
    # other tests' loop devices come and go between two listings: the check is on ours
    assert set(ours) <= {row["target"] for row in json.loads(nvmeprobe("detect", "--json")[0])}
    assert_whole(ours, nvmeprobe("detect")[0])


def test_plan_shows_every_cell_id_whole(tmp_path):
    args = (
        "plan",
        "sim:tlc-4k",
        "--plan",
        "iu",
        "--set",
        "runtime=1s",
        "--profiles",
        str(tmp_path / "no-profiles-yet"),
    )
    cells_json = json.loads(nvmeprobe(*args, "--json")[0])["cells"]
    assert len(cells_json) > 10
    out = nvmeprobe(*args)[0]
    assert_whole([c["id"] for c in cells_json], out)
    assert "bytes: upper bounds" in out  # no profile of the drive: bounds, labelled as such


def test_compare_shows_every_finding_and_cell_whole(tmp_path):
    a = write_synthetic(tmp_path / "a.parquet")
    b = write_synthetic(tmp_path / "b.parquet", flat=True, serial="S2")  # RMW factors differ
    doc = json.loads(nvmeprobe("compare", str(a), str(b), "--json")[0])
    out = nvmeprobe("compare", str(a), str(b))[0]
    shown = [
        row["finding"]
        for row in doc["findings"]
        if row["beyond_noise"] or "[" not in row["finding"]
    ]
    assert any("rmw_amplification[" in name for name in shown)
    assert_whole(shown + [doc[side]["run_id"] for side in ("a", "b")], out)
    assert f"{len([c for c in doc['cells'] if c['beyond_noise']])} of" in out


def _class_profile(folder: Path, model: str, shape: dict, found: dict, size: int, iu: int) -> Path:
    document = facts(size, iu)
    document["identity"]["model"] = model
    rows = cells(_grid(shape)).assign(model=model, serial=f"S-{model[-6:]}")
    return write_profile(
        folder / f"{model.split()[-1]}.parquet",
        rows,
        None,
        found,
        metadata={"run_id": f"R-{model[-6:]}", "facts": document},
    )


def test_recommend_shows_workloads_drives_fleets_whole_and_advice_once(tmp_path):
    tlc = _class_profile(
        tmp_path, "nvmeprobe-sim tlc-4k", TLC_SHAPE, findings_doc(4096), 7_680_000_000_000, 4096
    )
    qlc = _class_profile(
        tmp_path,
        "nvmeprobe-sim qlc-16k",
        QLC_SHAPE,
        findings_doc(16384, QLC_RMW, QLC_SLC),
        61_440_000_000_000,
        16384,
    )
    args = ("recommend", str(tlc), str(qlc), "--output", str(tmp_path / "r.parquet"))
    doc = json.loads(nvmeprobe(*args, "--json")[0])
    out = nvmeprobe(*args)[0]
    placements, fleets = doc["placements"], doc["fleets"]
    assert_whole(
        [p["workload"] for p in placements]
        + [p["drive"] for p in placements]
        + [f["name"] for f in fleets],
        out,
    )
    advice = {text for p in placements for text in p["advice"]}
    assert len(advice) < sum(len(p["advice"]) for p in placements)  # some advice repeats
    for text in advice:  # ... and is printed once, whole (commands stay copyable)
        assert sum(text in line for line in out.splitlines()) == 1, text


def test_sim_presets_show_every_preset_and_header_whole():
    names = [row["name"] for row in json.loads(nvmeprobe("sim", "presets", "--json")[0])]
    out = nvmeprobe("sim", "presets")[0]
    assert_whole(names + ["preset"], out)
    assert "descripti…" not in out


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_run_prints_results_and_profile_paths_whole(tmp_path):
    deep = tmp_path / "a-results-folder-with-a-long-name" / "nested-deeper-than-one-line-allows"
    _, err = nvmeprobe(
        "run",
        "sim:preset=tlc-4k,capacity=64m",
        "--plan",
        "smoke",
        "--set",
        "runtime=1s",
        "--set",
        "stage.seq128k.runtime=1s",
        "--results",
        str(deep / "results"),
        "--profiles",
        str(deep / "profiles"),
    )
    run_dir = next((deep / "results").iterdir())
    profile = next((deep / "profiles").glob("*/*.parquet"))
    assert len(str(profile)) > WIDTH  # would wrap if the console wrapped it
    assert_whole([str(run_dir), str(profile), f"run {run_dir.name}"], err)
