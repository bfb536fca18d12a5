"""Reading fio's bandwidth logs of sequential writes to simulated drives, in tests."""

from __future__ import annotations

from pathlib import Path

from nvmeprobe.sim.fio import run_fio_nbd


def bw_log(path: Path) -> tuple[list[float], list[float]]:
    """(times in s, bandwidths in bytes/s) from a fio bandwidth log."""
    times, rates = [], []
    for line in path.read_text().splitlines():
        fields = [f.strip() for f in line.split(",")]
        times.append(int(fields[0]) / 1000)
        rates.append(int(fields[1]) * 1024.0)
    return times, rates


def sequential_write(sim, workdir: Path, window_ms: int, name: str = "fill",
                     **options) -> dict[str, list[float]]:
    """A 128 KiB sequential write's bandwidth log: per sample its end time, rate and bytes
    written by then; `options` are fio's (size=..., or time_based and runtime=...).

    fio logs one sample per `window_ms` slot that completed I/O (none for
    empty slots), averaged over that slot; the first sample covers the time
    from the job's start.
    """
    run = run_fio_nbd(sim.uri, workdir, name, {
        "rw": "write", "bs": "128k", "iodepth": 4, "write_bw_log": workdir / name,
        "log_avg_msec": window_ms, **options})
    assert run.returncode == 0 and run.job["error"] == 0, run.stderr
    size = run.job["write"]["io_bytes"]
    times, rates = bw_log(workdir / f"{name}_bw.1.log")
    spans = [times[0]] + [min(window_ms / 1000, t - s) for s, t in zip(times, times[1:])]
    integral = [r * d for r, d in zip(rates, spans)]
    total = sum(integral)
    written, cumulative = [], 0.0
    for part in integral:  # scale the integral so that it ends at the bytes fio wrote
        cumulative += part
        written.append(size * cumulative / total)
    return {"time": times, "rate": rates, "written": written, "io_bytes": [size]}


def mean_rate(log: dict[str, list[float]], low: float, high: float) -> float:
    """Bytes over seconds between the first and the last sample with `low` < bytes written < `high`."""
    written = log["written"]
    chosen = [i for i in range(1, len(written)) if low < written[i] < high]
    first, last = chosen[0] - 1, chosen[-1]
    return (written[last] - written[first]) / (log["time"][last] - log["time"][first])
