"""The console script (`nvmeprobe` = nvmeprobe.cli:entry) as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

from nvmeprobe import __version__


def _nvmeprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nvmeprobe.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_entry_passes_exit_codes_and_one_line_errors_through() -> None:
    version = _nvmeprobe("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"nvmeprobe, version {__version__}")
    missing = _nvmeprobe("inspect", "/dev/nvmeprobe-no-such-device")
    assert missing.returncode == 2
    assert (
        missing.stderr
        == "nvmeprobe: error: no such device or file: /dev/nvmeprobe-no-such-device\n"
    )
    bad_plan = _nvmeprobe("plan", "sim:tlc-4k", "--plan", "no-such-plan")
    assert bad_plan.returncode == 2 and len(bad_plan.stderr.splitlines()) == 1
    assert "Traceback" not in bad_plan.stderr


def test_entry_flushes_a_whole_json_answer() -> None:
    plan = _nvmeprobe("plan", "sim:tlc-4k", "--plan", "qualify", "--json")
    assert plan.returncode == 0, plan.stderr
    assert len(json.loads(plan.stdout)["cells"]) > 10
