"""Installing the project prints no warning from its own packaging (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_editable_install_prints_no_packaging_warning(tmp_path: Path) -> None:
    """`pip install -e .` builds through setuptools in isolation: no deprecation or
    editable-layout warning may come from our pyproject. It installs into a scratch prefix;
    --ignore-installed keeps pip from uninstalling the copy the tests are running from."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-cache-dir",
            "--ignore-installed",
            "-e",
            str(ROOT),
            "--prefix",
            str(tmp_path / "prefix"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # pip's own notices about the machine's index configuration are not ours.
    ours = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "warning" in line.lower() and "is ignored: it is neither" not in line
    ]
    assert ours == []
    pth = list((tmp_path / "prefix").rglob("__editable__.nvmeprobe-*.pth"))
    assert pth and pth[0].read_text().strip() == str(ROOT)
