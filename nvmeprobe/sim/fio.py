"""Run one fio job against an NBD URI (a sim's) and keep fio's JSON: for tests and benchmarks.

fio's nbd engine prints "fio: connected to NBD server" on stdout before the
JSON, so the JSON goes to a file (`--output`). A job that fails (an I/O
error) still leaves its JSON, with `error` set, next to a non-zero exit code.
Verify jobs save no state file (fio would write it to the current directory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.errors import MeasurementFailed, ToolFailed
from nvmeprobe.tools import run_tool


@dataclass
class FioRun:
    """One fio invocation: its exit code, its JSON and what it said on stderr."""

    returncode: int
    data: dict
    stderr: str

    @property
    def job(self) -> dict:
        """The first (only) job's results."""
        return self.data["jobs"][0]


def run_fio_nbd(uri: str, workdir: Path, name: str, options: dict[str, object],
                timeout: float = 300) -> FioRun:
    """Run job `name` with `options` (fio option -> value; True for a bare flag) on `uri`."""
    output = Path(workdir) / f"{name}.json"
    args = [f"--name={name}", "--ioengine=nbd", f"--uri={uri}",
            f"--output={output}", "--output-format=json", "--verify_state_save=0"]
    args += [f"--{key}" if value is True else f"--{key}={value}" for key, value in options.items()]
    returncode, stderr = 0, ""
    try:
        run_tool("fio", args, timeout=timeout)
    except ToolFailed as err:
        if err.returncode is None:
            raise
        returncode, stderr = err.returncode, err.stderr
    try:
        data = json.loads(output.read_text())
    except (OSError, ValueError):
        raise MeasurementFailed(f"fio job {name} left no JSON in {output}: {stderr.strip()[:200]}") from None
    return FioRun(returncode=returncode, data=data, stderr=stderr)
