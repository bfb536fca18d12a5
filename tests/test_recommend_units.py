"""Recommender building blocks: IU geometry, interpolation, workload TOML, economics."""

from __future__ import annotations

import pytest
from test_recommend_support import cells, facts, findings

from nvmeprobe.errors import InputError
from nvmeprobe.recommend import (
    BUILTIN_NAMES,
    builtin_workloads,
    drive_class_from_profile,
    parse_workloads,
)
from nvmeprobe.recommend.interpolate import estimate, rate_table
from nvmeprobe.recommend.iu import amplification, mean_amplification, pool_name, start_offsets
from nvmeprobe.recommend.predict import rmw_factors

K, TB = 1024, 10**12


def test_iu_geometry_matches_field_notes():
    assert amplification(20 * K, 12 * K, 16 * K) == 1.6  # docs/field-notes.md section 8
    assert amplification(4 * K, 0, 16 * K) == 4.0
    assert amplification(16 * K, 4 * K, 16 * K) == 2.0
    assert start_offsets(12 * K, 16 * K) == [0, 4 * K, 8 * K, 12 * K]
    assert start_offsets(64 * K, 16 * K) == [0]
    # 8 KiB writes at 4 KiB alignment on a 16 KiB IU: offsets 0, 4, 8 KiB stay in one IU,
    # 12 KiB straddles.
    assert mean_amplification(8 * K, 4 * K, 16 * K) == (2 + 2 + 2 + 4) / 4
    assert pool_name(4 * K) == "iu4k" and pool_name(8 * K) == "iubig"
    with pytest.raises(InputError):
        amplification(0, 0, 4 * K)


def test_interpolation_is_affine_in_size_and_log_in_depth():
    table = rate_table(
        cells(
            [
                ("randwrite", 4 * K, 8, 40_000, 100),
                ("randwrite", 8 * K, 8, 20_000, 300),
                ("randwrite", 4 * K, 32, 80_000, 400),
                ("randwrite", 8 * K, 32, 40_000, 800),
            ]
        )
    )
    mid = estimate(table, "write", "random", 6 * K, 8)
    assert 1 / mid.iops == pytest.approx((25e-6 + 50e-6) / 2)  # service time halfway
    assert mid.p99_us == pytest.approx(200) and mid.notes == ()
    qd16 = estimate(table, "write", "random", 4 * K, 16)  # halfway in log2(QD) between 8 and 32
    assert 1 / qd16.iops == pytest.approx((1 / 40_000 + 1 / 80_000) / 2)
    assert qd16.p99_us == pytest.approx(250)
    low = estimate(table, "write", "random", 4 * K, 2)
    assert low.iops == 40_000 and "queue depth 2 below measured depths 8..32" in low.notes[0]
    small = estimate(table, "write", "random", 2 * K, 8)
    assert small.iops == 40_000 and small.notes[0].startswith(
        "IO size 2 KiB below measured sizes 4 KiB..8 KiB"
    )
    seq = estimate(table, "write", "sequential", 4 * K, 8)
    assert seq.notes[0] == "no sequential write cells measured: random write cells used"
    assert estimate(table, "read", "random", 4 * K, 8) is None


def test_misaligned_offsets_use_the_iu_analysis_when_it_measured_them():
    rmw = [
        {"bs": 16 * K, "offset": 0, "factor": 1.0},
        {"bs": 16 * K, "offset": 4 * K, "factor": 1.8},
        {"bs": 16 * K, "offset": 8 * K, "factor": 1.8},
        {"bs": 16 * K, "offset": 12 * K, "factor": 1.8},
    ]
    drive = drive_class_from_profile(
        "Q",
        cells([("randwrite", 16 * K, 8, 1000, 100)]),
        findings(16 * K, rmw),
        facts(TB, 16 * K),
        None,
    )
    assert rmw_factors(drive, 16 * K, 4 * K) == (
        pytest.approx((1 + 1.8 * 3) / 4),
        1.0,
        "IU analysis",
    )
    assert rmw_factors(drive, 16 * K, 2 * K)[2] == "IU geometry"  # 2 KiB offsets were not measured


def test_builtin_workloads_are_complete_and_realistic():
    works = builtin_workloads()
    assert [w.name for w in works] == list(BUILTIN_NAMES)
    by_name = {w.name: w for w in works}
    assert (
        by_name["checkpoint"].burst.size_bytes == 2**40
        and by_name["checkpoint"].burst.within_s == 120
    )
    assert not by_name["metadata"].splittable
    assert by_name["metadata"].write.io_sizes[0] == (4096, 0.8)
    for work in works:
        assert work.p99_target_s and work.service_life_years > 0 and work.capacity_bytes > 0
        assert work.description
    with pytest.raises(InputError, match="no built-in workload 'nope'"):
        builtin_workloads(["nope"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[workload]]\nname='a'\n", "capacity is required"),
        ("[[workload]]\nname='a'\ncapacity='1t'\n", "needs \\[workload.read\\]"),
        (
            "[[workload]]\nname='a'\ncapacity='1t'\n[workload.read]\nrate='1m'\nio_sizes={'4k'=0.5}\n",
            "sum to 0.5",
        ),
        ("[[workload]]\nname='a'\ncapacity='1t'\nlatency='1ms'\n", "unknown key\\(s\\) latency"),
        (
            "[[workload]]\nname='a'\ncapacity='1t'\n[workload.read]\nio_sizes={'4k'=1.0}\n",
            "rate \\(bytes/s\\) or iops",
        ),
        (
            "[[workload]]\nname='a'\ncapacity='1t'\n[workload.write]\nio_sizes={'4k'=1.0}\n"
            "[workload.burst]\nsize='1g'\nevery='1m'\nwithin='2m'\n",
            "longer than every",
        ),
        (
            "[[workload]]\nname='a'\ncapacity='1t'\n[workload.read]\nrate='1m'\nio_sizes={'4k'=1.0}\n"
            "[[workload]]\nname='a'\ncapacity='1t'\n[workload.read]\nrate='1m'\nio_sizes={'4k'=1.0}\n",
            "used twice: a",
        ),
        ("not = [toml", "not valid TOML"),
    ],
)
def test_bad_workload_files_raise_input_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_workloads(text)


def test_iops_and_bursts_set_the_rates():
    (work,) = parse_workloads("""
[[workload]]
name = "w"
capacity = "1t"
[workload.write]
iops = 100
io_sizes = { "4k" = 0.5, "12k" = 0.5 }
[workload.burst]
size = "6g"
every = "1m"
""")
    assert work.write.rate_bytes == 100 * 8 * K
    assert work.write_bytes_per_s == 100 * 8 * K + 6 * 2**30 / 60
    assert work.burst.within_s == 60


def test_economics_defaults_and_overrides():
    rows = cells([("randwrite", 4 * K, 8, 1000, 100)])
    tlc = drive_class_from_profile(
        "T", rows, findings(4 * K), facts(2 * 2**30, 4 * K, [25.0, 8.0]), None
    )
    econ = tlc.economics
    assert econ.capacity_bytes == 2 * 2**30 and econ.perf_scale == 1.0
    assert econ.price == pytest.approx(110 * 2 * 2**30 / TB)
    assert econ.dwpd() == pytest.approx(1.0) and econ.power_active_w == 25.0
    assert econ.power_active_source == "id-ctrl power states"
    qlc = drive_class_from_profile(
        "Q",
        rows,
        findings(16 * K),
        facts(2 * 2**30, 16 * K),
        {"capacity_bytes": "60t", "perf_scale": 8, "pe_cycles": 1000},
    )
    econ = qlc.economics
    assert econ.capacity_bytes == 60 * 2**40 and econ.price == pytest.approx(65 * 60 * 2**40 / TB)
    assert econ.endurance_bytes == 1000 * 60 * 2**40 and econ.power_active_w == 25.0
    # Rated DWPD falls with the IU amplification of the write pattern (Micron 6550 ION shape).
    assert econ.dwpd(4.0) == pytest.approx(econ.dwpd() / 4)
    assert qlc.rates["iops"].iloc[0] == 8000 and qlc.rates["p99_us"].iloc[0] == 12.5
    with pytest.raises(InputError, match="unknown key"):
        drive_class_from_profile("Q", rows, findings(16 * K), facts(TB), {"dollars": 3})
    with pytest.raises(InputError, match="one endurance rating"):
        drive_class_from_profile("Q", rows, findings(16 * K), facts(TB), {"dwpd": 1, "tbw": 100})
    with pytest.raises(InputError, match="lack column"):
        drive_class_from_profile(
            "Q", rows.drop(columns=["iops"]), findings(16 * K), facts(TB), None
        )


def test_slc_cache_scales_to_nominal_capacity():
    slc = {
        "detected": True,
        "cache_bytes": 32 * 2**20,
        "in_cache_bw": 32 * 2**20,
        "post_cache_bw": 8 * 2**20,
        "recovered_bytes": 16 * 2**20,
    }
    drive = drive_class_from_profile(
        "S",
        cells([("write", 128 * K, 8, 100, 100)]),
        findings(16 * K, slc=slc),
        facts(2 * 2**30),
        {"capacity_bytes": 2 * 2**40, "perf_scale": 4},
    )
    # Only what idle time recovered (16 MiB) is free between bursts; x1024 for 2 TiB nominal.
    assert drive.slc.cache_bytes == 16 * 2**30
    assert drive.slc.in_cache_bw == 128 * 2**20 and drive.slc.post_cache_bw == 32 * 2**20
