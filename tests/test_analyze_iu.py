"""IU / RMW inference on synthetic drives with known IUs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.iu import analyze_iu, infer_iu, iu_load, write_points
from nvmeprobe.errors import InputError


def _expected(drive: S.CostDrive) -> int:
    return max(drive.iu, drive.lba)


def _misses(seeds: range, **kind) -> list[tuple[int, int, int | None]]:
    misses = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        drive = S.random_drive(rng, **kind)
        result = analyze_iu(S.sweep_cells(drive, rng), None, drive.lba)
        expected = drive.lba if kind.get("ideal") else _expected(drive)
        if result.inferred_bytes != expected:
            misses.append((seed, expected, result.inferred_bytes))
    return misses


def test_iu_exact_on_30_random_drives():
    misses = _misses(range(30))
    assert len(misses) <= 1, f"(seed, true IU, inferred) misses: {misses}"


@pytest.mark.parametrize("iops_bound", [False, True])
def test_ideal_device_never_gets_a_large_iu(iops_bound):
    misses = _misses(range(100, 120), ideal=True, iops_bound=iops_bound)
    assert misses == [], f"(seed, LBA, inferred) false IUs: {misses}"


@pytest.mark.slow
def test_iu_exact_on_300_random_drives():
    misses = _misses(range(1000, 1300))
    assert len(misses) <= 15, f"(seed, true IU, inferred) misses: {misses}"


def test_exact_model_gives_full_confidence_and_factors():
    drive = S.CostDrive(iu=16384, lba=4096, program_s=200e-6, rmw_s=50e-6, noise=0.0)
    result = analyze_iu(S.sweep_cells(drive, np.random.default_rng(0)), 16384, 4096)
    assert result.inferred_bytes == 16384 and result.agrees is True and result.warning is None
    assert result.confidence > 0.999
    factors = {(e["bs"], e["offset"]): e for e in result.rmw_amplification}
    # 4 KiB aligned: one partial IU (200+50 us) for 4 KiB vs 200 us per 16 KiB
    assert factors[(4096, 0)]["factor"] == pytest.approx(250 / 50, rel=0.02)
    assert factors[(16384, 0)]["factor"] == pytest.approx(1.0, rel=0.01)
    # 16 KiB at 8 KiB: two IUs, both partial (2*200+2*50) vs 200
    assert factors[(16384, 8192)]["factor"] == pytest.approx(2.5, rel=0.01)
    assert factors[(16384, 8192)]["predicted_waf"] == pytest.approx(2.0)
    assert factors[(1048576, 0)]["predicted_waf"] == pytest.approx(1.0)


def test_mismatch_with_reported_iu_warns_loudly():
    drive = S.CostDrive(iu=65536, lba=512, program_s=300e-6, rmw_s=100e-6, noise=0.05)
    result = analyze_iu(S.sweep_cells(drive, np.random.default_rng(3)), 4096, 512)
    assert result.inferred_bytes == 65536 and result.agrees is False
    assert "MISMATCH" in result.warning and "64 KiB" in result.warning
    assert result.to_dict()["warning"] == result.warning


def test_unknown_reported_iu_gives_agrees_none():
    drive = S.CostDrive(iu=16384, lba=4096, program_s=200e-6, rmw_s=50e-6)
    result = analyze_iu(S.sweep_cells(drive, np.random.default_rng(1)), None, 4096)
    assert result.agrees is None and result.reported_bytes is None and result.warning is None


def test_iu_load_counts_touched_and_partial_ius():
    # every write of 32 KiB at 4 KiB (mod 16 KiB) touches 3 IUs, head and tail partial
    assert iu_load(32768, 4096, 16384) == (3.0, 2.0)
    assert iu_load(16384, 0, 16384) == (1.0, 0.0)
    # 4 KiB writes on a 16 KiB IU: one partially covered IU each
    assert iu_load(4096, 0, 16384) == (1.0, 1.0)
    # 8 KiB at 4 KiB on 16 KiB: starts 4K and 12K; the second straddles
    assert iu_load(8192, 4096, 16384) == (1.5, 1.5)


def test_write_points_picks_one_queue_depth_and_ignores_reads_and_mixed():
    drive = S.CostDrive(iu=16384, lba=4096, program_s=200e-6, rmw_s=50e-6, noise=0.0)
    rng = np.random.default_rng(0)
    deep = S.sweep_cells(drive, rng, iodepth=16)
    shallow = S.sweep_cells(drive, rng, iodepth=1).head(5)
    reads = deep.assign(direction="read", bw_bytes=1.0)
    mixed = deep.assign(rw="randrw", bw_bytes=1.0)
    points, config = write_points(pd.concat([deep, shallow, reads, mixed]))
    assert config["iodepth"] == 16 and len(points) == len(deep)
    assert (points["bw_bytes"] > 1.0).all()


def test_no_random_writes_gives_unknown_iu():
    cells = S.sweep_cells(S.CostDrive(16384, 4096, 2e-4, 5e-5), np.random.default_rng(0))
    result = analyze_iu(cells.assign(rw="write"), 16384, 4096)
    assert result.inferred_bytes is None and result.agrees is None
    assert result.evidence["reason"] == "no random-write cells"


def test_bad_input_raises_input_error():
    with pytest.raises(InputError, match="missing column"):
        analyze_iu(pd.DataFrame({"bs": [4096]}))
    points = pd.DataFrame({"bs": [4096, 6144], "offset": [0, 0], "bw_bytes": [1e6, 1e6]})
    with pytest.raises(InputError, match="multiples of the LBA size"):
        infer_iu(points, lba=4096)
