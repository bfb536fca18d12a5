"""Validation harness: random simulated drives, measured through the real pipeline.

`draw_drive(seed)` draws a drive with an SLC cache (IU 4-128 KiB, cache
size, native rate, cache/native ratio, parallel units, RMW cost, noise up
to 10%); `draw_cacheless(seed)` one without a cache whose IU is its LBA
size. Draws stay where the simulator is exact and cheap (docs/field-notes.md
section 6): at most ~2,500 IU-sized writes per second (the server's CPU),
at most 128 MiB/s in the cache (>= 1 ms per 128 KiB write), IU operations
of 0.3-25 ms of real time (a 1 s cell holds >= 40 completion waves), at
most 8 parallel units (queue depth 16 keeps them all busy, and the in-flight
IO a cell drains at its end stays <= 16 x 1 MiB), and native rates of
>= 5 MiB/s (>= 4 128 KiB writes per 100 ms bandwidth sample).

`measure_drive(drive, workdir)` runs the `validate-sim` plan (burst, idle,
burst, full IU sweep) and then `iu-adaptive` (a fill just past the cache,
then the probes) on two fresh starts of the same drive, each through
`execute_run` into `workdir` and `analyze_profile`, and returns the findings
beside the simulator's truth and its final counters. `measure_all` runs
drives two at a time in worker processes (the runner's signal handling
needs each run in a main thread).

The tests in this file check the draws themselves; tests/test_validate_sims.py
holds the measurements. NVMEPROBE_TEST_SEED=N reproduces one draw.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import nvmeprobe.sim
from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.profile import read_profile
from nvmeprobe.run.execute import RunOptions, execute_run
from nvmeprobe.sim import parse_spec

MIB = 1024 * 1024
LBA = 4096
CAPACITY = 2048 * MIB
SCALE = 4.0  # real seconds per modelled second
MIN_OP_S, MAX_OP_S = 0.3e-3, 25e-3
MAX_UNITS = 8
MAX_IU_OPS_PER_S = 2500
NATIVE_BW = (5 * MIB, 16 * MIB)
CACHE_RATIO = (3.0, 8.0)  # in-cache rate / native rate
CACHE_SECONDS = (4.0, 8.0)  # in-cache phase of the first burst (fio's status lines, which
# stop the second burst on the drop, start ~1 s in)
MAX_CACHE = 512 * MIB
FOLD_DELAY_S = 4.0  # real idle before folding: longer than any gap between cells
IDLE_S = 7.0  # the plan's idle period
POST_CACHE_S = 4.0  # first burst past the cache: >= 16 post-cache samples of 250 ms
RECOVERY_POST_S = 3.0  # second burst's: the recovered cache is smaller, and not judged
CACHELESS_BURST_S = 5.0  # a burst on a drive without a cache: enough bins to see no drop
FILL_MARGIN = 2 * MIB
CELL_S = 1.0
SEED_ENV = "NVMEPROBE_TEST_SEED"


@dataclass(frozen=True)
class SimDrive:
    """One randomly drawn simulated drive and how to measure it."""

    seed: int
    iu: int
    lba: int
    units: int
    native_bw: float  # real bytes/s of IU-aligned writes, all units busy
    cache_ratio: float | None  # None: no SLC cache
    slc_bytes: int
    rmw_fraction: float  # RMW cost per partial IU / program time
    noise: float
    fold_bw: float  # real cache bytes refilled per idle second

    @property
    def program_s(self) -> float:
        """Real seconds one unit spends programming one IU at the native rate."""
        return self.units * self.iu / self.native_bw

    @property
    def iodepth(self) -> int:
        """Queue depth of every cell: at least twice the parallel units."""
        return max(16, 2 * self.units)

    @property
    def target(self) -> str:
        def us(seconds: float) -> str:
            return f"{seconds / SCALE * 1e6:.3f}"

        slc_program = self.program_s / self.cache_ratio if self.cache_ratio else self.program_s
        rmw = self.rmw_fraction * self.program_s
        return "sim:" + ",".join(
            f"{k}={v}"
            for k, v in (
                ("capacity", CAPACITY),
                ("lba", self.lba),
                ("iu", self.iu),
                ("slc", self.slc_bytes),
                ("fold", round(self.fold_bw * SCALE)),
                ("fold_delay_us", us(FOLD_DELAY_S)),
                ("slc_prog_us", us(slc_program)),
                ("prog_us", us(self.program_s)),
                ("rmw_us", us(rmw)),
                ("read_us", us(rmw)),
                ("units", self.units),
                ("scale", SCALE),
                ("noise", f"{self.noise:.4f}"),
                ("seed", self.seed),
            )
        )

    def truth(self) -> dict[str, Any]:
        """The simulator's own derived truth (sim/params.py), not this harness's arithmetic."""
        return parse_spec(self.target).truth()

    def burst_bytes(self, past_cache_s: float = POST_CACHE_S) -> int:
        """Size cap of a burst: the cache plus time past it for the drop to be confirmed."""
        past = past_cache_s if self.slc_bytes else CACHELESS_BURST_S
        return _round_up(self.slc_bytes + int(past * self.native_bw), MIB)

    def validate_overrides(self, cell_s: float = CELL_S) -> list[str]:
        """--set values adapting the `validate-sim` plan to this drive."""
        idle = IDLE_S if self.slc_bytes else 1.0
        return [
            f"iodepth={self.iodepth}",
            f"runtime={cell_s}s",
            f"stage.burst1.size={self.burst_bytes()}",
            f"stage.burst2.size={self.burst_bytes(RECOVERY_POST_S)}",
            f"stage.rest.runtime={idle}s",
        ]

    def adaptive_overrides(self, cell_s: float = CELL_S) -> list[str]:
        """--set values for `iu-adaptive`: a fill just past the cache (a sim has nothing else
        to precondition), the same queue depth and cell time as the sweep."""
        return [
            f"stage.fill.size={self.slc_bytes + FILL_MARGIN}",
            f"iodepth={self.iodepth}",
            f"runtime={cell_s}s",
            "ramp=0s",
        ]

    def describe(self) -> str:
        return f"seed {self.seed}: {self.target}"


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _units(rng: random.Random, iu: int, native_bw: float, ratio: float) -> int:
    """Parallel units (a power of two) keeping every IU operation within [MIN_OP_S, MAX_OP_S]."""
    per_unit = native_bw / iu  # IU operations per second per unit, x units
    low = max(1, math.ceil(MIN_OP_S * ratio * per_unit))
    high = max(low, math.floor(MAX_OP_S * per_unit))
    choices = [u for u in (1, 2, 4, 8) if low <= u <= min(high, MAX_UNITS)]
    return rng.choice(choices or [min(MAX_UNITS, 1 << math.ceil(math.log2(low)))])


def draw_drive(seed: int, cache_seconds: tuple[float, float] = CACHE_SECONDS) -> SimDrive:
    """A drive with an SLC cache; the same seed gives the same drive.

    The IU cycles with the seed (4, 8, ..., 128 KiB), so every 6 consecutive
    seeds cover every IU; everything else is drawn.
    """
    rng = random.Random(seed)
    iu = 4096 << seed % 6
    native = _log_uniform(rng, NATIVE_BW[0], min(NATIVE_BW[1], MAX_IU_OPS_PER_S * iu))
    ratio = _log_uniform(rng, *CACHE_RATIO)
    slc = min(MAX_CACHE, int(ratio * native * rng.uniform(*cache_seconds)))
    slc = max(iu, slc // MIB * MIB // iu * iu)
    return SimDrive(
        seed=seed,
        iu=iu,
        lba=LBA,
        units=_units(rng, iu, native, ratio),
        native_bw=native,
        cache_ratio=ratio,
        slc_bytes=slc,
        rmw_fraction=rng.uniform(0.2, 1.0),
        noise=rng.uniform(0.0, 0.1),
        fold_bw=rng.uniform(0.3, 0.9) * slc / (IDLE_S - FOLD_DELAY_S),
    )


def draw_cacheless(seed: int) -> SimDrive:
    """A drive without an SLC cache whose IU is its LBA size (no RMW to find)."""
    rng = random.Random(seed)
    native = _log_uniform(rng, NATIVE_BW[0], min(NATIVE_BW[1], MAX_IU_OPS_PER_S * LBA))
    return SimDrive(
        seed=seed,
        iu=LBA,
        lba=LBA,
        units=_units(rng, LBA, native, 1.0),
        native_bw=native,
        cache_ratio=None,
        slc_bytes=0,
        rmw_fraction=rng.uniform(0.2, 1.0),
        noise=rng.uniform(0.0, 0.1),
        fold_bw=0.0,
    )


def seeds(count: int, base: int) -> list[int]:
    """`count` seeds from `base`, or only NVMEPROBE_TEST_SEED when it is set."""
    if os.environ.get(SEED_ENV):
        return [int(os.environ[SEED_ENV])]
    return [base + i for i in range(count)]


# -- measuring --------------------------------------------------------------------------


@contextmanager
def _final_counters(into: list[dict]) -> Iterator[None]:
    """Record the simulator's counters just before each sim started by a run stops."""
    real = nvmeprobe.sim.running_sim

    @contextmanager
    def recording(spec: str, workdir: Path) -> Iterator[Any]:
        with real(spec, workdir) as handle:
            try:
                yield handle
            finally:
                into.append(handle.stats())

    with mock.patch.object(nvmeprobe.sim, "running_sim", recording):
        yield


def run_plan(target: str, plan: str, overrides: list[str], workdir: Path) -> dict[str, Any]:
    """One run through execute_run, analysed with analyze_profile; a sim's final counters too."""
    counters: list[dict] = []
    started = time.monotonic()
    with _final_counters(counters):
        summary = execute_run(
            RunOptions(
                target=target,
                plan=plan,
                overrides=tuple(overrides),
                results_dir=workdir / "results",
                profiles_dir=workdir / "profiles",
            )
        )
    profile = read_profile(summary.profile)
    writes = profile.cells[
        (profile.cells["direction"] == "write") & (profile.cells["rw"] == "randwrite")
    ]
    return {
        "findings": analyze_profile(profile),
        "sim": counters[-1] if counters else None,
        "random_write_bytes": int(writes["host_bytes_written"].sum()),
        "random_write_cells": int(writes["cell"].nunique()),
        "seconds": round(time.monotonic() - started, 1),
    }


FULL, ADAPTIVE = "full", "adaptive"


def measure_drive(
    drive: SimDrive,
    workdir: Path,
    runs: tuple[str, ...] = (FULL, ADAPTIVE),
    cell_s: float = CELL_S,
    sweep: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The full sweep and/or the adaptive search, each on a fresh start of `drive`.

    `sweep`: more --set values for the full plan (e.g. a shorter bs list).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"seed": drive.seed, "target": drive.target, "truth": drive.truth()}
    if FULL in runs:
        result[FULL] = run_plan(
            drive.target,
            "validate-sim",
            drive.validate_overrides(cell_s) + list(sweep),
            workdir / FULL,
        )
    if ADAPTIVE in runs:
        result[ADAPTIVE] = run_plan(
            drive.target, "iu-adaptive", drive.adaptive_overrides(cell_s), workdir / ADAPTIVE
        )
    return result


def _measure_one(
    args: tuple[SimDrive, Path, tuple[str, ...], float, tuple[str, ...]],
) -> dict[str, Any]:
    drive = args[0]
    try:
        return measure_drive(*args)
    except Exception as err:  # reported per drive, with its seed, by the caller
        return {"seed": drive.seed, "target": drive.target, "error": f"{type(err).__name__}: {err}"}


def measure_all(
    jobs: list[tuple[SimDrive, tuple[str, ...]]],
    workdir: Path,
    cell_s: float = CELL_S,
    sweep: tuple[str, ...] = (),
    parallel: int = 2,
) -> list[dict[str, Any]]:
    """measure_drive for every (drive, runs), `parallel` at a time in worker processes, in order."""
    args = [(drive, workdir / f"seed-{drive.seed}", runs, cell_s, sweep) for drive, runs in jobs]
    with ProcessPoolExecutor(max_workers=parallel, mp_context=get_context("fork")) as pool:
        return list(pool.map(_measure_one, args))


# -- judging ------------------------------------------------------------------------------


def _relative_error(measured: float | None, truth: float | None) -> float | None:
    if measured is None or not truth:
        return None
    return abs(measured / truth - 1.0)


def judge_drive(result: dict[str, Any]) -> dict[str, Any]:
    """Per-drive figures: IU answers, relative errors of cache, rates and WAF, bytes ratio."""
    truth, full, search = result["truth"], result.get(FULL), result.get(ADAPTIVE)
    figures: dict[str, Any] = {
        "seed": result["seed"],
        "iu": truth["iu_bytes"],
        "error": result.get("error"),
    }
    if full:
        found = full["findings"]
        sim = full["sim"]
        slc = found["slc"]
        figures.update(
            iu_full=found["iu"]["inferred_bytes"],
            slc_detected=slc["detected"],
            cache_err=_relative_error(slc["cache_bytes"], truth["slc_bytes"]),
            in_cache_err=_relative_error(slc["in_cache_bw"], truth["in_cache_write_bw"]),
            post_cache_err=_relative_error(slc["post_cache_bw"], truth["native_write_bw"]),
            waf_err=_relative_error(
                found["waf"]["measured"], sim["media_bytes_written"] / sim["host_bytes_written"]
            ),
        )
    if search:
        figures["iu_adaptive"] = search["findings"]["iu"]["inferred_bytes"]
        figures["probes"] = search["random_write_cells"]
    if full and search:
        figures["bytes_ratio"] = search["random_write_bytes"] / full["random_write_bytes"]
    return figures


def summarise(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, exact-IU shares and the worst errors over all drives (for the report)."""
    ok = [f for f in figures if not f["error"]]

    def share(key: str, want: str = "iu") -> float | None:
        rows = [f for f in ok if key in f]
        return sum(f[key] == f[want] for f in rows) / len(rows) if rows else None

    def worst(key: str) -> float | None:
        values = [f[key] for f in ok if f.get(key) is not None]
        return max(values) if values else None

    ratios = sorted(f["bytes_ratio"] for f in ok if "bytes_ratio" in f)
    return {
        "drives": len(figures),
        "errors": {f["seed"]: f["error"] for f in figures if f["error"]},
        "iu_exact_share": share("iu_full"),
        "adaptive_exact_share": share("iu_adaptive"),
        "adaptive_same_share": share("iu_adaptive", "iu_full")
        if any("iu_full" in f for f in ok)
        else None,
        "bytes_ratio_max": ratios[-1] if ratios else None,
        "bytes_ratio_median": ratios[len(ratios) // 2] if ratios else None,
        "cache_err_max": worst("cache_err"),
        "in_cache_err_max": worst("in_cache_err"),
        "post_cache_err_max": worst("post_cache_err"),
        "waf_err_max": worst("waf_err"),
    }


# -- the draws themselves ---------------------------------------------------------------


def test_draws_stay_where_the_simulator_is_exact():
    for drive in [draw(seed) for seed in range(200) for draw in (draw_drive, draw_cacheless)]:
        params = parse_spec(drive.target)  # a valid spec
        truth = drive.truth()
        assert truth["native_write_bw"] == pytest.approx(drive.native_bw, rel=1e-3), (
            drive.describe()
        )
        op_times = [params.program_time * SCALE]
        if drive.cache_ratio:
            op_times.append(params.slc_program_time * SCALE)
            assert truth["in_cache_write_bw"] == pytest.approx(
                drive.cache_ratio * drive.native_bw, rel=1e-3
            ), drive.describe()
        assert min(op_times) >= MIN_OP_S * 0.999, drive.describe()
        assert max(op_times) + params.rmw_time * SCALE <= 2 * MAX_OP_S, drive.describe()
        assert drive.native_bw / drive.iu <= MAX_IU_OPS_PER_S * 1.001, drive.describe()
        assert drive.iodepth >= 2 * drive.units and drive.units <= MAX_UNITS
        assert drive.burst_bytes() <= CAPACITY // 2


def test_draws_cover_every_iu_and_are_reproducible():
    drives = [draw_drive(seed) for seed in range(60)]
    assert {d.iu for d in drives[:6]} == {4096 << k for k in range(6)}
    assert all(4096 <= d.iu <= 128 * 1024 and d.slc_bytes > 0 for d in drives)
    assert max(d.noise for d in drives) > 0.09
    assert draw_drive(7) == draw_drive(7) and draw_drive(7) != draw_drive(8)
    assert all(draw_cacheless(s).slc_bytes == 0 and draw_cacheless(s).iu == LBA for s in range(20))
