"""Many drives: `nvmeprobe run D1 ... DN` at once vs one after another.

N loop devices (root), each over its own 1 GiB sparse file, the same plan on
each (4 KiB random reads and writes at QD 8, R seconds per cell). Three ways,
interleaved: N separate `nvmeprobe run Di` invocations one after another;
one `run D1 ... DN --parallel 1` (one process, one drive at a time); and one
`run D1 ... DN` (every drive at once). Reported: wall time against the
seconds the cells measure, and the median IOPS each drive measured, since
drives that share one host's CPUs and one backing disk (as loop devices do)
may measure less at once than alone.

    .venv/bin/python bench/bench_parallel.py [--drives 4] [--runtime 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nvmeprobe
from nvmeprobe.profile import read_profile

NVMEPROBE = str(Path(sys.executable).parent / "nvmeprobe")
PLAN = """name = "bench-parallel"
[[stage]]
kind = "matrix"
name = "m"
rw = ["randread", "randwrite"]
bs = "4k"
iodepth = 8
runtime = "{runtime}s"
"""


def run(args: list[str], out: Path) -> tuple[float, list[dict]]:
    """Wall time of one `nvmeprobe run ... --json` and its summaries."""
    start = time.monotonic()
    result = subprocess.run(
        [
            NVMEPROBE,
            "run",
            *args,
            "--results",
            str(out / "results"),
            "--profiles",
            str(out / "profiles"),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    summary = json.loads(result.stdout)
    return wall, summary if isinstance(summary, list) else [summary]


def median_iops(summaries: list[dict]) -> float:
    """Median over drives and cells of the IOPS each cell measured."""
    values = [float(v) for s in summaries for v in read_profile(Path(s["profile"])).cells["iops"]]
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drives", type=int, default=4)
    parser.add_argument("--runtime", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    plan = work / "plan.toml"
    plan.write_text(PLAN.format(runtime=args.runtime))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(nvmeprobe.__file__).parent)], check=True
    )
    devices: list[str] = []
    ways = ("separate runs, one after another", "one run, --parallel 1", "one run, all at once")
    walls: dict[str, list[float]] = {way: [] for way in ways}
    iops: dict[str, list[float]] = {way: [] for way in ways}
    try:
        for number in range(args.drives):
            image = work / f"disk{number}.img"
            with open(image, "wb") as handle:
                handle.truncate(1 << 30)
            devices.append(
                subprocess.run(
                    ["losetup", "--find", "--show", "--direct-io=on", str(image)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
        common = ["--plan", str(plan)]
        for i in range(args.repeat):  # interleaved, so drift hits every way alike
            out = work / f"r{i}"
            wall, summaries = 0.0, []
            for device in devices:
                seconds, one = run([device, *common], out / "separate")
                wall += seconds
                summaries += one
            walls[ways[0]].append(wall)
            iops[ways[0]].append(median_iops(summaries))
            for way, extra in zip(ways[1:], (["--parallel", "1"], [])):
                seconds, summaries = run([*devices, *common, *extra], out / way.replace(" ", "_"))
                walls[way].append(seconds)
                iops[way].append(median_iops(summaries))
    finally:
        for device in devices:
            subprocess.run(["losetup", "-d", device], check=False)
        shutil.rmtree(work, ignore_errors=True)
    measured = args.drives * 2 * args.runtime
    base = statistics.median(walls[ways[0]])
    print(
        f"{args.drives} loop devices x 2 cells x {args.runtime} s = {measured} s measured;"
        f" medians of {args.repeat}\n"
    )
    print("| way | wall time (s) | wall / measured | speed-up | median IOPS per cell |")
    print("|---|---|---|---|---|")
    for way in ways:
        wall = statistics.median(walls[way])
        print(
            f"| {way} | {wall:.1f} | {wall / measured:.3f} | {base / wall:.2f}x"
            f" | {statistics.median(iops[way]):,.0f} |"
        )


if __name__ == "__main__":
    main()
