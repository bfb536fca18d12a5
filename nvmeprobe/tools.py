"""The edge that runs external programs (nvme, fio, smartctl, ...) through `sh`.

`run_tool` runs a program to completion and returns its output; failures
become `ToolMissing` or `ToolFailed` with a one-line message. Two edges start
long-running processes themselves, because they must watch or stop them while
they run: `run/fio_process.py` (fio, through `sh`, with live status) and
`sim/handle.py` (a simulated drive's server, through `subprocess`). All of them
pass an argument list, never a shell string.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, overload

import sh

from nvmeprobe.errors import ToolFailed, ToolMissing


def have_tool(name: str) -> bool:
    """True when `name` is on PATH."""
    return shutil.which(name) is not None


@overload
def run_tool(
    name: str,
    args: Sequence[str],
    timeout: float | None = ...,
    binary: Literal[False] = ...,
    cwd: Path | None = ...,
) -> str: ...
@overload
def run_tool(
    name: str,
    args: Sequence[str],
    timeout: float | None = ...,
    *,
    binary: Literal[True],
    cwd: Path | None = ...,
) -> bytes: ...
def run_tool(
    name: str,
    args: Sequence[str],
    timeout: float | None = 120,
    binary: bool = False,
    cwd: Path | None = None,
) -> str | bytes:
    """Run `name args...` (in folder `cwd`) and return its stdout (text, or bytes when `binary`)."""
    if not have_tool(name):
        raise ToolMissing(f"{name} is not installed (looked on PATH)")
    process = sh.Command(name)(
        *[str(a) for a in args],
        _bg=True,
        _bg_exc=False,
        _decode_errors="replace",
        _cwd=str(cwd) if cwd else None,
    )
    # sh's own _timeout polls every 0.1 s and so adds ~0.1 s to every call, however quick:
    # a one-shot timer that kills the process costs nothing when it is not needed.
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        process.wait()
    except sh.ErrorReturnCode as err:
        if expired.is_set():
            raise ToolFailed(
                f"{name} {' '.join(map(str, args))} timed out after {timeout} s"
            ) from None
        stderr = err.stderr.decode(errors="replace").strip()
        first = stderr.splitlines()[0] if stderr else f"exit code {err.exit_code}"
        raise ToolFailed(
            f"{name} {' '.join(map(str, args))} failed: {first}",
            stderr=stderr,
            returncode=err.exit_code,
        ) from None
    finally:
        if timer:
            timer.cancel()
    return process.stdout if binary else process.stdout.decode(errors="replace")
