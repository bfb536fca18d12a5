"""The edge that runs external programs (nvme, fio, smartctl, ...) through `sh`.

Every subprocess in nvmeprobe goes through `run_tool`, with an argument list,
never a shell string. Failures become `ToolMissing` or `ToolFailed` with a
one-line message.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import sh

from nvmeprobe.errors import ToolFailed, ToolMissing


def have_tool(name: str) -> bool:
    """True when `name` is on PATH."""
    return shutil.which(name) is not None


def run_tool(name: str, args: Sequence[str], timeout: float | None = 120,
             binary: bool = False) -> str | bytes:
    """Run `name args...` and return its stdout (text, or bytes when `binary`)."""
    if not have_tool(name):
        raise ToolMissing(f"{name} is not installed (looked on PATH)")
    command = sh.Command(name)
    try:
        result = command(*[str(a) for a in args], _timeout=timeout,
                         _return_cmd=True, _decode_errors="replace")
    except sh.ErrorReturnCode as err:
        stderr = err.stderr.decode(errors="replace").strip()
        first = stderr.splitlines()[0] if stderr else f"exit code {err.exit_code}"
        raise ToolFailed(f"{name} {' '.join(map(str, args))} failed: {first}",
                         stderr=stderr, returncode=err.exit_code) from None
    except sh.TimeoutException:
        raise ToolFailed(f"{name} {' '.join(map(str, args))} timed out after {timeout} s") from None
    return result.stdout if binary else result.stdout.decode(errors="replace")
