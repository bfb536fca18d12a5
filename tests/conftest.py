"""Shared fixtures: loop devices over sparse files (root), fixture paths."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for loop devices")
needs_fio = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")


@pytest.fixture
def make_loop(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Factory: make_loop(size_mib=256, sector_size=512, read_only=False) -> '/dev/loopN';
    detached afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root for loop devices")
    created: list[str] = []

    def make(size_mib: int = 256, sector_size: int = 512, read_only: bool = False) -> str:
        backing = tmp_path / f"loop{len(created)}.img"
        with open(backing, "wb") as handle:
            handle.truncate(size_mib * 1024 * 1024)
        args = ["losetup", "--find", "--show", "--direct-io=on"]
        if sector_size != 512:
            args += ["--sector-size", str(sector_size)]
        if read_only:
            args.append("--read-only")
        device = subprocess.run(
            args + [str(backing)], check=True, capture_output=True, text=True
        ).stdout.strip()
        created.append(device)
        return device

    yield make
    for device in created:
        subprocess.run(["umount", device], capture_output=True)
        subprocess.run(["losetup", "-d", device], capture_output=True)


_PROGRAMS = ("fio", "nbdkit", "root", "sshd", "chromium", "losetup", "mkfs")


def _needs_programs(item: pytest.Item) -> bool:
    """True for a test that skips without a program or root, i.e. one that runs them."""
    reasons = (str(mark.kwargs.get("reason", "")) for mark in item.iter_markers("skipif"))
    return "make_loop" in getattr(item, "fixturenames", ()) or any(
        word in reason for reason in reasons for word in _PROGRAMS
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `live` every test that runs programs or devices, by one rule (see pyproject markers).

    `pytest -m "not live"` is then the quick loop over the pure logic.
    """
    for item in items:
        if _needs_programs(item) and item.get_closest_marker("live") is None:
            item.add_marker(pytest.mark.live)
