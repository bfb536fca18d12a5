"""Reading fio's own records in tests: the writes of a version 3 iolog."""

from __future__ import annotations

from pathlib import Path


def iolog_writes(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of every write in a fio version 3 iolog."""
    writes = []
    for line in path.read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) == 5 and fields[2] == "write":
            writes.append((int(fields[3]), int(fields[4])))
    return writes
