"""Benchmark: ingest 1,000 fio JSON results and a 1,000,000-line fio log into a profile,
against fio-plot 1.1.21's own JSON and log import on the same files.

Data (made fresh in a temporary folder, all written by the installed fio):
- 4 real json+ results (randwrite, 4k, iodepth 1/4/16/32, 1 s each on a file),
  copied into a bench-fio tree `<out>/bench/randwrite/4k/randwrite-<iodepth>-<numjobs>.json`
  for iodepth 1..250 x numjobs 1..4 (each copy's job options say its iodepth
  and numjobs, as bench-fio's would) = 1,000 files;
- one per-IO bandwidth log of 1,000,000 lines (fio's null engine, 1,000,000 x 4 KiB).

nvmeprobe: ingest_paths(tree) + series_from_log(log) (read_fio_log + bandwidth
vs bytes written) + write_profile (Parquet, zstd).
fio-plot: jsonimport.list_json_files + import_json_dataset + jsonparsing.parse_json_data
(what `fio-plot` runs for its bar charts), and dataimport.readLogData, then
dataimport_support.newMergeLogDataSet (its conversion of the rows to numbers,
which get_log_data runs for every log chart).

Each side runs once to warm the page cache, then REPEAT times; the median is
reported. Run: .venv/bin/python bench/bench_ingest.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fio_plot.fiolib import dataimport, dataimport_support, jsonimport, jsonparsing

from nvmeprobe.ingest import ingest_paths, read_fio_log, series_from_log
from nvmeprobe.profile import write_profile

REPEAT = 3
DEPTHS = range(1, 251)
NUMJOBS = (1, 2, 3, 4)
LOG_LINES = 1_000_000


def _fio(workdir: Path, *args: str) -> None:
    subprocess.run(["fio", *args], cwd=workdir, check=True, capture_output=True)


def make_data(work: Path) -> tuple[Path, Path]:
    """The bench-fio tree of 1,000 JSON results and the 1,000,000-line bw log."""
    bases = []
    for depth in (1, 4, 16, 32):
        out = work / f"base-{depth}.json"
        _fio(
            work,
            "--name=bench",
            f"--filename={work / 'data.bin'}",
            "--size=64m",
            "--rw=randwrite",
            "--bs=4k",
            f"--iodepth={depth}",
            "--ioengine=libaio",
            "--runtime=1",
            "--time_based",
            "--output-format=json+",
            f"--output={out}",
        )
        bases.append(json.loads(out.read_text()))
    folder = work / "out" / "bench" / "randwrite" / "4k"
    folder.mkdir(parents=True)
    for index, (depth, numjobs) in enumerate((d, n) for d in DEPTHS for n in NUMJOBS):
        doc = bases[index % len(bases)]
        doc["jobs"][0]["job options"].update(iodepth=str(depth), numjobs=str(numjobs))
        (folder / f"randwrite-{depth}-{numjobs}.json").write_text(json.dumps(doc, indent=2))
    _fio(
        work,
        "--name=big",
        "--ioengine=null",
        f"--size={LOG_LINES * 4}k",
        "--bs=4k",
        "--rw=write",
        "--write_bw_log=big",
        "--output=/dev/null",
    )
    log = work / "big_bw.1.log"
    with open(log, "rb") as handle:
        lines = sum(1 for _ in handle)
    if lines != LOG_LINES:
        raise SystemExit(f"expected {LOG_LINES} log lines, fio wrote {lines}")
    return work / "out", log


def nvmeprobe_json(tree: Path, work: Path) -> int:
    cells, skipped = ingest_paths([tree])
    assert not skipped and len(cells) == 1000
    write_profile(work / "json.parquet", cells, metadata={"run_id": "bench"})
    return len(cells)


def nvmeprobe_log(log: Path, work: Path) -> int:
    series = series_from_log(log, cell="big")
    write_profile(work / "log.parquet", None, series, metadata={"run_id": "bench"})
    return len(series)


def nvmeprobe_all(tree: Path, log: Path, work: Path) -> int:
    cells, skipped = ingest_paths([tree])
    series = series_from_log(log, cell="big")
    write_profile(work / "all.parquet", cells, series, metadata={"run_id": "bench"})
    return len(cells) + len(series)


def fioplot_json(tree: Path) -> int:
    settings = {
        "input_directory": [str(tree / "bench" / "randwrite" / "4k")],
        "rw": "randwrite",
        "iodepth": list(DEPTHS),
        "numjobs": list(NUMJOBS),
        "filter": ["read", "write"],
        "include_hosts": None,
        "exclude_hosts": None,
        "compare_graph": False,
    }
    dataset = jsonimport.import_json_dataset(settings, jsonimport.list_json_files(settings))
    parsed = jsonparsing.parse_json_data(settings, dataset)
    rows = sum(len(directory["data"]) for directory in parsed)
    assert rows == 1000
    return rows


def nvmeprobe_log_read(log: Path) -> int:
    return len(read_fio_log(log))


def fioplot_log_read(log: Path) -> int:
    return len(dataimport.readLogData({}, {"filename": str(log)}))


def fioplot_log(log: Path) -> int:
    rows = dataimport.readLogData({}, {"filename": str(log)})
    merged = dataimport_support.newMergeLogDataSet([{"data": rows, "hostname": None}], "bw")
    return len(merged["write"])


def timed(action: Callable[[], int]) -> tuple[float, int]:
    action()
    seconds = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        count = action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), count


def main() -> None:
    if shutil.which("fio") is None:
        raise SystemExit("fio is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        print("making data with fio ...", file=sys.stderr)
        tree, log = make_data(work)
        results = {
            "nvmeprobe: 1,000 JSON -> profile": timed(lambda: nvmeprobe_json(tree, work)),
            "fio-plot: 1,000 JSON import": timed(lambda: fioplot_json(tree)),
            "nvmeprobe: 1M-line log -> bytes written -> profile": timed(
                lambda: nvmeprobe_log(log, work)
            ),
            "nvmeprobe: read_fio_log only": timed(lambda: nvmeprobe_log_read(log)),
            "fio-plot: readLogData": timed(lambda: fioplot_log_read(log)),
            "fio-plot: readLogData + newMergeLogDataSet": timed(lambda: fioplot_log(log)),
            "nvmeprobe: both -> one profile": timed(lambda: nvmeprobe_all(tree, log, work)),
        }
    width = max(map(len, results))
    for name, (seconds, rows) in results.items():
        print(f"{name:<{width}}  {seconds:8.3f} s  ({rows:,} rows)")
    ours = results["nvmeprobe: both -> one profile"][0]
    json_ratio = (
        results["fio-plot: 1,000 JSON import"][0] / results["nvmeprobe: 1,000 JSON -> profile"][0]
    )
    read_ratio = (
        results["fio-plot: readLogData"][0]
        / results["nvmeprobe: 1M-line log -> bytes written -> profile"][0]
    )
    theirs_read = results["fio-plot: 1,000 JSON import"][0] + results["fio-plot: readLogData"][0]
    theirs_full = (
        results["fio-plot: 1,000 JSON import"][0]
        + results["fio-plot: readLogData + newMergeLogDataSet"][0]
    )
    only_read = results["fio-plot: readLogData"][0] / results["nvmeprobe: read_fio_log only"][0]
    print(
        f"JSON: fio-plot / nvmeprobe = {json_ratio:.1f}x;"
        f" log to profile vs readLogData = {read_ratio:.1f}x;"
        f" read_fio_log vs readLogData = {only_read:.1f}x"
    )
    print(f"same run, fio-plot JSON + readLogData / nvmeprobe = {theirs_read / ours:.1f}x")
    print(f"same run, fio-plot JSON + readLogData + merge / nvmeprobe = {theirs_full / ours:.1f}x")


if __name__ == "__main__":
    main()
