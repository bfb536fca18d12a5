"""make test's scheduling: the tests of a module marked `xdist_group` run on one worker,
so its module fixture (the demo, a lab's tree, a fio run) is measured once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPED = """import os
import pytest

pytestmark = pytest.mark.xdist_group("g")


@pytest.mark.parametrize("i", range(8))
def test_grouped(i):
    pass
"""


def _workers(tmp_path: Path, dist: str) -> set[str]:
    """The workers that ran a grouped module's 8 tests beside 8 free ones."""
    tmp_path.mkdir()
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_free.py").write_text(GROUPED.replace("pytestmark", "unmarked"))
    args = ["-n", "2", "--dist", dist, "-v", "-p", "no:cacheprovider", "-o", "addopts="]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return set(re.findall(r"\[(gw\d+)\] .*PASSED test_grouped", done.stdout))


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    assert len(_workers(tmp_path / "grouped", "loadgroup")) == 1
    assert len(_workers(tmp_path / "load", "load")) == 2  # the check can see a split


def test_every_module_with_a_module_fixture_is_a_group() -> None:
    for path in (ROOT / "tests").glob("test_*.py"):
        text = path.read_text()
        if path.name != Path(__file__).name and re.search(r'scope="(module|session)"', text):
            assert "pytest.mark.xdist_group(" in text, path.name
    assert "--dist loadgroup" in (ROOT / "Makefile").read_text()
