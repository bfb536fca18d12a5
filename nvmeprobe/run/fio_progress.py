"""Bytes written as fio goes, from its periodic JSON status dumps (`--status-interval`).

fio's live status line gives no rate in its first ~2 s and a rate averaged
over 250 ms after that: a cache that lasts a quarter of a second at full
speed is over before the first rate (docs/field-notes.md section 9). With
`--status-interval=50ms`, fio appends a full JSON status (cumulative bytes
and run time per job, from the job's start) to its `--output` file every
50 ms. `ProgressTail` follows that file on a thread and hands each dump's
(seconds, bytes written) to a callback; bytes over time between dumps is the
live rate the drop watcher needs, exact from the first 50 ms.

The dumps are read with two regular expressions, never fully parsed (a
json+ dump is ~8 KB, 160 KB/s). Only what a run needs is kept: what has been
read is punched out of the file as it goes (fallocate PUNCH_HOLE: the file
keeps its size, fio its position, the disk its space), and when fio has
ended, `finish` leaves `--output` holding fio's messages and its final
document, as if no dump had been written, so ingestion is unchanged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

from nvmeprobe.run.fio_status import FioStatus

STATUS_INTERVAL = "50ms"
POLL_S = 0.02
PUNCH_BYTES = 4 << 20
_PUNCH_HOLE, _KEEP_SIZE = 0x02, 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
_BYTES_RE = re.compile(r'"write"\s*:\s*\{\s*"io_bytes"\s*:\s*(\d+)')
_RUNTIME_RE = re.compile(r'"job_runtime"\s*:\s*(\d+)')
_DOC_START = re.compile(r"^\{\s*$", re.MULTILINE)

Progress = Callable[[float, float], None]


def _punch(path: Path, length: int) -> None:
    """Free the first `length` bytes of `path` on disk (size unchanged); no-op where unsupported."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fd = os.open(path, os.O_WRONLY)
    try:
        libc.fallocate(fd, _PUNCH_HOLE | _KEEP_SIZE, ctypes.c_long(0), ctypes.c_long(length))
    finally:
        os.close(fd)


def dump_progress(doc: str) -> tuple[float, float] | None:
    """(seconds, bytes written) of one status dump: longest job runtime, all jobs' writes."""
    runtimes = [int(v) for v in _RUNTIME_RE.findall(doc)]
    if not runtimes:
        return None
    return max(runtimes) / 1000.0, float(sum(int(v) for v in _BYTES_RE.findall(doc)))


def split_documents(text: str) -> tuple[list[str], list[str], str]:
    """(complete documents, text between them, the incomplete rest) of fio's output.

    fio prints each document with its braces alone on a line.
    """
    docs: list[str] = []
    messages: list[str] = []
    pos = 0
    while True:
        start = _DOC_START.search(text, pos)
        if start is None:
            return docs, messages, text[pos:]
        end = text.find("\n}\n", start.start())
        if end < 0:
            messages.append(text[pos : start.start()])
            return docs, messages, text[start.start() :]
        messages.append(text[pos : start.start()])
        docs.append(text[start.start() : end + 3])
        pos = end + 3


class DumpRates:
    """Status dumps as `FioStatus` samples: the write rate since the previous dump, exact bytes."""

    def __init__(self) -> None:
        self._last = (0.0, 0.0)

    def sample(self, t_s: float, written: float) -> FioStatus:
        t0, b0 = self._last
        self._last = (t_s, written)
        rate = (written - b0) / (t_s - t0) if t_s > t0 else 0.0
        return FioStatus(write_bw=rate, elapsed_s=t_s, written_bytes=written)


class ProgressTail:
    """Follows fio's `--output` file while fio runs; see the module docstring."""

    def __init__(self, path: Path, on_progress: Progress) -> None:
        self.path = path
        self.on_progress = on_progress
        self.last_doc = ""
        self.messages: list[str] = []
        self._rest = ""
        self._offset = 0
        self._punched = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fio-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        if self._offset - self._punched >= PUNCH_BYTES:
            _punch(self.path, self._offset)
            self._punched = self._offset
        docs, messages, self._rest = split_documents(self._rest + chunk.decode(errors="replace"))
        self.messages += [m.strip() for m in messages if m.strip()]
        for doc in docs:
            self.last_doc = doc
            progress = dump_progress(doc)
            if progress is not None:
                self.on_progress(*progress)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            self._read()

    def finish(self) -> None:
        """Stop following; leave the output holding fio's messages and its final document."""
        self._stop.set()
        self._thread.join()
        self._read()
        if not self.last_doc:
            return  # nothing complete: leave fio's output as it is, its cell fails on it
        text = "\n".join(
            self.messages
            + [self.last_doc.rstrip("\n")]
            + ([self._rest.strip()] if self._rest.strip() else [])
        )
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(text + "\n")
        temporary.replace(self.path)
