"""Real drives' confounders on simulated drives, measured by real fio through NBD and judged
against the simulator's truth: heat (with and without reported temperature), dynamic and
short caches, folding, counters that refresh on a period.
"""

from __future__ import annotations

import json
import shutil
import statistics
import threading
import time
from pathlib import Path

import pytest

from nvmeprobe.sim import running_sim
from nvmeprobe.sim.fio import BwLog, mean_rate, run_fio_nbd, sequential_write, step_down

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(shutil.which("fio") is None, reason="fio not installed"),
]

KIB, MIB = 1024, 1024**2
KELVIN = 273
QD = 16  # requests queue in the model, so a descheduled fio does not idle the units


class LogSampler:
    """Reads a running sim's SMART and OCP logs every `every` s, as a thermal watcher would."""

    def __init__(self, sim, every: float = 0.25) -> None:
        self.sim, self.every = sim, every
        self.samples: list[tuple[float, dict | None, dict | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> LogSampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            files = self.sim.capture_files()
            docs = [
                json.loads(files[name]) if name in files else None
                for name in ("smart-log.json", "ocp-smart-add-log.json")
            ]
            self.samples.append((time.monotonic(), *docs))
            self._stop.wait(self.every)


def _heat_burst(sim, workdir: Path, seconds: float, **options) -> dict:
    """A timed sequential write with the logs sampled throughout; returns what it saw,
    times in real seconds from the burst's first write (the simulator's `burst_start_s`)."""
    with LogSampler(sim) as sampler:
        log = sequential_write(
            sim.uri,
            workdir,
            250,
            name="heat",
            size="1g",
            time_based=True,
            runtime=f"{seconds}s",
            iodepth=QD,
            **options,
        )
    stats = sim.stats()
    scale = sim.params.time_scale
    start = stats["clock_t0"] + stats["burst_start_s"] * scale
    onsets = [
        (t - stats["burst_start_s"]) * scale
        for t, throttled, _ in stats["thermal"]["transitions"]
        if throttled
    ]
    samples = [(t - start, smart, ocp) for t, smart, ocp in sampler.samples]
    return {"log": log, "stats": stats, "onsets": onsets, "samples": samples}


def _drop(log: BwLog, threshold: float) -> float:
    """End time of the first bandwidth sample below `threshold` followed by two more."""
    rates = log.rate
    return next(log.time[i] for i in range(1, len(rates)) if max(rates[i : i + 3]) < threshold)


def test_heat_drops_bandwidth_after_a_time_and_the_logs_show_it(tmp_path):
    with running_sim("hot-tlc", tmp_path) as sim:
        seen = _heat_burst(sim, tmp_path, 5.0)
    truth, stats, log = sim.params.truth(), seen["stats"], seen["log"]
    native, heat = truth["native_write_bw"], truth["heat"]
    assert len(seen["onsets"]) == 1 and stats["thermal"]["throttled"]
    onset = seen["onsets"][0]  # real seconds after the burst's first write
    assert onset == pytest.approx(heat["onset_at_full_load_s"], abs=0.15)
    before = [r for t, r in zip(log.time, log.rate) if 0.5 < t < onset - 0.3]
    after = [r for t, r in zip(log.time, log.rate) if t > onset + 0.6]
    assert statistics.median(before) == pytest.approx(native, rel=0.10)
    assert statistics.median(after) == pytest.approx(native / heat["throttle_factor"], rel=0.10)
    assert _drop(log, native * 0.6) == pytest.approx(onset, abs=0.6)
    # the logs, read during the burst as a thermal watcher would, say so
    hot = seen["samples"]
    early = [s for s in hot if s[0] < onset - 0.3]
    late = [s for s in hot if s[0] > onset + 0.3]
    assert early and late, "the control socket must answer during the burst"
    assert all(ocp["Current throttling status"] == 0 for _, _, ocp in early)
    assert all(ocp["Current throttling status"] == 1 for _, _, ocp in late)
    assert all(smart["temperature"] >= heat["throttle_c"] + KELVIN for _, smart, _ in late)
    temps = [smart["temperature"] for t, smart, _ in hot if t < 4.5]  # while fio writes
    assert temps[0] <= 41 + KELVIN and temps == sorted(temps)
    last_smart, last_ocp = hot[-1][1], hot[-1][2]
    assert last_smart["thm_temp1_trans_count"] == 1
    assert last_ocp["Number of Thermal throttling events"] == 1
    assert last_ocp["Max temperature recorded"] >= heat["throttle_c"]


def test_heat_at_half_the_rate_never_throttles(tmp_path):
    with running_sim("hot-tlc", tmp_path) as sim:
        half = sim.params.truth()["native_write_bw"] / 2
        seen = _heat_burst(sim, tmp_path, 5.0, rate=int(half))
    thermal, log = seen["stats"]["thermal"], seen["log"]
    assert thermal["throttle_events"] == 0 and thermal["max_temperature_c"] < 77
    inner = log.rate[1:-1]
    assert statistics.median(inner) == pytest.approx(half, rel=0.05)
    assert min(inner) > 0.85 * half


def test_a_hot_drive_that_reports_nothing_still_throttles(tmp_path):
    with running_sim("hot-tlc-silent", tmp_path) as sim:
        seen = _heat_burst(sim, tmp_path, 4.5)
        files = sim.capture_files()
    native = sim.params.truth()["native_write_bw"]
    assert "smart-log.json" not in files and "ocp-smart-add-log.json" not in files
    assert json.loads(files["id-ctrl.json"])["wctemp"] == 0
    assert all(smart is None and ocp is None for _, smart, ocp in seen["samples"])
    assert len(seen["onsets"]) == 1
    assert _drop(seen["log"], native * 0.6) == pytest.approx(seen["onsets"][0], abs=0.6)


def test_folding_writes_at_three_rates(tmp_path):
    with running_sim("consumer-qlc", tmp_path) as sim:
        truth = sim.params.truth()
        cache, folding = truth["empty_cache_bytes"], truth["folding_bytes"]
        assert sim.stats()["cache_remaining_bytes"] == cache
        log = sequential_write(sim.uri, tmp_path, 50, size=cache + folding + 24 * MIB, iodepth=QD)
        stats = sim.stats()
    in_cache = mean_rate(log, 0.1 * cache, 0.9 * cache)
    during = mean_rate(log, cache + 3 * MIB, cache + folding - 3 * MIB)
    after = mean_rate(log, cache + folding + 3 * MIB, cache + folding + 22 * MIB)
    assert in_cache == pytest.approx(truth["in_cache_write_bw"], rel=0.10)
    assert during == pytest.approx(truth["folding_write_bw"], rel=0.10)
    assert after == pytest.approx(truth["native_write_bw"], rel=0.10)
    assert step_down(log, until=cache + folding) == pytest.approx(cache, rel=0.10)
    assert stats["slc_bytes_written"] == cache and stats["fold_pending_bytes"] == 0


def test_the_cache_shrinks_as_the_drive_fills(tmp_path):
    # consumer-qlc on a quarter-size drive, folding off and a faster native rate: seconds
    spec = "consumer-qlc,capacity=256m,folding=0,prog_us=500"
    with running_sim(spec, tmp_path) as sim:
        truth = sim.params.truth()
        empty = sim.stats()["cache_remaining_bytes"]
        fill = 150 * MIB
        first = sequential_write(sim.uri, tmp_path, 20, name="first", size=fill, iodepth=QD)
        time.sleep(2.0)  # idle: folding refills the cache up to its size at this fill
        state = sim.stats()
        second = sequential_write(
            sim.uri, tmp_path, 20, name="second", size=48 * MIB, offset=fill, iodepth=QD
        )
    limit = state["cache_limit_bytes"]
    assert mean_rate(second, 0.1 * limit, 0.9 * limit) == pytest.approx(
        truth["in_cache_write_bw"], rel=0.10
    )
    assert mean_rate(second, limit + 2 * MIB, 46 * MIB) == pytest.approx(
        truth["native_write_bw"], rel=0.10
    )
    assert empty == truth["empty_cache_bytes"]
    assert state["cache_remaining_bytes"] == state["cache_limit_bytes"]
    assert state["mapped_bytes"] == fill
    assert limit == 8 * MIB + (256 * MIB - fill) // 4 // (16 * KIB) * 16 * KIB
    assert step_down(first) == pytest.approx(empty, rel=0.10)
    assert step_down(second) == pytest.approx(limit, rel=0.10)


def test_a_sub_second_cache_is_seen_with_a_fine_log(tmp_path):
    with running_sim("fast-short", tmp_path) as sim:
        truth = sim.params.truth()
        cache = truth["slc_bytes"]
        log = sequential_write(sim.uri, tmp_path, 10, size=cache + 16 * MIB, iodepth=QD)
    in_cache_s = cache / truth["in_cache_write_bw"]
    assert in_cache_s < 0.5
    high = mean_rate(log, 0.2 * cache, 0.8 * cache)
    low = mean_rate(log, cache + 2 * MIB, cache + 14 * MIB)
    assert high == pytest.approx(truth["in_cache_write_bw"], rel=0.10)
    assert low == pytest.approx(truth["native_write_bw"], rel=0.10)
    assert step_down(log) == pytest.approx(cache, rel=0.10)


def test_counters_in_the_logs_move_only_on_their_refresh(tmp_path):
    # tlc-4k whose logs refresh every 2 s of real time (0.5 s modelled x scale 4)
    with running_sim("tlc-4k,refresh_us=500000", tmp_path) as sim:
        period = sim.params.truth()["refresh_s"]
        t0 = sim.stats()["clock_t0"]
        time.sleep(period - (time.monotonic() - t0) % period + 0.05)  # just after a refresh
        start = time.monotonic()
        run = run_fio_nbd(sim.uri, tmp_path, "short", {"rw": "write", "bs": "128k", "size": "4m"})
        assert run.returncode == 0, run.stderr
        assert time.monotonic() - start < period - 0.1, "the write must end before the refresh"
        stale = sim.capture_files()
        live = sim.stats()
        time.sleep(period - (time.monotonic() - t0) % period + 0.05)  # past the next one
        fresh = sim.capture_files()

    def counts(files: dict) -> tuple:
        smart, ocp = (json.loads(files[n]) for n in ("smart-log.json", "ocp-smart-add-log.json"))
        return int(smart["data_units_written"]), ocp["Physical media units written"]["lo"]

    assert live["host_bytes_written"] == live["media_bytes_written"] == 4 * MIB
    assert counts(stale) == (0, 0) and live["reported"]["host_bytes_written"] == 0
    assert counts(fresh) == (-(-4 * MIB // 512_000), 4 * MIB)
    assert json.loads(stale["smart-log.json"])["temperature"] == 313  # temperature stays live
