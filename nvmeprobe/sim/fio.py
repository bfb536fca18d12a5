"""Run one fio job against an NBD URI (a sim's) and keep fio's JSON: for tests and benchmarks.

`sequential_write` also reads the job's per-IO log into rates against bytes
written, where a cache's end or a throttle shows as a step down.

fio's nbd engine prints "fio: connected to NBD server" on stdout before the
JSON, so the JSON goes to a file (`--output`). A job that fails (an I/O
error) still leaves its JSON, with `error` set, next to a non-zero exit code.
Verify jobs save no state file (fio would write it to the current directory).
"""

from __future__ import annotations

import itertools
import json
import math
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


def run_fio_nbd(
    uri: str, workdir: Path, name: str, options: dict[str, object], timeout: float = 300
) -> FioRun:
    """Run job `name` with `options` (fio option -> value; True for a bare flag) on `uri`."""
    output = Path(workdir) / f"{name}.json"
    args = [
        f"--name={name}",
        "--ioengine=nbd",
        f"--uri={uri}",
        f"--output={output}",
        "--output-format=json",
        "--verify_state_save=0",
    ]
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
        raise MeasurementFailed(
            f"fio job {name} left no JSON in {output}: {stderr.strip()[:200]}"
        ) from None
    return FioRun(returncode=returncode, data=data, stderr=stderr)


def completions(path: Path) -> list[tuple[float, int]]:
    """(completion time in s, bytes) of every IO in a fio per-IO bandwidth log."""
    done = []
    for line in path.read_text().splitlines():
        fields = [f.strip() for f in line.split(",")]
        done.append((int(fields[0]) / 1000, int(fields[3])))
    return done


@dataclass
class BwLog:
    """A write's rate over time: per window its end time (s), rate (bytes/s) and bytes
    written by then."""

    time: list[float]
    rate: list[float]
    written: list[float]
    io_bytes: int  # what fio wrote in all


def sequential_write(
    uri: str, workdir: Path, window_ms: int, name: str = "fill", **options: object
) -> BwLog:
    """A 128 KiB sequential write at QD 4 (`options` are fio's and override: size=...,
    iodepth=..., or time_based and runtime=...), binned by completion into `window_ms`.

    fio logs every IO's completion (a per-IO bandwidth log, millisecond times),
    so the bytes written by any time are exact; a window where nothing
    completed has rate 0.
    """
    run = run_fio_nbd(
        uri,
        workdir,
        name,
        {"rw": "write", "bs": "128k", "iodepth": 4, "write_bw_log": workdir / name, **options},
    )
    if run.returncode or run.job["error"]:
        raise MeasurementFailed(f"fio job {name} failed: {run.stderr.strip()[:200]}")
    done = completions(workdir / f"{name}_bw.1.log")
    if not done:
        raise MeasurementFailed(f"fio job {name} logged no IO")
    width = window_ms / 1000
    bins = [0] * (int(max(t for t, _ in done) / width) + 1)
    for t, size in done:
        bins[int(t / width)] += size
    written = [float(total) for total in itertools.accumulate(bins)]
    return BwLog(
        [(i + 1) * width for i in range(len(bins))],
        [b / width for b in bins],
        written,
        run.job["write"]["io_bytes"],
    )


def mean_rate(log: BwLog, low: float, high: float) -> float:
    """Bytes over seconds between the first and last samples with `low` < written < `high`."""
    written = log.written
    chosen = [i for i in range(1, len(written)) if low < written[i] < high]
    first, last = chosen[0] - 1, chosen[-1]
    return (written[last] - written[first]) / (log.time[last] - log.time[first])


def step_down(log: BwLog, until: float | None = None) -> float:
    """Bytes written where the rate steps down: the split of bytes against time into two
    least-squares lines (samples up to `until` bytes) that leaves the least error.

    A short stall of the writer (a descheduled fio) moves the fit little, where
    a threshold on a few samples would take it for the step.
    """
    points = [(t, w) for t, w in zip(log.time, log.written) if until is None or w <= until]
    best, split = math.inf, 1
    for i in range(2, len(points) - 1):
        error = _line_error(points[:i]) + _line_error(points[i:])
        if error < best:
            best, split = error, i
    return (points[split - 1][1] + points[split][1]) / 2


def _line_error(points: list[tuple[float, float]]) -> float:
    """Sum of squared residuals of the least-squares line through `points`."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_w = sum(w for _, w in points) / n
    stt = sum((t - mean_t) ** 2 for t, _ in points)
    stw = sum((t - mean_t) * (w - mean_w) for t, w in points)
    sww = sum((w - mean_w) ** 2 for _, w in points)
    return sww - stw * stw / stt if stt else sww
