"""Adaptive IU search: same answer as the full sweep, a fraction of the bytes."""

from __future__ import annotations

import numpy as np
import pytest

from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.iu import analyze_iu
from nvmeprobe.analyze.iu_adaptive import Point, Probe, coarse_sizes, infer_from_points, next_probe
from nvmeprobe.errors import InputError

CELL_RUNTIME_S = 10.0  # equal runtime per cell: bytes written = bw x runtime
CELL_SIZE = 1 << 30  # equal size per cell: bytes written = size


def _search(drive: S.CostDrive, rng: np.random.Generator) -> list[Point]:
    points: list[Point] = []
    while (probe := next_probe(points, drive.lba, S.MIB)) is not None:
        assert (probe.bs, probe.offset) not in {(p.bs, p.offset) for p in points}
        bw = drive.bw(probe.bs, probe.offset, rng)
        points.append(Point(probe.bs, probe.offset, bw, int(bw * CELL_RUNTIME_S)))
    return points


def _compare(seed: int, **kind) -> tuple[int | None, int | None, float, float]:
    """(full-sweep IU, adaptive IU, bytes ratio at equal runtime, at equal size)."""
    rng = np.random.default_rng(seed)
    drive = S.random_drive(rng, **kind)
    cells = S.sweep_cells(drive, rng)
    full = analyze_iu(cells, None, drive.lba).inferred_bytes
    points = _search(drive, rng)
    adaptive = infer_from_points(points, None, drive.lba).inferred_bytes
    runtime_ratio = sum(p.bytes_written for p in points) / (
        cells["bw_bytes"].sum() * CELL_RUNTIME_S
    )
    size_ratio = len(points) * CELL_SIZE / (len(cells) * CELL_SIZE)
    return full, adaptive, runtime_ratio, size_ratio


@pytest.mark.parametrize(
    "seeds", [range(30), pytest.param(range(500, 700), marks=pytest.mark.slow)]
)
def test_adaptive_matches_full_sweep_with_at_most_30_percent_of_the_bytes(seeds):
    for seed in seeds:
        full, adaptive, runtime_ratio, size_ratio = _compare(seed)
        assert adaptive == full, f"seed {seed}: full sweep {full}, adaptive {adaptive}"
        assert runtime_ratio <= 0.30, f"seed {seed}: {runtime_ratio:.2f} of the bytes (runtime)"
        assert size_ratio <= 0.30, f"seed {seed}: {size_ratio:.2f} of the bytes (size)"


@pytest.mark.parametrize("iops_bound", [False, True])
def test_adaptive_on_ideal_devices_finds_no_iu(iops_bound):
    for seed in range(200, 220):
        full, adaptive, runtime_ratio, size_ratio = _compare(
            seed, ideal=True, iops_bound=iops_bound
        )
        assert adaptive == full, f"seed {seed}: full sweep {full}, adaptive {adaptive}"
        assert size_ratio < 0.5 and runtime_ratio < 0.5, f"seed {seed}"


def test_policy_is_pure_and_resumable():
    drive = S.CostDrive(iu=65536, lba=4096, program_s=300e-6, rmw_s=100e-6, noise=0.0)
    points = _search(drive, np.random.default_rng(1))
    for cut in range(len(points)):
        again = next_probe(points[:cut], drive.lba, S.MIB)
        assert again == Probe(points[cut].bs, points[cut].offset)
    assert next_probe(points, drive.lba, S.MIB) is None
    assert infer_from_points(points, 65536, 4096).agrees is True


def test_knee_above_the_baseline_extends_the_search():
    drive = S.CostDrive(iu=512 * 1024, lba=4096, program_s=2e-3, rmw_s=5e-4, noise=0.0)
    points = _search(drive, np.random.default_rng(2))
    assert max(p.bs for p in points) == S.MIB
    assert infer_from_points(points, None, 4096).inferred_bytes == 512 * 1024


def test_coarse_sizes_and_bad_arguments():
    assert coarse_sizes(512, S.MIB) == [512, 4096, 32768, 262144]
    assert coarse_sizes(4096, 65536) == [4096, 32768, 65536]
    with pytest.raises(InputError):
        next_probe([], 3000, S.MIB)
    with pytest.raises(InputError):
        next_probe([], 4096, 6000)
