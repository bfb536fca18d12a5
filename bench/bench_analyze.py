"""Benchmark: analyse 1,000 cells and a 1,000,000-sample bandwidth series.

Run: .venv/bin/python bench/bench_analyze.py  (prints medians of 3 runs; not a test)

The cells table is a full IU sweep at 25 queue-depth/numjobs settings
(40 points x 25 = 1,000 cells, with counters and latency columns); the series
is a sustained write with a 20 GiB SLC cache sampled 1,000,000 times. The
change-point step works on the series binned by bytes written into at most
1,000 bins (`nvmeprobe.analyze.slc.bin_by_bytes`), so its cost does not grow
with the sample count; binning itself is a searchsorted plus 1,000 medians.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from nvmeprobe.analyze import analyze_all
from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.iu import analyze_iu
from nvmeprobe.analyze.slc import DropWatcher, bin_by_bytes, detect_drop, slc_cache

GIB = 1 << 30


def _timed(label: str, action: Callable[[], object], runs: int = 3) -> object:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    print(f"{label:<52} {statistics.median(times) * 1000:9.1f} ms")
    return result


def _cells(rng: np.random.Generator) -> pd.DataFrame:
    drive = S.CostDrive(iu=16384, lba=512, program_s=200e-6, rmw_s=80e-6)
    frames = []
    for iodepth in (1, 2, 4, 8, 16):
        for numjobs in (1, 2, 3, 4, 5):
            frames.append(S.sweep_cells(drive, rng, iodepth=iodepth).assign(numjobs=numjobs))
    cells = pd.concat(frames, ignore_index=True)
    cells["cell"] = [f"c{i:05d}" for i in range(len(cells))]
    host = (cells["bw_bytes"] * 10).round()
    return cells.assign(host_bytes_written=host, media_bytes_written=(host * 1.5).round())


def main() -> None:
    rng = np.random.default_rng(0)
    cells = _cells(rng)[:1000]
    samples = 1_000_000
    series = S.slc_series(
        rng, 20 * GIB, 2 * GIB, 0.2 * GIB, 60 * GIB, dt=(20 / 2 + 40 / 0.2) / samples
    )[:samples]
    print(f"cells: {len(cells)}   series samples: {len(series)}")
    _timed("IU inference (1,000 cells)", lambda: analyze_iu(cells, 16384, 512))
    binned = _timed("bin 1M samples by bytes written", lambda: bin_by_bytes(series))
    _timed("change point on the binned series", lambda: detect_drop(*binned))
    result = _timed("slc_cache on 1M samples (bin + change point)", lambda: slc_cache(series))
    print(
        f"    cache {result.cache_bytes / GIB:.3f} GiB (true 20), in "
        f"{result.in_cache_bw / GIB:.3f} GiB/s (2), post {result.post_cache_bw / GIB:.3f} (0.2)"
    )
    _timed(
        "analyze_all (1,000 cells + 1M-sample series)",
        lambda: analyze_all(cells, {"slc": series}, 16384, 512),
    )
    head = series.head(100_000)

    def watch() -> None:
        watcher = DropWatcher()
        for t, bw, written in zip(head["t_s"], head["bw_bytes"], head["bytes_written"]):
            watcher.feed(t, bw, written)

    _timed("DropWatcher.feed x 100,000 samples", watch, runs=1)


if __name__ == "__main__":
    main()
