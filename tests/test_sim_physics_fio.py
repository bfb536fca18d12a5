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

from fio_bwlog import sequential_write
from nvmeprobe.sim import running_sim

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(shutil.which("fio") is None, reason="fio not installed")]

KIB, MIB = 1024, 1024**2
KELVIN = 273


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
            docs = [json.loads(files[name]) if name in files else None
                    for name in ("smart-log.json", "ocp-smart-add-log.json")]
            self.samples.append((time.monotonic(), *docs))
            self._stop.wait(self.every)


def _heat_burst(sim, workdir: Path, seconds: float, **options) -> dict:
    """A timed sequential write with the logs sampled throughout; returns what it saw."""
    start = time.monotonic()
    with LogSampler(sim) as sampler:
        log = sequential_write(sim, workdir, 250, name="heat", size="1g", time_based=True,
                               runtime=f"{seconds}s", **options)
    stats = sim.stats()
    scale = sim.params.time_scale
    onsets = [stats["clock_t0"] + t * scale - start
              for t, throttled, _ in stats["thermal"]["transitions"] if throttled]
    return {"log": log, "stats": stats, "onsets": onsets, "samples": sampler.samples,
            "start": start}


def _drop(log: dict, threshold: float) -> float:
    """End time of the first bandwidth sample below `threshold` followed by two more."""
    rates = log["rate"]
    return next(log["time"][i] for i in range(1, len(rates))
                if max(rates[i:i + 3]) < threshold)


def test_heat_drops_bandwidth_after_a_time_and_the_logs_show_it(tmp_path):
    with running_sim("hot-tlc", tmp_path) as sim:
        seen = _heat_burst(sim, tmp_path, 5.0)
    truth, stats, log = sim.params.truth(), seen["stats"], seen["log"]
    native, heat = truth["native_write_bw"], truth["heat"]
    assert len(seen["onsets"]) == 1 and stats["thermal"]["throttled"]
    onset = seen["onsets"][0]  # real seconds after the burst began
    assert onset == pytest.approx(heat["onset_at_full_load_s"], abs=0.6)
    before = [r for t, r in zip(log["time"], log["rate"]) if 0.5 < t < onset - 0.3]
    after = [r for t, r in zip(log["time"], log["rate"]) if t > onset + 0.6]
    assert statistics.median(before) == pytest.approx(native, rel=0.10)
    assert statistics.median(after) == pytest.approx(native / heat["throttle_factor"], rel=0.10)
    assert _drop(log, native * 0.6) == pytest.approx(onset, abs=0.6)
    # the logs, read during the burst as a thermal watcher would, say so
    hot = [(t - seen["start"], smart, ocp) for t, smart, ocp in seen["samples"]]
    early = [s for s in hot if s[0] < onset - 0.3]
    late = [s for s in hot if s[0] > onset + 0.3]
    assert early and late, "the control socket must answer during the burst"
    assert all(ocp["Current throttling status"] == 0 for _, _, ocp in early)
    assert all(ocp["Current throttling status"] == 1 for _, _, ocp in late)
    assert all(smart["temperature"] >= heat["throttle_c"] + KELVIN for _, smart, _ in late)
    temps = [smart["temperature"] for t, smart, _ in hot if t < 4.5]  # while fio writes
    assert temps[0] <= 41 + KELVIN and temps == sorted(temps)
    last_smart, last_ocp = hot[-1][1], hot[-1][2]
    assert last_smart["thm_temp1_trans_count"] == 1 == last_ocp["Number of Thermal throttling events"]
    assert last_ocp["Max temperature recorded"] >= heat["throttle_c"]


def test_heat_at_half_the_rate_never_throttles(tmp_path):
    with running_sim("hot-tlc", tmp_path) as sim:
        half = sim.params.truth()["native_write_bw"] / 2
        seen = _heat_burst(sim, tmp_path, 5.0, rate=int(half))
    thermal, log = seen["stats"]["thermal"], seen["log"]
    assert thermal["throttle_events"] == 0 and thermal["max_temperature_c"] < 77
    inner = log["rate"][1:-1]
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
