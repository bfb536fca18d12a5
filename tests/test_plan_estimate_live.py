"""`plan`'s bytes-written figures against what `run` then writes, on a loop device and on a
simulated drive: bounds before the drive was measured, estimates within 2x after."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_run import run_cli
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.profile import read_profile

pytestmark = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")

# 4 KiB random writes at QD1 and QD16, a 128 KiB sequential write: rates that differ by 10x
# (smoke's two read cells, which write nothing and have no estimate, are made writes)
PLAN = ["--plan", "smoke", "--set", "runtime=2s", "--set", "stage.rand4k.rw=randwrite"]


def _plan(tmp_path: Path, target: str) -> dict:
    result = CliRunner().invoke(
        main, ["plan", target, *PLAN, "--profiles", str(tmp_path / "profiles"), "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _run_writes(tmp_path: Path, target: str, *args: str) -> dict[str, int]:
    """Run the plan; bytes each cell wrote, as fio measured them (its newest profile)."""
    result = run_cli(tmp_path, target, *PLAN, *args)
    assert result.exit_code == 0, result.output
    profile = read_profile(Path(json.loads(result.stdout)["profile"]))
    writes = profile.cells[profile.cells["direction"] == "write"]
    return {cell: int(n) for cell, n in writes.groupby("cell")["io_bytes"].sum().items()}


def _estimates(doc: dict) -> dict[str, int]:
    return {c["id"]: c["est_bytes_written"] for c in doc["cells"] if c["est_bytes_written"]}


def _check(tmp_path: Path, target: str, *args: str) -> None:
    before = _plan(tmp_path, target)
    assert before["summary"]["est_basis"]["basis"] == "bound"
    written = _run_writes(tmp_path, target, *args)
    bounds = _estimates(before)
    assert set(bounds) == set(written)
    for cell, n in written.items():  # a bound is never below what the drive did
        assert n <= bounds[cell], (cell, n, bounds[cell])
    after = _plan(tmp_path, target)
    assert after["summary"]["est_basis"]["basis"] == "measured"
    estimates = _estimates(after)
    again = _run_writes(tmp_path, target, *args)
    for cell, n in again.items():
        assert estimates[cell] / 2 <= n <= estimates[cell] * 2, (cell, n, estimates[cell])
    total = sum(again.values())
    assert (
        after["summary"]["est_bytes_written"] / 2
        <= total
        <= after["summary"]["est_bytes_written"] * 2
    )


def test_loop_device_estimates_within_2x_after_one_run(make_loop, tmp_path):
    device = make_loop(256)
    # a loop device over a sparse file writes ~4x slower where its file has no blocks yet:
    # written once (as a drive in use is), its rates are the same from one run to the next
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={device}", "bs=1M", "count=256", "oflag=direct"],
        check=True,
        capture_output=True,
    )
    _check(tmp_path, device, "--destroy-data", device)


def test_simulated_drive_estimates_within_2x_after_one_run(tmp_path):
    _check(tmp_path, "sim:preset=tlc-4k,capacity=256m")
