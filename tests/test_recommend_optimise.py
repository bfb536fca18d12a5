"""Recommender: hand-computed fleets, bursts, endurance, and workloads that fit nowhere."""

from __future__ import annotations

from math import ceil

import pytest
from test_recommend_support import cells, facts, findings

from nvmeprobe.recommend import drive_class_from_profile, parse_workloads, predict, recommend

TB = 10**12
MIB = 1024 * 1024


def _drive(model: str, iu: int, capacity: int, price: float, rows: list[tuple], **extra):
    economics = {"price": price, "dwpd": 100.0, **extra}
    return drive_class_from_profile(
        model, cells(rows), findings(iu), facts(capacity, iu), economics
    )


def _two_drives():
    t = _drive(
        "T",
        4096,
        4 * TB,
        400,
        [("randwrite", 4096, 16, 40_000, 500), ("read", MIB, 16, 2_000, 5_000)],
    )
    q = _drive(
        "Q",
        16384,
        16 * TB,
        800,
        [("randwrite", 4096, 16, 4_000, 1_500), ("read", MIB, 16, 1_000, 8_000)],
    )
    return t, q


TWO_WORKLOADS = """
[[workload]]
name = "m"
capacity = 2000000000000
queue_depth = 16
p99_latency = "1ms"
splittable = false
[workload.write]
iops = 100000
io_sizes = { "4k" = 1.0 }

[[workload]]
name = "r"
capacity = 42000000000000
queue_depth = 16
p99_latency = "10ms"
[workload.read]
iops = 1000
io_sizes = { "1m" = 1.0 }
random = 0.0
"""


def test_two_drives_two_workloads_match_hand_computation():
    t, q = _two_drives()
    m, r = parse_workloads(TWO_WORKLOADS)
    result = recommend([m, r], [t, q]).to_dict()
    # By hand: m (4 KiB random writes, 100k IOPS) needs 100k/40k = 2.5 T drives of load; on Q its
    # p99 1.5 ms > 1 ms target, so m is all on T: 3 T drives. Those 3 x 4 TB hold 12 TB, 2 TB for m,
    # 10 TB of r's 42 TB; the other 32 TB fill exactly 2 Q drives (16 TB each). T load: 2.5 +
    # (1000 x 1 MiB / 2000 x 1 MiB = 0.5) x 10/42 <= 3. Cost 3 x 400 + 2 x 800 = 2800; any other
    # count costs more (nT=7, nQ=1: 3600; nT=11: 4400).
    mixed = result["fleets"][0]
    assert mixed["name"] == "mixed" and mixed["feasible"]
    assert mixed["drives"] == {"T": 3, "Q": 2}
    assert mixed["cost"] == 2800
    assert mixed["capacity_bytes"] == 3 * 4 * TB + 2 * 16 * TB
    shares = {(p["workload"], p["drive"]): p["share"] for p in result["placements"]}
    assert shares.keys() == {("m", "T"), ("r", "T"), ("r", "Q")}
    assert shares[("m", "T")] == pytest.approx(1.0, abs=1e-9)
    assert shares[("r", "T")] == pytest.approx(10 / 42, abs=1e-6)
    assert shares[("r", "Q")] == pytest.approx(32 / 42, abs=1e-6)
    # Single-class fleets: all-T holds 44 TB on 11 drives (4400); all-Q cannot meet m's latency.
    by_name = {f["name"]: f for f in result["fleets"]}
    assert by_name["all-T"]["feasible"] and by_name["all-T"]["cost"] == 4400
    assert by_name["all-T"]["drives"] == {"T": 11}
    assert not by_name["all-Q"]["feasible"]
    assert by_name["all-Q"]["unplaced"] == [
        {"workload": "m", "binding": "p99 latency 1.5 ms > target 1.0 ms on Q"}
    ]
    assert by_name["all-Q"]["drives"] == {"Q": 3}  # r alone: 42 / 16 -> 3 drives


def test_unsplittable_workload_takes_one_class():
    t, q = _two_drives()
    m, r = parse_workloads(
        TWO_WORKLOADS.replace('p99_latency = "10ms"', 'p99_latency = "10ms"\nsplittable = false')
    )
    result = recommend([m, r], [t, q]).to_dict()
    # r whole on Q: ceil(42/16) = 3 Q (2400) + 3 T for m (1200) = 3600 < r whole on T (11 T = 4400).
    assert {(p["workload"], p["drive"]): p["share"] for p in result["placements"]} == {
        ("m", "T"): 1.0,
        ("r", "Q"): 1.0,
    }
    assert result["fleets"][0]["cost"] == 3600


def test_endurance_binds_drive_count_and_lifetime():
    drive = drive_class_from_profile(
        "E",
        cells([("write", MIB, 32, 1_000, 20_000)]),
        findings(4096),
        facts(TB, 4096),
        {"price": 100, "dwpd": 1.0},
    )
    (work,) = parse_workloads("""
[[workload]]
name = "w"
capacity = 1000000000
[workload.write]
rate = 25000000
io_sizes = { "1m" = 1.0 }
random = 0.0
""")
    pred = predict(work, drive)
    # 25 MB/s x 86,400 s = 2.16 TB a day over 5 years, WAF 1 (sequential), against 1 DWPD x 1 TB.
    assert pred.binding == "endurance"
    assert pred.demand["endurance"] == pytest.approx(2.16)
    fleet = recommend([work], [drive]).to_dict()["fleets"][0]
    assert fleet["drives"] == {"E": 3} and fleet["cost"] == 300
    assert fleet["lifetime_years"] == pytest.approx(3 * TB * 365 * 5 / (25e6 * 365 * 86400))


def test_burst_beyond_the_slc_cache_hand_computed():
    slc = {
        "detected": True,
        "cache_bytes": 100 * 10**9,
        "in_cache_bw": 2e9,
        "post_cache_bw": 0.5e9,
        "recovered_bytes": 100 * 10**9,
    }
    drive = drive_class_from_profile(
        "B",
        cells([("write", MIB, 32, 1_000, 20_000)]),
        findings(4096, slc=slc),
        facts(100 * TB, 4096),
        {"price": 100, "dwpd": 10.0},
    )
    (work,) = parse_workloads("""
[[workload]]
name = "ckpt"
capacity = 1000000000
[workload.write]
io_sizes = { "1m" = 1.0 }
random = 0.0
[workload.burst]
size = 1000000000000
every = "1h"
within = "2m"
""")
    pred = predict(work, drive)
    # Within 120 s one drive takes the 100 GB cache (50 s at 2 GB/s) plus 70 s x 0.5 GB/s = 135 GB.
    assert pred.demand["burst"] == pytest.approx(1000 / 135)
    assert pred.binding == "burst" and pred.drives_alone == ceil(1000 / 135) == 8
    # 1 TB over 8 drives = 125 GB each: over the cache, 50 s + 25 GB / 0.5 GB/s = 100 s.
    assert pred.burst_fits_cache is False
    assert pred.burst_seconds == pytest.approx(100.0)


def test_workload_that_fits_nowhere_names_the_binding_constraint():
    rows = [("randwrite", 4096, 16, 50_000, 2_100)]
    a = drive_class_from_profile("A", cells(rows), findings(4096), facts(TB, 4096), None)
    b = drive_class_from_profile(
        "B",
        cells([("randwrite", 4096, 16, 20_000, 2_600)]),
        findings(16384),
        facts(TB, 16384),
        None,
    )
    (work,) = parse_workloads("""
[[workload]]
name = "fast"
capacity = 1000000000
queue_depth = 16
p99_latency = "0.5ms"
[workload.write]
iops = 1000
io_sizes = { "4k" = 1.0 }
""")
    result = recommend([work], [a, b]).to_dict()
    assert result["placements"] == []
    assert result["unplaced"] == [
        {
            "workload": "fast",
            "binding": "p99 latency 2.1 ms > target 0.5 ms on every class (lowest on A)",
        }
    ]
    mixed = result["fleets"][0]
    assert not mixed["feasible"] and mixed["cost"] is None


def test_missing_direction_is_infeasible_with_reason():
    drive = drive_class_from_profile(
        "W", cells([("randwrite", 4096, 16, 50_000, 100)]), findings(4096), facts(TB, 4096), None
    )
    (work,) = parse_workloads("""
[[workload]]
name = "reader"
capacity = 1000000000
[workload.read]
iops = 10
io_sizes = { "4k" = 1.0 }
""")
    pred = predict(work, drive)
    assert not pred.feasible and pred.binding == "no measured read cells on W"
