"""The SLC cache against fill level, through real fio on a simulated drive with a dynamic cache.

The drive is drawn at random (not a preset): a static cache plus a share of
the free space. `run --plan slc-fill` measures the cache on the empty drive,
at half and at 80% full; each size must be within 10% of the simulator's
truth at the fill the drive reported, and the cache must shrink as it fills.
A drive that reports nothing (as a foreign NBD export) gets its fill from
what the run wrote (a lower bound; unknown for the first burst), and its
first drop is told from heat by the confirmation burst.

The drive is small (160 MiB) with a 32 KiB IU, so 128 KiB writes cost half
the IU operations: the fills take seconds, and each cache still lasts 0.3 s
or more of writing (>= 30 samples of the plan's 10 ms log). Idle stages are
1 s: folding starts after 0.48 s and refills any cache here in < 0.2 s.
"""

from __future__ import annotations

import random
import shutil

import pytest
from cli_run import run_cli
from click.testing import CliRunner

from nvmeprobe.analyze.store import analyze_and_store
from nvmeprobe.cli import main
from nvmeprobe.sim.spec import parse_spec

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(shutil.which("fio") is None, reason="fio not installed"),
]

MIB = 1024**2


@pytest.mark.parametrize("report", ["all", "none"])
def test_cache_size_is_found_at_each_fill_level(tmp_path, report):
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    slc_prog = rng.randint(800, 1100)
    spec = (
        f"capacity=160m,lba=4096,iu=32k,slc={rng.randint(8, 12)}m,"
        f"slc_free={rng.uniform(0.2, 0.3):.3f},fold=1g,fold_delay_us=120000,"
        f"slc_prog_us={slc_prog},prog_us={round(slc_prog * rng.uniform(2.0, 2.5))},"
        f"units=4,scale=4,report={report}"
    )
    print(f"seed {seed}: sim:{spec}")
    params = parse_spec(spec)
    result = run_cli(
        tmp_path,
        f"sim:{spec}",
        "--plan",
        "slc-fill",
        "--set",
        "runtime=1s",  # the idle stages (the bursts and fills are sized)
        "--set",
        "stage.empty.size=70%",
        "--set",
        "stage.fill-full.size=80%",
    )
    assert result.exit_code == 0, result.output
    profile = next((tmp_path / "profiles").rglob("*.parquet"))
    found = analyze_and_store(profile)
    levels = found["slc"]["by_fill"]
    fills = [None if e["fill_fraction"] is None else round(e["fill_fraction"], 2) for e in levels]
    assert fills == ([0.0, 0.5, 0.8] if report == "all" else [None, 0.5, 0.8])
    assert found["slc"]["fill_fraction"] == levels[0]["fill_fraction"]
    if report == "none":
        assert "nuse" in found["slc"]["evidence"]["fill"]["reason"]
        assert found["thermal"]["detected"] is False, found["thermal"]  # confirmed: a cache
    sizes = []
    for entry in levels:
        assert entry["detected"], entry
        assert entry["fill_source"] == (
            "drive" if report == "all" else None if entry["fill_fraction"] is None else "run"
        )
        fill = entry["fill_fraction"] or 0.0  # unknown only on the fresh (empty) silent drive
        truth = params.slc_bytes + params.dynamic_cache(
            params.capacity - round(fill * params.capacity)
        )
        print(
            f"fill {fill:.2f} ({entry['fill_source']}): cache {entry['cache_bytes'] / MIB:.1f} MiB,"
            f" truth {truth / MIB:.1f} MiB"
        )
        assert entry["cache_bytes"] == pytest.approx(truth, rel=0.10)
        sizes.append(entry["cache_bytes"])
    assert sizes[0] > sizes[1] > sizes[2]
    shown = CliRunner().invoke(main, ["analyze", str(profile)]).output
    assert "SLC cache at 50% full" in shown and "SLC cache at 80% full" in shown
