"""Benchmark the simulated drives through fio's nbd engine; prints markdown tables.

1. Ceilings: 4 KiB random writes and reads at zero modelled latency, QD1 and
   QD16, on nvmeprobe's NBD server and, for comparison, on nbdkit's Python
   plugin holding the same data in a dict (the alternative docs/design.md names).
2. Waiting: every request takes 1 ms with 16 parallel units (16,000 IOPS
   modelled) at QD32; nbdkit's plugin sleeps 1 ms per request on its threads.
Each ceiling is the median of --repeats runs: on a 2-core VM, fio and the
server share the CPUs and single runs at zero latency vary by up to 2x.
3. Model error at the presets' scales: QD1 latency of IU-sized aligned writes
   and reads (fio's mean and median completion latency against the modelled
   service time), and the service time per request implied by throughput at
   twice as many requests in flight as units, against the model.

Usage: .venv/bin/python bench/bench_sim.py [--seconds 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

from nvmeprobe.sim import running_sim
from nvmeprobe.sim.fio import run_fio_nbd
from nvmeprobe.sim.model import write_unit_time
from nvmeprobe.sim.presets import IDEALISED

ZERO_LATENCY = "iu=4k,prog_us=0,slc_prog_us=0,rmw_us=0,read_us=0,units=16,scale=1"
ONE_MS = "iu=4k,prog_us=1000,read_us=1000,units=16,scale=1"

NBDKIT_PLUGIN = textwrap.dedent("""
    import time
    import nbdkit

    API_VERSION = 2
    SIZE = 1 << 30
    SLEEP = 0.0
    blocks = {}

    def config(key, value):
        global SLEEP
        if key == "sleep_us":
            SLEEP = float(value) / 1e6

    def thread_model():
        return nbdkit.THREAD_MODEL_PARALLEL

    def open(readonly):
        return 1

    def get_size(h):
        return SIZE

    def pread(h, buf, offset, flags):
        if SLEEP:
            time.sleep(SLEEP)
        buf[:] = blocks.get(offset, bytes(len(buf)))[:len(buf)]

    def pwrite(h, buf, offset, flags):
        if SLEEP:
            time.sleep(SLEEP)
        blocks[offset] = bytes(buf)
""")


@contextmanager
def nbdkit_python(workdir: Path, sleep_us: float):
    """nbdkit's Python plugin on a unix socket; yields its URI."""
    script = workdir / "plugin.py"
    script.write_text(NBDKIT_PLUGIN)
    sock = workdir / "nbdkit.sock"
    sock.unlink(missing_ok=True)  # nbdkit leaves its socket behind when terminated
    proc = subprocess.Popen(
        [
            "nbdkit",
            "--foreground",
            "--exit-with-parent",
            "--threads",
            "32",
            "-U",
            str(sock),
            "python",
            str(script),
            f"sleep_us={sleep_us}",
        ]
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("nbdkit did not start")
            time.sleep(0.02)
        yield f"nbd+unix:///?socket={sock}"
    finally:
        proc.terminate()
        proc.wait(10)


def _iops(uri: str, workdir: Path, rw: str, qd: int, seconds: float, repeats: int) -> float:
    """Median IOPS of `repeats` time-based 4 KiB runs."""
    direction = "write" if "write" in rw else "read"
    runs = [
        run_fio_nbd(
            uri,
            workdir,
            f"{rw}-{qd}",
            {
                "rw": rw,
                "bs": "4k",
                "iodepth": qd,
                "size": "256m",
                "runtime": seconds,
                "time_based": True,
                "ramp_time": 0.5,
            },
        ).job[direction]["iops"]
        for _ in range(repeats)
    ]
    return statistics.median(runs)


def ceilings(workdir: Path, seconds: float, repeats: int) -> list[str]:
    """Table rows: zero-latency and 1 ms ceilings, nvmeprobe server vs nbdkit Python plugin."""
    rows = []
    for label, spec, sleep_us, cells in (
        (
            "zero latency",
            ZERO_LATENCY,
            0,
            [("randwrite", 1), ("randwrite", 16), ("randread", 1), ("randread", 16)],
        ),
        ("1 ms, 16 units (16,000 modelled)", ONE_MS, 1000, [("randwrite", 32)]),
    ):
        with running_sim(spec, workdir) as sim:
            ours = [_iops(sim.uri, workdir, rw, qd, seconds, repeats) for rw, qd in cells]
        with nbdkit_python(workdir, sleep_us) as uri:
            theirs = [_iops(uri, workdir, rw, qd, seconds, repeats) for rw, qd in cells]
        for (rw, qd), a, b in zip(cells, ours, theirs):
            rows.append(f"| {label} | 4k {rw} | {qd} | {a:,.0f} | {b:,.0f} |")
    return rows


def preset_errors(workdir: Path) -> list[str]:
    """Table rows: modelled vs measured latency and service time on each preset."""
    rows = []
    for name in IDEALISED:  # the presets whose service times the table compares
        with running_sim(name, workdir) as sim:
            p = sim.params
            in_cache = p.slc_bytes > 0
            unit = write_unit_time(p, 0, p.iu, in_cache)
            count = max(50, round(0.5 / unit))
            write = run_fio_nbd(
                sim.uri,
                workdir,
                f"{name}-w1",
                {
                    "rw": "randwrite",
                    "bs": p.iu,
                    "iodepth": 1,
                    "size": "64m",
                    "io_size": count * p.iu,
                },
            )
            read = run_fio_nbd(
                sim.uri,
                workdir,
                f"{name}-r1",
                {
                    "rw": "randread",
                    "bs": p.iu,
                    "iodepth": 1,
                    "size": "64m",
                    "io_size": max(50, round(0.5 / (p.read_time * p.time_scale))) * p.iu,
                },
            )
            qd = 2 * p.units
            busy = run_fio_nbd(
                sim.uri,
                workdir,
                f"{name}-wq",
                {
                    "rw": "randwrite",
                    "bs": p.iu,
                    "iodepth": qd,
                    "size": "64m",
                    "io_size": max(4 * qd, round(0.5 * p.units / unit)) * p.iu,
                },
            )
            stats = sim.stats()
        assert not in_cache or stats["slc_bytes_written"] == stats["media_bytes_written"]
        for label, run, direction, modelled in (
            ("write QD1", write, "write", unit),
            ("read QD1", read, "read", p.read_time * p.time_scale),
        ):
            clat = run.job[direction]["clat_ns"]
            mean, p50 = clat["mean"] / 1e3, clat["percentile"]["50.000000"] / 1e3
            rows.append(
                f"| {name} | {label} latency | {modelled * 1e6:,.0f} | {mean:,.0f} | {p50:,.0f} "
                f"| {mean - modelled * 1e6:+,.0f} ({(mean / (modelled * 1e6) - 1) * 100:+.1f}%) |"
            )
        service = 1e6 / busy.job["write"]["iops"]
        modelled = unit / p.units * 1e6
        rows.append(
            f"| {name} | write QD{qd}: 1/IOPS | {modelled:,.0f} | {service:,.0f} | - "
            f"| {service - modelled:+,.0f} ({(service / modelled - 1) * 100:+.1f}%) |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="runtime of each ceiling cell")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per ceiling cell (median kept)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        workdir = Path(tmp)
        print("### IOPS ceilings through fio's nbd engine\n")
        print("| service | job | QD | nvmeprobe sim IOPS | nbdkit python plugin IOPS |")
        print("|---|---|---|---|---|")
        for row in ceilings(workdir, args.seconds, args.repeats):
            print(row, flush=True)
        print("\n### Modelled vs measured at the presets' scales (us)\n")
        print("| preset | measure | modelled | measured mean | measured p50 | error (mean) |")
        print("|---|---|---|---|---|---|")
        for row in preset_errors(workdir):
            print(row, flush=True)


if __name__ == "__main__":
    main()
