"""Expansion into cells: ids, regions, rounds, estimates, serialisation."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.plan import (
    Cell,
    Plan,
    TargetFacts,
    expand_plan,
    expand_round,
    load_plan,
    parse_plan_text,
    summarise,
)
from nvmeprobe.plan.estimate import FIO_START_COST_S, SLOW_WRITE_BW
from nvmeprobe.plan.rates import DEFAULT_BOUND, KIND_BOUNDS, measured_rates

GIB, MIB = 1024**3, 1024**2
FACTS = TargetFacts(GIB, 512)


def plan_from(text: str, overrides: list[str] | None = None) -> Plan:
    return parse_plan_text(text, "t.toml", "t", overrides or [])


def test_ids_are_unique_stable_sortable_and_safe():
    plan = load_plan("qualify", [])
    first, second = expand_plan(plan, FACTS), expand_plan(load_plan("qualify", []), FACTS)
    ids = [c.id for c in first]
    assert ids == [c.id for c in second]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert all(re.fullmatch(r"[a-z0-9_-]+", i) for i in ids)
    assert not any("-4k-o4k-" in i for i in ids)  # an offset not below bs is skipped
    assert any(i.endswith("-rmw-randwrite-16k-o4k-qd8-nj1") for i in ids)
    assert any(i.endswith("-rest-idle") for i in ids)


def test_mixed_and_round_ids():
    cells = expand_plan(load_plan("snia-iops", []), FACTS)
    assert cells[1].id == "001-iops-randrw-1m-qd32-nj4-m100-r01"
    assert cells[-1].id == "056-iops-randrw-512-qd32-nj4-m0-r01"


def test_expand_round_keeps_indices():
    plan = load_plan("snia-iops", [])
    first = [c for c in expand_plan(plan, FACTS) if c.stage == "iops"]
    third = expand_round(plan, "iops", FACTS, 3)
    assert [c.id.replace("-r03", "-r01") for c in third] == [c.id for c in first]
    assert all(c.round == 3 and c.rounds_max == 25 for c in third)
    with pytest.raises(InputError, match="round 26 is outside 1..25"):
        expand_round(plan, "iops", FACTS, 26)
    with pytest.raises(InputError, match="not round-based"):
        expand_round(plan, "wipc", FACTS, 2)


def test_id_width_grows_with_cell_count():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "big"\nrw = "randread"\nbs = "4k"\n'
        f"iodepth = {list(range(1, 1101))}\nruntime = 1\n"
    )
    cells = expand_plan(plan_from(text), FACTS)
    assert cells[0].id.startswith("0000-") and cells[-1].id.startswith("1099-")
    assert [c.id for c in cells] == sorted(c.id for c in cells)


def test_cells_round_trip_through_json():
    cells = expand_plan(load_plan("qualify", ["fio.rate_iops=5000"]), FACTS)
    cells += expand_plan(load_plan("snia-iops", []), FACTS)
    for cell in cells:
        again = Cell.from_dict(json.loads(json.dumps(cell.to_dict())))
        assert again == cell and hash(again) == hash(cell)
    assert dict(cells[1].extra) == {"rate_iops": "5000"}
    with pytest.raises(InputError, match="unknown field 'bogus'"):
        Cell.from_dict({**cells[0].to_dict(), "bogus": 1})


def test_plan_round_trips_through_json():
    plan = load_plan("snia-iops", ["runtime=1s"])
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_facts_round_trip_and_validation():
    facts = TargetFacts(GIB, 4096, 16384, None, 1.5e9)
    assert TargetFacts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    for bad in (
        {"capacity_bytes": 0, "logical_block_size": 512},
        {"capacity_bytes": GIB, "logical_block_size": 1000},
        {"capacity_bytes": GIB, "logical_block_size": 512, "est_write_bw_bytes": 0},
    ):
        with pytest.raises(InputError):
            TargetFacts(**bad)


def test_region_starts_at_offset_and_holds_whole_ios():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = "16k"\n'
        'offset = [0, "4k"]\nregion = "10m"\n'
    )
    aligned, offset = expand_plan(plan_from(text), FACTS)
    assert (aligned.offset, aligned.region_bytes) == (0, 10 * MIB)
    assert offset.offset == 4096 and offset.region_bytes == 10 * MIB - 16384
    assert offset.offset + offset.region_bytes <= 10 * MIB


def test_size_based_cells_round_to_whole_ios_per_job():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "write"\nbs = "128k"\n'
        'numjobs = 3\nsize = "10m"\n'
    )
    (cell,) = expand_plan(plan_from(text), FACTS)
    assert cell.size_bytes == 10 * MIB // (3 * 131072) * 3 * 131072
    assert cell.runtime_s is None and not cell.time_based


def test_mixed_cells_only_carry_rwmixread():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = ["randread", "randrw"]\nbs = "4k"\n'
        "rwmixread = [70, 100]\n"
    )
    cells = expand_plan(plan_from(text), FACTS)
    assert [(c.rw, c.rwmixread, c.writes) for c in cells] == [
        ("randread", None, False),
        ("randrw", 70, True),
        ("randrw", 100, False),
    ]


def test_estimates_time_based_use_known_bandwidth():
    facts = TargetFacts(GIB, 512, None, 10 * GIB, 100 * MIB)
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = ["randwrite", "randread", "randrw"]\n'
        'bs = "4k"\nrwmixread = 75\nruntime = "10s"\nramp = "2s"\n'
    )
    write, read, mixed = expand_plan(plan_from(text), facts)
    assert write.est_seconds == pytest.approx(12 + FIO_START_COST_S)
    assert write.est_bytes_written == 12 * 100 * MIB
    assert read.est_bytes_written == 0
    assert mixed.est_bytes_written == 3 * 100 * MIB
    summary = summarise([write, read, mixed], facts)
    assert summary["est_bytes_written"] == 15 * 100 * MIB
    assert summary["endurance_fraction"] == pytest.approx(15 * 100 * MIB / (10 * GIB))
    assert summary["est_seconds"] == pytest.approx(3 * (12 + FIO_START_COST_S))


def test_estimates_with_unknown_bandwidth_are_pessimistic():
    text = (
        '[[stage]]\nkind = "sustained"\nname = "s"\nsize = "50%"\n'
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = "4k"\nruntime = "2s"\n'
    )
    sustained, timed = expand_plan(plan_from(text), FACTS)
    assert sustained.est_seconds == pytest.approx(GIB / 2 / SLOW_WRITE_BW + FIO_START_COST_S)
    assert sustained.est_bytes_written == GIB // 2
    iops, bw, _ = DEFAULT_BOUND  # 4 KiB random writes: bounded by IOPS x bs, not bandwidth
    assert timed.est_bytes_written == int(2 * min(bw, iops * 4096))
    summary = summarise([sustained, timed], FACTS)
    assert summary["endurance_fraction"] is None and summary["est_basis"]["basis"] == "bound"


def test_summary_max_accounts_for_rounds():
    cells = expand_plan(load_plan("snia-iops", ["runtime=1s"]), FACTS)
    summary = summarise(cells, FACTS)
    rounds = sum(c.est_seconds for c in cells if c.round)
    assert summary["est_seconds_max"] == pytest.approx(summary["est_seconds"] + 24 * rounds)
    stages = {s["stage"]: s for s in summary["stages"]}
    assert stages["iops"]["cells"] == 56 and stages["iops"]["rounds_max"] == 25
    assert stages["wipc"]["est_bytes_written"] == 2 * GIB


def test_bounds_follow_the_device_kind():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\n'
        'bs = ["512", "1m"]\nruntime = "1s"\n'
    )
    small, large = expand_plan(plan_from(text), TargetFacts(GIB, 512, kind="loop"))
    iops, bw, _ = KIND_BOUNDS["loop"]
    assert small.est_bytes_written == int(iops * 512) and large.est_bytes_written == int(bw)


def test_measured_rates_estimate_measured_cells_exactly_and_others_from_peaks():
    rows = pd.DataFrame(
        [
            {
                "rw": "randwrite",
                "direction": "write",
                "bs": 4096,
                "offset": 0,
                "iodepth": 1,
                "numjobs": 1,
                "rwmixread": pd.NA,
                "iops": 1000.0,
                "bw_bytes": 4096e3,
                "error": 0,
            },
            {
                "rw": "write",
                "direction": "write",
                "bs": 131072,
                "offset": 0,
                "iodepth": 8,
                "numjobs": 1,
                "rwmixread": pd.NA,
                "iops": 800.0,
                "bw_bytes": 131072 * 800.0,
                "error": 0,
            },
            {
                "rw": "randread",
                "direction": "read",
                "bs": 4096,
                "offset": 0,
                "iodepth": 1,
                "numjobs": 1,
                "rwmixread": pd.NA,
                "iops": 9e6,
                "bw_bytes": 9e9,
                "error": 0,
            },
        ]
    )
    rates = measured_rates(rows, "p.parquet")
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = ["4k", "8k", "1m"]\n'
        'runtime = "2s"\n'
    )
    measured, small, large = expand_plan(plan_from(text), FACTS, rates)
    assert measured.est_bytes_written == 2 * 4096e3  # its own measured rate
    assert small.est_bytes_written == 2 * 1000 * 8192  # peak IOPS x bs
    assert large.est_bytes_written == 2 * 131072 * 800  # peak bandwidth
    assert summarise([measured], FACTS, rates)["est_basis"]["basis"] == "measured"
    assert measured_rates(rows[rows["direction"] == "read"], "p") is None
