"""Run one fio job against an NBD URI (a sim's) and keep fio's JSON: for tests and benchmarks.

`sequential_write` also reads the job's bandwidth log into rates against
bytes written, where a cache's end or a throttle shows as a step down.

fio's nbd engine prints "fio: connected to NBD server" on stdout before the
JSON, so the JSON goes to a file (`--output`). A job that fails (an I/O
error) still leaves its JSON, with `error` set, next to a non-zero exit code.
Verify jobs save no state file (fio would write it to the current directory).
"""

from __future__ import annotations

import json
import statistics
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


def bw_log(path: Path) -> tuple[list[float], list[float]]:
    """(times in s, bandwidths in bytes/s) from a fio bandwidth log."""
    times, rates = [], []
    for line in path.read_text().splitlines():
        fields = [f.strip() for f in line.split(",")]
        times.append(int(fields[0]) / 1000)
        rates.append(int(fields[1]) * 1024.0)
    return times, rates


@dataclass
class BwLog:
    """A write's bandwidth log: per sample its end time (s), rate (bytes/s) and bytes written
    by then."""

    time: list[float]
    rate: list[float]
    written: list[float]
    io_bytes: int  # what fio wrote in all


def sequential_write(uri: str, workdir: Path, window_ms: int, name: str = "fill",
                     **options: object) -> BwLog:
    """A 128 KiB sequential write at QD 4 with its bandwidth log averaged over `window_ms`;
    `options` are fio's (size=..., or time_based and runtime=...).

    fio logs one sample per `window_ms` slot that completed I/O (none for
    empty slots), averaged over that slot; the first sample covers the time
    from the job's start.
    """
    run = run_fio_nbd(uri, workdir, name, {
        "rw": "write", "bs": "128k", "iodepth": 4, "write_bw_log": workdir / name,
        "log_avg_msec": window_ms, **options})
    if run.returncode or run.job["error"]:
        raise MeasurementFailed(f"fio job {name} failed: {run.stderr.strip()[:200]}")
    size = run.job["write"]["io_bytes"]
    times, rates = bw_log(workdir / f"{name}_bw.1.log")
    if not times:
        raise MeasurementFailed(f"fio job {name} logged no bandwidth: shorter than {window_ms} ms?")
    spans = [times[0]] + [min(window_ms / 1000, t - s) for s, t in zip(times, times[1:])]
    integral = [r * d for r, d in zip(rates, spans)]
    total = sum(integral)
    written, cumulative = [], 0.0
    for part in integral:  # scale the integral so that it ends at the bytes fio wrote
        cumulative += part
        written.append(size * cumulative / total)
    return BwLog(times, rates, written, size)


def mean_rate(log: BwLog, low: float, high: float) -> float:
    """Bytes over seconds between the first and last samples with `low` < written < `high`."""
    written = log.written
    chosen = [i for i in range(1, len(written)) if low < written[i] < high]
    first, last = chosen[0] - 1, chosen[-1]
    return (written[last] - written[first]) / (log.time[last] - log.time[first])


def step_down(log: BwLog, high: float, low: float, hold: int = 3) -> float:
    """Bytes written where the rate first falls from `high` to `low` and stays there: the
    first sample below the midpoint whose median with the next `hold` - 1 is below it too.
    """
    threshold = (high + low) / 2
    rates, written = log.rate, log.written
    drop = next(i for i in range(1, len(rates))
                if statistics.median(rates[i:i + hold]) < threshold and rates[i] < threshold)
    return (written[drop - 1] + written[drop]) / 2
