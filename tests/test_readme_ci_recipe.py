"""The README's "Qualifying in CI" recipe works as written.

Its criteria file and shell script are taken from the README and run as they
stand (as root, on a loop device they make themselves); its GitHub Actions
workflow must parse and call only what the script and the Makefile provide.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def _recipe_blocks() -> dict[str, str]:
    """The recipe section's fenced blocks, by language: toml, sh, yaml."""
    section = re.search(r"^### Qualifying in CI.*?(?=^### )", README, re.S | re.M)
    assert section, "README has no 'Qualifying in CI' section"
    blocks = dict(re.findall(r"^```(\w+)\n(.*?)^```", section.group(0), re.S | re.M))
    assert set(blocks) >= {"toml", "sh", "yaml"}, f"recipe blocks found: {sorted(blocks)}"
    return blocks


def test_workflow_parses_and_calls_what_exists() -> None:
    workflow = yaml.safe_load(_recipe_blocks()["yaml"])
    runs = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    assert "sudo make deps" in runs
    assert any(run.endswith("ci/qualify-smoke.sh") for run in runs)
    makefile = (ROOT / "Makefile").read_text()
    for run in runs:
        for target in re.findall(r"\bmake ([\w-]+)", run):
            assert re.search(rf"^{re.escape(target)}:", makefile, re.M), (
                f"Makefile has no target {target}"
            )
        for variable in re.findall(r"\b([A-Z_]+)=\S", run.replace("ARTIFACTS=", "")):
            assert re.search(rf"^{variable}\s*\?=", makefile, re.M), (
                f"Makefile has no variable {variable}"
            )
    uploads = [
        step["with"]["path"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert uploads == ["artifacts/", "guest-out/"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the recipe makes a loop device: needs root")
@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_script_qualifies_a_loop_device_and_keeps_its_artifacts(tmp_path: Path) -> None:
    blocks = _recipe_blocks()
    (tmp_path / "criteria").mkdir()
    # the criteria as written but for the cells' length: 500 ms instead of 2 s (a quarter of
    # the time and of the bytes written; the wear check below scales back to 2 s cells)
    readme_set = 'set = ["runtime=2s"]\n'
    assert blocks["toml"].count(readme_set) == 1, "the recipe's cell length changed"
    (tmp_path / "criteria" / "ci.toml").write_text(
        blocks["toml"].replace(readme_set, 'set = ["runtime=500ms"]\n')
    )
    script = tmp_path / "ci" / "qualify-smoke.sh"
    script.parent.mkdir()
    script.write_text(blocks["sh"])
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    done = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env={**os.environ, "ARTIFACTS": "out"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out"
    answers = sorted(out.glob("qualify-*.json"))
    assert answers and all(answer.stat().st_size for answer in answers)
    for answer in answers:
        verdicts = json.loads(answer.read_text())["verdicts"]
        assert [v["name"] for v in verdicts] == ["4 KiB random write IOPS at QD16", "wear per run"]
        assert all(v["passed"] for v in verdicts)
        wear_max = tomllib.loads(blocks["toml"])["criterion"][1]["max"]
        assert verdicts[1]["value"] * 4 <= wear_max  # within the limit with 2 s cells too
        junit = ET.parse(out / f"junit-{answer.stem.removeprefix('qualify-')}.xml").getroot()
        assert len(junit.findall(".//testcase")) == 2 and not junit.findall(".//failure")
    assert list((out / "profiles").glob("*/*.parquet"))
    assert list((out / "results").glob("*/manifest.json"))
    # the script detached its loop device and removed its image
    images = re.findall(
        r"/var/tmp/nvmeprobe-ci\.\w+",
        subprocess.run(
            ["losetup", "--list", "--noheadings", "--output", "BACK-FILE"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
    )
    assert not images
