"""Running fio processes, as /proc shows them (Linux)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")


def fio_pids() -> Iterator[int]:
    """Pids of the processes named fio (main and job processes alike)."""
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "fio":
                yield int(entry.name)
        except OSError:
            continue  # gone meanwhile


def command_line(pid: int) -> list[str]:
    """The process's program and arguments ([] when it is gone)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]]


def has_open(pid: int, path: str) -> bool:
    """True when the process holds `path` open: the same block device, or the same file."""
    try:
        wanted = os.stat(path)
        descriptors = list((PROC / str(pid) / "fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            held = os.stat(descriptor)  # follows the link to what is open
        except OSError:
            continue
        if stat.S_ISBLK(wanted.st_mode):
            if stat.S_ISBLK(held.st_mode) and held.st_rdev == wanted.st_rdev:
                return True
        elif (held.st_dev, held.st_ino) == (wanted.st_dev, wanted.st_ino):
            return True
    return False


def fio_holding(path: str) -> list[int]:
    """Pids of the fio processes that hold `path` (a device or file) open."""
    return [pid for pid in fio_pids() if has_open(pid, path)]


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
