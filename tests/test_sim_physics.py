"""The simulated drive's real-drive physics, pure and fast: heat and throttling, dynamic and
short caches, folding, counters that refresh on a period, drives that report nothing.

Parameters are drawn at random per run (seed printed on failure; NVMEPROBE_TEST_SEED
repeats one) and each behaviour is judged against its closed form.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random

import pytest

from nvmeprobe.sim.identity import capture_files
from nvmeprobe.sim.model import DriveModel
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.spec import parse_spec
from nvmeprobe.sim.thermal import WINDOWS_PER_TAU, Thermal, time_above

KIB, MIB = 1024, 1024**2
SEED = int(os.environ.get("NVMEPROBE_TEST_SEED") or random.SystemRandom().randrange(10**6))


def _hot_spec(rng: random.Random) -> str:
    """A random drive that throttles at full load: heat, time constant, limits, factor, units."""
    throttle = rng.uniform(60, 90)
    ambient = rng.uniform(20, 45)
    rise = (throttle - ambient) / rng.uniform(0.55, 0.9)  # throttles above 55-90% load
    return (
        f"iu=4k,units={rng.randint(1, 8)},prog_us={rng.randint(50, 400)},scale=1,"
        f"heat={rise:.3f},heat_tau_us={rng.randint(20_000, 200_000)},ambient_c={ambient:.3f},"
        f"throttle_c={throttle:.3f},throttle_hyst_c={rng.uniform(0.5, 4):.3f},"
        f"throttle_x={rng.uniform(1.5, 5):.3f},wctemp_c={throttle:.3f},"
        f"cctemp_c={throttle + 8:.3f}"
    )


def _closed_loop(model: DriveModel, until: float, qd: int) -> list[float]:
    """Completion times of IU writes kept `qd` in flight until model time `until`."""
    iu, done = model.params.iu, []
    flight = [model.write(i * iu, iu, 0.0) for i in range(qd)]
    heapq.heapify(flight)
    n = qd
    while flight[0] < until:
        t = heapq.heappop(flight)
        done.append(t)
        heapq.heappush(flight, model.write((n % 1000) * iu, iu, t))
        n += 1
    return done


def _rate(done: list[float], start: float, end: float) -> float:
    return sum(start <= t < end for t in done) / (end - start)


def test_full_load_throttles_after_the_modelled_onset_and_costs_rise_by_the_factor():
    rng = random.Random(SEED)
    for _ in range(5):
        params = parse_spec(_hot_spec(rng))
        model = DriveModel(params)
        onset = params.onset_at(1.0)
        slow = params.program_time * params.throttle_factor / params.units  # per IU, throttled
        end = onset + max(onset, 500 * slow)  # >= 500 throttled IUs to judge the rate by
        done = _closed_loop(model, end, 2 * params.units)
        log = model.thermal.log
        first = log.transitions[0]
        slack = 2 * params.heat_tau / WINDOWS_PER_TAU + 2 * params.program_time
        assert first[1] and first[0] == pytest.approx(onset, abs=slack), f"seed {SEED}"
        assert log.throttle_events == 1 and log.throttled, f"seed {SEED}: stays throttled"
        full = params.units / params.program_time
        assert _rate(done, 0.1 * onset, 0.9 * onset) == pytest.approx(full, rel=0.02)
        after = onset + slack + 4 * slow
        assert _rate(done, after, end) == pytest.approx(full / params.throttle_factor, rel=0.02), (
            f"seed {SEED}"
        )
        assert log.throttled_s == pytest.approx(end - first[0], abs=slack)
        assert log.max_temperature_c <= params.ambient_c + params.heat_rise + 1e-9


def test_a_load_below_the_throttling_load_never_throttles():
    rng = random.Random(SEED)
    for _ in range(5):
        params = parse_spec(_hot_spec(rng))
        model = DriveModel(params)
        share = params.truth()["heat"]["throttling_load"] * rng.uniform(0.5, 0.9)
        gap = params.program_time / (params.units * share)  # open loop: one IU per gap
        t = 0.0
        while t < 10 * params.heat_tau:
            model.write(0, params.iu, t)
            t += gap
        log = model.thermal.log
        assert log.throttle_events == 0 and not log.throttled, f"seed {SEED}"
        expected = params.ambient_c + params.heat_rise * share
        assert log.temperature_c == pytest.approx(expected, abs=0.05 * params.heat_rise)


def test_temperature_follows_the_first_order_law_and_idle_cools_below_the_hysteresis():
    rng = random.Random(SEED)
    params = parse_spec(_hot_spec(rng))
    thermal = Thermal(params)
    tau, window = params.heat_tau, thermal.window
    load = rng.uniform(0.2, 1.0)
    windows = rng.randint(5, 60)
    span = windows * window
    for k in range(windows):  # every unit busy `load` of every window
        for _ in range(params.units):
            thermal.add_busy(k * window, (k + load) * window)
    thermal.advance(span + window / 2)  # windows that ended by then
    target = params.ambient_c + params.heat_rise * load
    expected = target + (params.ambient_c - target) * math.exp(-span / tau)
    assert thermal.log.temperature_c == pytest.approx(expected, rel=1e-3, abs=0.2), f"seed {SEED}"
    # heat to the limit at full load, then idle: throttling ends at throttle_c - hysteresis
    hot = Thermal(params)
    onset = params.onset_at(1.0) / params.time_scale
    end = math.ceil(1.5 * onset / window) * window
    for _ in range(params.units):
        hot.add_busy(0.0, end)
    hot.advance(end + window / 2)
    assert hot.log.throttled and hot.log.throttle_events == 1
    peak = hot.log.temperature_c
    hot.advance(end + 20 * tau)
    cool = params.throttle_c - params.throttle_hyst_c
    when, throttled, _ = hot.log.transitions[-1]
    assert not throttled and not hot.log.throttled
    assert when - end == pytest.approx(
        tau * math.log((peak - params.ambient_c) / (cool - params.ambient_c)), rel=1e-6
    )
    assert hot.log.temperature_c == pytest.approx(params.ambient_c, abs=1e-6 * params.heat_rise)


def test_time_above_a_limit_matches_numeric_integration():
    rng = random.Random(SEED)
    for _ in range(200):
        start, target, limit = (rng.uniform(20, 100) for _ in range(3))
        tau, length = rng.uniform(0.1, 2), rng.uniform(0.01, 5)
        steps = 20_000
        numeric = (
            sum(
                target + (start - target) * math.exp(-(i + 0.5) * length / steps / tau) >= limit
                for i in range(steps)
            )
            * length
            / steps
        )
        assert time_above(start, target, limit, length, tau) == pytest.approx(
            numeric, abs=2 * length / steps
        ), f"seed {SEED}"


def test_a_hot_drive_reports_what_a_drive_reports():
    params = parse_spec(
        "iu=4k,units=2,prog_us=100,scale=1,heat=50,heat_tau_us=20000,"
        "ambient_c=30,throttle_c=70,throttle_hyst_c=2,wctemp_c=70,cctemp_c=75"
    )
    model = DriveModel(params)
    _closed_loop(model, 0.5, 4)
    state = {**model.snapshot(0.5), "stored_bytes": 0, "model_time_s": 0.5}
    files = capture_files(params, state)
    ctrl = json.loads(files["id-ctrl.json"])
    smart = json.loads(files["smart-log.json"])
    ocp = json.loads(files["ocp-smart-add-log.json"])
    log = model.thermal.log
    assert (ctrl["wctemp"], ctrl["cctemp"], ctrl["hctma"], ctrl["mxtmt"]) == (343, 348, 1, 343)
    assert smart["temperature"] == round(log.temperature_c) + 273 == 80 + 273
    assert smart["critical_warning"] == 2  # above cctemp
    assert smart["thm_temp1_trans_count"] == 1 == ocp["Number of Thermal throttling events"]
    assert smart["thm_temp1_total_time"] == int(log.throttled_s) == 0  # under a modelled second
    assert ocp["Current throttling status"] == 1 and ocp["Max temperature recorded"] == 80
    assert smart["warning_temp_time"] == 0 and smart["critical_comp_time"] == 0
    assert log.warning_s > log.critical_s > 0


def test_a_drive_reporting_nothing_has_no_logs_and_no_thresholds():
    params = parse_spec("preset=tlc-4k,report=none,heat=60")
    files = capture_files(
        params, {**DriveModel(params).snapshot(0.0), "stored_bytes": 0, "model_time_s": 0.0}
    )
    assert "smart-log.json" not in files and "ocp-smart-add-log.json" not in files
    ctrl = json.loads(files["id-ctrl.json"])
    assert (ctrl["wctemp"], ctrl["cctemp"], ctrl["hctma"]) == (0, 0, 0)
    assert params.truth()["reports"] == "none"


def test_drives_without_the_new_behaviours_keep_their_serial_and_captures():
    plain = parse_spec("tlc-4k")
    off = parse_spec(
        "preset=tlc-4k,heat=0,slc_free=0,folding=0,refresh_us=0,report=all,"
        "ambient_c=40,throttle_c=77,wctemp_c=70,cctemp_c=80,throttle_x=3"
    )
    assert off.serial == plain.serial == "NPS29781F7F472ACC958"
    files = capture_files(
        plain, {**DriveModel(plain).snapshot(0.0), "stored_bytes": 0, "model_time_s": 0.0}
    )
    smart = json.loads(files["smart-log.json"])
    ctrl = json.loads(files["id-ctrl.json"])
    assert smart["temperature"] == 313 and (ctrl["wctemp"], ctrl["cctemp"]) == (343, 353)
    assert DriveModel(plain).thermal is None
    assert isinstance(plain, DriveParams)


# Caches that shrink as the drive fills, and folding.


def test_the_cache_limit_is_the_static_part_plus_a_share_of_the_free_space():
    rng = random.Random(SEED)
    iu = rng.choice([4, 8, 16, 64]) * KIB
    capacity = rng.randint(64, 512) * iu
    static, share = rng.randint(0, 16) * iu, rng.uniform(0.05, 1)
    model = DriveModel(
        parse_spec(f"lba=4096,iu={iu},capacity={capacity},slc={static},slc_free={share}")
    )
    mapped: set[int] = set()

    def limit(free: int) -> int:
        return static + int(share * free) // iu * iu

    assert model.cache_remaining == limit(capacity)
    for _ in range(300):
        offset = rng.randrange(0, capacity // 4096) * 4096
        length = min(capacity - offset, rng.randint(1, 40) * 4096)
        if rng.random() < 0.75:
            model.write(offset, length, 0.0)
            mapped.update(range(offset // iu, -(-(offset + length) // iu)))
        else:  # only IUs wholly inside a trim become free
            model.trim(offset, length, 0.0)
            mapped.difference_update(range(-(-offset // iu), (offset + length) // iu))
        free = capacity - len(mapped) * iu
        assert model.cache_limit() == limit(free), f"seed {SEED}"
    state = model.snapshot(1e6)  # a long idle refills the cache up to the limit at this fill
    assert state["mapped_bytes"] == len(mapped) * iu
    assert state["cache_remaining_bytes"] == state["cache_limit_bytes"] == model.cache_limit()


def test_a_burst_writes_what_was_in_cache_whatever_it_fills_and_idle_refills_to_the_fill():
    rng = random.Random(SEED)
    iu = 16 * KIB
    capacity, static = rng.randint(256, 1024) * iu, rng.randint(4, 32) * iu
    share = rng.uniform(0.2, 0.6)
    model = DriveModel(
        parse_spec(
            f"lba=4096,iu=16k,capacity={capacity},slc={static},slc_free={share},units=1,fold=1g"
        )
    )
    empty = static + int(share * capacity) // iu * iu
    fill = rng.randint(empty // iu + 1, capacity // iu - 1)  # writes past the empty cache
    for i in range(fill):
        model.write(i * iu, iu, 0.0)
    assert model.counters.slc_bytes_written == empty, f"seed {SEED}"
    limit = static + int(share * (capacity - fill * iu)) // iu * iu
    assert model.snapshot(1e3)["cache_remaining_bytes"] == limit < empty


def test_folding_runs_three_rates_and_idle_works_off_the_folding_first():
    rng = random.Random(SEED)
    cache, folding = rng.randint(2, 20), rng.randint(1, 20)  # in IUs
    slc_us, fold_us, prog_us = rng.randint(50, 200), rng.randint(900, 2000), rng.randint(300, 800)
    fold_rate = rng.randint(1, 8) * 16 * KIB  # bytes per modelled second
    model = DriveModel(
        parse_spec(
            f"iu=16k,units=1,slc={cache * 16}k,folding={folding * 16}k,slc_prog_us={slc_us},"
            f"fold_prog_us={fold_us},prog_us={prog_us},fold={fold_rate},fold_delay_us=1000"
        )
    )
    t, costs = 0.0, []
    for i in range(cache + folding + 5):
        done = model.write(i * 16 * KIB, 16 * KIB, t)
        costs.append(round((done - t) * 1e6))
        t = done
    assert costs == [slc_us] * cache + [fold_us] * folding + [prog_us] * 5, f"seed {SEED}"
    assert model.fold_pending == 0
    # a second exhaustion folds again; idle then works off what is pending before refilling
    model = DriveModel(model.params)
    t = 0.0
    for i in range(cache + 1):
        t = model.write(i * 16 * KIB, 16 * KIB, t)
    pending = model.fold_pending
    assert pending == (folding - 1) * 16 * KIB
    half = t + 1e-3 + pending / 2 / fold_rate
    state = model.snapshot(half)
    assert state["fold_pending_bytes"] == pytest.approx(pending / 2, abs=1)
    assert state["cache_remaining_bytes"] == 0
    later = t + 1e-3 + (pending + 3 * 16 * KIB) / fold_rate
    state = model.snapshot(later)
    assert state["fold_pending_bytes"] == 0
    assert state["cache_remaining_bytes"] == min(cache, 3) * 16 * KIB


# Counters that refresh on a period.


def test_reported_counters_are_the_counters_at_the_last_refresh():
    rng = random.Random(SEED)
    refresh = rng.uniform(0.01, 0.2)
    model = DriveModel(parse_spec(f"iu=4k,refresh_us={refresh * 1e6}"))
    history = [(0.0, 0, 0)]  # (time, host bytes, unaligned starts) after each write
    t = 0.0
    for _ in range(400):
        t += rng.expovariate(1 / (refresh / 5))
        offset = rng.randrange(0, 1000) * 512 * rng.choice([1, 8])
        model.write(offset, 4096, t)
        c = model.counters
        history.append((t, c.host_bytes_written, c.unaligned_starts))
        probe = t = t + rng.uniform(0, refresh / 5)  # time only moves forward
        shown = model.snapshot(probe)["reported"]
        tick = (probe // refresh) * refresh
        expected = [h for h in history if h[0] < tick or (h[0] == 0 and tick == 0)][-1]
        assert (shown["host_bytes_written"], shown["unaligned_starts"]) == expected[1:], (
            f"seed {SEED}"
        )
    live = DriveModel(parse_spec("iu=4k"))
    live.write(0, 4096, 0.0)
    assert live.snapshot(0.0)["reported"]["host_bytes_written"] == 4096
