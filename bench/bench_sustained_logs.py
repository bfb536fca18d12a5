"""Benchmark: what a sustained write's fine bandwidth log costs (docs/field-notes.md section 9).

A cache that lasts 0.25 s at full speed needs finer logging than fio's usual
1 s or 100 ms: either `log_avg_msec` of a few ms or a per-IO log (binned by
bytes in the analysis). fio's null engine writes 128 KiB at a fixed 1 GiB/s
(`rate=1g`, 8,192 IO/s) for SECONDS, once with `log_avg_msec=10` and once per
IO; for each: log lines and bytes (bw, iops and lat logs together), and the
time to ingest the bw log (`series_from_log`), each scaled to one hour of
writing. Run: .venv/bin/python bench/bench_sustained_logs.py
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from nvmeprobe.ingest import series_from_log

SECONDS = 10
RATE = "1g"


def _count_lines(path: Path) -> int:
    with open(path) as log:
        return sum(1 for _ in log)


def _run(work: Path, name: str, avg_msec: int | None) -> dict[str, float]:
    prefix = work / name
    args = [
        "fio",
        f"--name={name}",
        "--ioengine=null",
        "--rw=write",
        "--bs=128k",
        "--size=1t",
        f"--runtime={SECONDS}",
        "--time_based",
        f"--rate={RATE}",
        f"--write_bw_log={prefix}",
        f"--write_iops_log={prefix}",
        f"--write_lat_log={prefix}",
        "--output-format=json",
        f"--output={work / (name + '.json')}",
    ]
    if avg_msec:
        args.append(f"--log_avg_msec={avg_msec}")
    subprocess.run(args, check=True, capture_output=True)
    logs = sorted(work.glob(f"{name}_*.log"))
    lines = sum(_count_lines(log) for log in logs)
    size = sum(log.stat().st_size for log in logs)
    bw_log = next(log for log in logs if "_bw." in log.name)
    started = time.perf_counter()
    series_from_log(bw_log, name, avg_msec)
    ingest = time.perf_counter() - started
    hour = 3600 / SECONDS
    return {
        "lines_per_hour": lines * hour,
        "mb_per_hour": size * hour / 1e6,
        "bw_ingest_s_per_hour": ingest * hour,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, avg in (("avg10ms", 10), ("per_io", None)):
            figures = _run(work, name, avg)
            print(
                f"{name}: {figures['lines_per_hour']:,.0f} log lines/h,"
                f" {figures['mb_per_hour']:,.0f} MB/h (bw+iops+lat),"
                f" bw log ingest {figures['bw_ingest_s_per_hour']:.2f} s per hour of writing"
                f" (at 1 GiB/s, 128 KiB)"
            )


if __name__ == "__main__":
    main()
