"""Measure the real-drive presets' real-time behaviour through fio; prints a markdown table.

For each preset with a confounder (docs/field-notes.md section 9): one
128 KiB sequential write at QD 16 with a fine rate log, its rates and
where they step, beside the simulator's truth; the dynamic cache again at
half fill; heat with every log read every 0.25 s during the burst (how long
the control socket takes to answer while the drive is busy).

Usage: .venv/bin/python bench/bench_sim_physics.py
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from nvmeprobe.sim import running_sim
from nvmeprobe.sim.fio import BwLog, mean_rate, sequential_write, step_down

MIB = 1024**2
QD = 16  # requests queue in the model, so a descheduled fio does not idle the drive


def _mib(value: float) -> str:
    return f"{value / MIB:.1f}"


def cache_rows(workdir: Path) -> list[str]:
    """fast-short and consumer-qlc: cache size and rates, measured against truth."""
    rows = []
    with running_sim("fast-short", workdir) as sim:
        t = sim.params.truth()
        cache = t["slc_bytes"]
        log = sequential_write(sim.uri, workdir, 10, size=cache + 16 * MIB, iodepth=QD)
        high = mean_rate(log, 0.2 * cache, 0.8 * cache)
        low = mean_rate(log, cache + 2 * MIB, cache + 14 * MIB)
        step = step_down(log)
        rows.append(
            f"| fast-short | cache {_mib(cache)} MiB | step at {_mib(step)} MiB "
            f"({step / high:.2f} s) | in cache {_mib(high)} "
            f"({_mib(t['in_cache_write_bw'])}) | native {_mib(low)} "
            f"({_mib(t['native_write_bw'])}) |"
        )
    with running_sim("consumer-qlc", workdir) as sim:
        t = sim.params.truth()
        cache, folding = t["empty_cache_bytes"], t["folding_bytes"]
        log = sequential_write(sim.uri, workdir, 50, size=cache + folding + 24 * MIB, iodepth=QD)
        high = mean_rate(log, 0.1 * cache, 0.9 * cache)
        mid = mean_rate(log, cache + 3 * MIB, cache + folding - 3 * MIB)
        low = mean_rate(log, cache + folding + 3 * MIB, cache + folding + 22 * MIB)
        rows.append(
            f"| consumer-qlc, empty | cache {_mib(cache)} MiB | step at "
            f"{_mib(step_down(log, until=cache + folding))} MiB "
            f"({cache / high:.2f} s) | in cache "
            f"{_mib(high)} ({_mib(t['in_cache_write_bw'])}) | folding {_mib(mid)} "
            f"({_mib(t['folding_write_bw'])}), native {_mib(low)} "
            f"({_mib(t['native_write_bw'])}) |"
        )
        half = sim.params.capacity // 2
        sequential_write(
            sim.uri,
            workdir,
            250,
            name="half",
            size=half - log.io_bytes,
            offset=log.io_bytes,
            iodepth=QD,
        )
        time.sleep(3.0)
        limit = sim.stats()["cache_limit_bytes"]
        burst = sequential_write(
            sim.uri, workdir, 20, name="burst", size=limit + 16 * MIB, offset=half, iodepth=QD
        )
        high = mean_rate(burst, 0.1 * limit, 0.9 * limit)
        rows.append(
            f"| consumer-qlc, half full | cache {_mib(limit)} MiB | step at "
            f"{_mib(step_down(burst))} MiB "
            f"({limit / high:.2f} s) | in cache {_mib(high)} | - |"
        )
    return rows


def _sampled_burst(sim, workdir: Path, seconds: float) -> tuple[BwLog, float, list[float]]:
    """A timed write with every capture read every 0.25 s: log, onset (s from the first
    write), read times (s)."""
    reads: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            begin = time.monotonic()
            sim.capture_files()
            reads.append(time.monotonic() - begin)
            stop.wait(0.25)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        log = sequential_write(
            sim.uri,
            workdir,
            250,
            name="heat",
            size="1g",
            time_based=True,
            runtime=f"{seconds}s",
            iodepth=QD,
        )
    finally:
        stop.set()
        thread.join()
    stats = sim.stats()
    onsets = [
        (t - stats["burst_start_s"]) * sim.params.time_scale
        for t, throttled, _ in stats["thermal"]["transitions"]
        if throttled
    ]
    return log, onsets[0] if onsets else float("nan"), reads


def heat_rows(workdir: Path) -> list[str]:
    """hot-tlc and its silent twin: rates before and after the throttle, its onset."""
    rows = []
    for name in ("hot-tlc", "hot-tlc-silent"):
        with running_sim(name, workdir) as sim:
            heat = sim.params.truth()["heat"]
            log, onset, reads = _sampled_burst(sim, workdir, 6.0)
        before = statistics.median(r for t, r in zip(log.time, log.rate) if 0.5 < t < onset - 0.3)
        after = statistics.median(r for t, r in zip(log.time, log.rate) if t > onset + 0.6)
        rows.append(
            f"| {name} | throttles {onset:.2f} s after the first write "
            f"({heat['onset_at_full_load_s']:.2f} s at full load) | "
            f"{_mib(before)} -> {_mib(after)} MiB/s | capture read median "
            f"{1000 * statistics.median(reads):.1f} ms, max {1000 * max(reads):.1f} ms |"
        )
    return rows


def main() -> None:
    """Print the tables."""
    with tempfile.TemporaryDirectory(prefix="bench-sim-physics-") as tmp:
        print("| preset | truth | measured | rates MiB/s (truth) | after |")
        print("|---|---|---|---|---|")
        print("\n".join(cache_rows(Path(tmp))))
        print()
        print("| preset | onset | write rate | control socket during the burst |")
        print("|---|---|---|---|")
        print("\n".join(heat_rows(Path(tmp))))


if __name__ == "__main__":
    main()
