"""Errors that end a command with a one-line message and a documented exit code.

Exit codes (docs/design.md section 6): 0 success; 1 a measurement or qualification failed;
2 usage or input error; 3 a target refused for safety.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SAFETY = 3


class ProbeError(Exception):
    """Base error: `str(err)` is the one line shown to the user."""

    exit_code = EXIT_USAGE


class InputError(ProbeError):
    """Bad input: a missing device, a malformed plan or file, corrupt tool output."""

    exit_code = EXIT_USAGE


class ToolMissing(InputError):
    """A program nvmeprobe needs (fio, nvme, smartctl, nbdkit) is not installed."""


class ToolFailed(ProbeError):
    """A program ran and failed; `stderr` keeps what it said."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, stderr: str = "", returncode: int | None = None):
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


class MeasurementFailed(ProbeError):
    """A run or a qualification did not succeed."""

    exit_code = EXIT_FAILED


class SafetyRefusal(ProbeError):
    """A write to a target was refused: it is in use and not named in --destroy-data."""

    exit_code = EXIT_SAFETY
