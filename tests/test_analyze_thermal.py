"""Thermal throttling told apart from SLC-cache exhaustion, on synthetic drives with known truth.

The drives are drawn at random (analyze/synthetic.py `HotDrive`: first-order
heat, throttling with hysteresis, optionally a cache), never tuned presets.
Through real fio on simulated drives: tests/test_validate_thermal.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nvmeprobe.analyze import analyze_all
from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.thermal import Burst, thermal_finding
from nvmeprobe.discover.thermal_log import (
    ThermalCounters,
    temperature_limit_c,
    thermal_counters,
    throttling_moved,
)

FIXTURES = Path(__file__).parent / "fixtures"
MB = 1e6
CONFIRM_RATE = 0.45


def _hot(rng: np.random.Generator, cached: bool) -> S.HotDrive:
    """A drive that throttles at full rate (cached: a cool one with a cache)."""
    ambient = rng.uniform(25, 45)
    limit = rng.uniform(70, 85)
    span = limit - ambient
    rise = span * (rng.uniform(0.3, 0.8) if cached else rng.uniform(1.1, 3.0))
    full = rng.uniform(500, 3000) * MB
    return S.HotDrive(
        full,
        ambient,
        rise,
        rng.uniform(5, 60),
        limit,
        hysteresis_c=rng.uniform(1, 4),
        throttle_factor=rng.uniform(2, 4),
        cache_bytes=full * rng.uniform(3, 30) if cached else 0.0,
        post_bw=full * rng.uniform(0.05, 0.5) if cached else None,
    )


def _onset_s(drive: S.HotDrive) -> float:
    """When the drive, writing at full rate from ambient, reaches its limit."""
    return -drive.tau_s * np.log(1 - (drive.limit_c - drive.ambient_c) / drive.rise_c)


def _bursts(seed: int, cached: bool, reported: bool, confirm: bool) -> tuple[S.HotDrive, list]:
    rng = np.random.default_rng(seed)
    drive = _hot(rng, cached)
    edge = drive.cache_bytes if cached else drive.full_bw * _onset_s(drive)
    series, temps = drive.burst(rng, edge * rng.uniform(1.6, 2.5))
    bursts = [Burst("burst1", series, temps if reported else None)]
    if confirm:
        rate = CONFIRM_RATE * drive.full_bw
        series, temps = drive.burst(rng, edge * 1.25, rate=rate)
        bursts.append(
            Burst(
                "confirm",
                series,
                temps if reported else None,
                rate_limit=rate,
                latency=series[["t_s", "lat_us"]],
            )
        )
    return drive, bursts


@pytest.mark.parametrize(
    "seeds", [range(12), pytest.param(range(100, 300), marks=pytest.mark.slow)]
)
def test_heat_with_reported_temperature_is_thermal_never_a_cache(seeds):
    for seed in seeds:
        drive, bursts = _bursts(seed, cached=False, reported=True, confirm=False)
        found = thermal_finding(bursts, drive.limit_c)
        assert found.detected is True, f"seed {seed}: {found}"
        assert found.method.startswith("temperature")
        assert found.temperature_c >= drive.limit_c - 3
        if found.drop_is_thermal:  # the drop's edge, where the drive throttled
            assert abs(found.onset_s - _onset_s(drive)) <= 2.0, f"seed {seed}"
        else:  # a throttling too mild to drop 20%: onset where it came near its limit
            assert "no bandwidth drop" in found.method and found.onset_s <= _onset_s(drive) + 1
        out = analyze_all(
            S.sweep_cells(S.random_drive(np.random.default_rng(seed)), np.random.default_rng(seed)),
            {"slc": bursts[0].series},
            bursts=bursts,
            limit_c=drive.limit_c,
        )
        assert out["slc"]["detected"] is False and out["slc"]["cache_bytes"] is None
        if found.drop_is_thermal:
            assert "thermal" in out["slc"]["evidence"]["reason"]


@pytest.mark.parametrize(
    "seeds", [range(12), pytest.param(range(300, 500), marks=pytest.mark.slow)]
)
def test_heat_without_reported_temperature_decided_by_the_slower_burst(seeds):
    decided, dropped = 0, 0
    for seed in seeds:
        drive, bursts = _bursts(seed, cached=False, reported=False, confirm=True)
        found = thermal_finding(bursts, None)
        out = analyze_all(
            S.sweep_cells(S.random_drive(np.random.default_rng(seed)), np.random.default_rng(seed)),
            {"slc": bursts[0].series},
            bursts=bursts,
        )
        assert out["slc"]["detected"] is not True, f"seed {seed}: heat reported as a cache"
        if found.evidence["drop_bytes"] is None:  # throttling too mild to drop 20%
            assert found.detected is False and "no bandwidth drop" in found.method
            continue
        dropped += 1
        assert found.detected is True and found.drop_is_thermal, f"seed {seed}: {found}"
        assert found.rate_after < found.rate_before
        decided += 1
    assert dropped >= len(seeds) * 0.9 and decided == dropped


@pytest.mark.parametrize("reported", [True, False])
def test_cool_cached_drive_is_a_cache_not_heat(reported):
    for seed in range(12):
        drive, bursts = _bursts(seed, cached=True, reported=reported, confirm=not reported)
        found = thermal_finding(bursts, drive.limit_c if reported else None)
        assert found.detected is False and found.drop_is_thermal is False, f"seed {seed}: {found}"
        out = analyze_all(
            S.sweep_cells(S.random_drive(np.random.default_rng(seed)), np.random.default_rng(seed)),
            {"slc": bursts[0].series},
            bursts=bursts,
            limit_c=drive.limit_c if reported else None,
        )
        assert out["slc"]["detected"] is True
        assert out["slc"]["cache_bytes"] == pytest.approx(drive.cache_bytes, rel=0.1)
        assert out["thermal"]["detected"] is False


def test_undecided_drop_is_said_so_and_is_no_cache():
    drive, bursts = _bursts(3, cached=True, reported=False, confirm=False)
    out = analyze_all(
        S.sweep_cells(S.random_drive(np.random.default_rng(3)), np.random.default_rng(3)),
        {"slc": bursts[0].series},
    )
    assert out["thermal"]["detected"] is None and out["thermal"]["method"].startswith("undecided")
    assert out["slc"]["detected"] is None
    assert "not told apart" in out["slc"]["evidence"]["reason"]
    json.dumps(out, allow_nan=False)


def test_confirmation_that_writes_too_little_is_inconclusive():
    drive, bursts = _bursts(4, cached=False, reported=False, confirm=True)
    short = bursts[1].series
    cut = short[short["bytes_written"] <= 0.8 * bursts[1].series["bytes_written"].max() / 1.25]
    found = thermal_finding(
        [bursts[0], Burst("confirm", cut, rate_limit=bursts[1].rate_limit)], None
    )
    assert found.detected is None and "inconclusive" in found.method


def test_thermal_key_on_every_analysis():
    out = analyze_all(
        S.sweep_cells(S.random_drive(np.random.default_rng(0)), np.random.default_rng(0))
    )
    assert set(out["thermal"]) >= {
        "detected",
        "onset_s",
        "onset_bytes",
        "rate_before",
        "rate_after",
        "temperature_c",
        "method",
    }
    assert out["thermal"]["detected"] is None and out["thermal"]["method"].startswith(
        "not measured"
    )
    assert out["slc"]["fill_fraction"] is None


def test_counters_from_real_smart_and_ocp_logs():
    smart = (FIXTURES / "real/smart-log/netdata__netdata__v2.11_nvme-smart-log.json").read_bytes()
    ocp = (
        FIXTURES / "real/ocp-smart-add-log/"
        "opencomputeproject__ocp-diag-autoval-ssd__nvme_ocp_command.json"
    ).read_bytes()
    counters = thermal_counters(smart, ocp)
    assert counters.temperature_c == 51 and counters.transitions == 3
    assert counters.throttled_s == 1474 and counters.warning_temp_min == 0
    assert counters.throttle_events == 0 and counters.throttle_status == 0
    ctrl = FIXTURES / "real/id-ctrl/opencomputeproject__ocp-diag-autoval-ssd__id_ctrl.json"
    assert temperature_limit_c(ctrl.read_bytes()) == 80
    assert thermal_counters(None, None) == ThermalCounters()
    assert not ThermalCounters().reports_anything


def test_throttling_moved():
    before = ThermalCounters(temperature_c=60, transitions=3, throttled_s=10)
    assert (
        throttling_moved(before, ThermalCounters(temperature_c=70, transitions=4, throttled_s=10))
        is True
    )
    assert throttling_moved(before, before) is False
    assert throttling_moved(ThermalCounters(), ThermalCounters(throttle_status=1)) is True
    assert throttling_moved(ThermalCounters(temperature_c=40), ThermalCounters()) is None
    assert throttling_moved(None, before) is None
