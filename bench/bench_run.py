"""Orchestration overhead: `nvmeprobe run` vs bench-fio vs a plain fio loop.

Side by side in one run on one loop device (root): the same matrix of N cells
(4 KiB random writes, iodepth 1/8/32 x numjobs 1/2) of R seconds each. Each
tool's wall time is reported over N x R, the time the cells measure. The
goal (issue 4): nvmeprobe's overhead under 3% and no slower than bench-fio.

nvmeprobe's own modules are byte-compiled first, as pip does for bench-fio's
at install: an editable checkout under PYTHONDONTWRITEBYTECODE=1 (as on this
VM) would otherwise compile ~70 modules from source on every start.

    .venv/bin/python bench/bench_run.py [--runtime 10] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nvmeprobe

VENV_BIN = Path(sys.executable).parent
IODEPTHS, NUMJOBS = (1, 8, 32), (1, 2)


def plan_toml(runtime: int) -> str:
    return f'''name = "bench"
[[stage]]
kind = "matrix"
name = "m"
rw = "randwrite"
bs = "4k"
iodepth = {list(IODEPTHS)}
numjobs = {list(NUMJOBS)}
runtime = "{runtime}s"
'''


def timed(args: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def plain_fio(device: str, runtime: int, out: Path) -> list[str]:
    script = " ; ".join(
        f"fio --name=c --filename={device} --rw=randwrite --bs=4k --iodepth={qd} --numjobs={nj}"
        f" --ioengine=io_uring --direct=1 --time_based --runtime={runtime} --group_reporting"
        f" --output-format=json --output={out}/{qd}-{nj}.json"
        for qd in IODEPTHS
        for nj in NUMJOBS
    )
    return ["sh", "-c", script]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    cells = len(IODEPTHS) * len(NUMJOBS)
    measured = cells * args.runtime
    work = Path(tempfile.mkdtemp(prefix="bench-run-"))
    image = work / "disk.img"
    with open(image, "wb") as handle:
        handle.truncate(1 << 30)
    device = subprocess.run(
        ["losetup", "--find", "--show", "--direct-io=on", str(image)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    plan = work / "plan.toml"
    plan.write_text(plan_toml(args.runtime))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(nvmeprobe.__file__).parent)], check=True
    )
    times: dict[str, list[float]] = {"plain fio loop": [], "bench-fio": [], "nvmeprobe run": []}
    try:
        for i in range(args.repeat):  # interleaved, so drift hits all three alike
            out = work / f"plain{i}"
            out.mkdir()
            times["plain fio loop"].append(timed(plain_fio(device, args.runtime, out)))
            times["bench-fio"].append(
                timed(
                    [
                        str(VENV_BIN / "bench-fio"),
                        "-d",
                        device,
                        "-t",
                        "device",
                        "-o",
                        str(work / f"bf{i}"),
                        "-m",
                        "randwrite",
                        "-b",
                        "4k",
                        "--iodepth",
                        *map(str, IODEPTHS),
                        "--numjobs",
                        *map(str, NUMJOBS),
                        "--runtime",
                        str(args.runtime),
                        "--time-based",
                        "--destructive",
                        "-e",
                        "io_uring",
                    ]
                )
            )
            times["nvmeprobe run"].append(
                timed(
                    [
                        str(VENV_BIN / "nvmeprobe"),
                        "run",
                        device,
                        "--plan",
                        str(plan),
                        "--results",
                        str(work / f"np{i}"),
                        "--profiles",
                        str(work / f"npp{i}"),
                    ]
                )
            )
    finally:
        subprocess.run(["losetup", "-d", device], check=False)
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(times["plain fio loop"])
    print(f"{cells} cells x {args.runtime} s = {measured} s measured; medians of {args.repeat}\n")
    print("| tool | wall time (s) | wall / (N x R) | vs plain fio loop |")
    print("|---|---|---|---|")
    for name, values in times.items():
        wall = statistics.median(values)
        print(f"| {name} | {wall:.2f} | {wall / measured:.3f} | {wall / base:.3f}x |")


if __name__ == "__main__":
    main()
