"""Judging criteria and baseline regressions on tables with known answers."""

from __future__ import annotations

import pytest

from nvmeprobe.analyze import analyze_all
from nvmeprobe.profile.columns import cells_frame
from nvmeprobe.qualify import compare_to_baseline, judge, judge_criterion, parse_criteria
from nvmeprobe.qualify.criteria import RegressionRules
from nvmeprobe.qualify.metrics import ANALYSIS_KEYS, finding_value

ROWS = [
    # rw, direction, bs, iodepth, iops, lat_p99_us, host_bytes, media_bytes
    ("randwrite", "write", 4096, 1, 9000.0, 300.0, 40_000_000, 60_000_000),
    ("randwrite", "write", 4096, 16, 50000.0, 900.0, 200_000_000, 310_000_000),
    ("randread", "read", 4096, 1, 11000.0, 250.0, 0, None),
    ("randread", "read", 4096, 16, 80000.0, 500.0, 0, None),
    ("write", "write", 131072, 8, 12000.0, 1200.0, 3_000_000_000, 3_100_000_000),
]
FINDINGS = {
    "iu": {"inferred_bytes": 16384, "reported_bytes": 16384, "agrees": True, "confidence": 0.9},
    "slc": {"detected": True, "cache_bytes": 192 << 20, "post_cache_bw": 8.0e6},
    "waf": {"measured": None, "evidence": {"reason": "no media counters"}},
}


def cells(rows=ROWS, scale: float = 1.0, p99_scale: float = 1.0):
    return cells_frame(
        [
            {
                "rw": rw,
                "direction": d,
                "bs": bs,
                "offset": 0,
                "iodepth": qd,
                "numjobs": 1,
                "iops": iops * scale,
                "bw_bytes": iops * scale * bs,
                "lat_p99_us": p99 * p99_scale,
                "host_bytes_written": host,
                "media_bytes_written": media,
            }
            for rw, d, bs, qd, iops, p99, host, media in rows
        ]
    )


def verdict(criterion: dict, findings=FINDINGS, table=None):
    parsed = parse_criteria({"criterion": [criterion]}).criteria[0]
    return judge_criterion(parsed, cells() if table is None else table, findings)


def test_min_over_matching_rows():
    ok = verdict(
        {"metric": "iops", "where": {"rw": "randwrite", "bs": "4k", "iodepth": 16}, "min": 50000}
    )
    assert ok.passed and ok.value == 50000.0 and ok.cells == 1 and ok.expected == ">= 50,000"
    low = verdict(
        {"metric": "iops", "where": {"rw": "randwrite", "bs": "4k", "iodepth": 16}, "min": 50001}
    )
    assert not low.passed and low.value == 50000.0 and "fails >= 50,001" in low.message


def test_without_agg_every_matching_row_must_pass_and_the_worst_is_shown():
    v = verdict({"metric": "iops", "where": {"rw": "randwrite"}, "min": 10000})
    assert not v.passed and v.value == 9000.0 and v.cells == 2
    v = verdict({"metric": "lat_p99_us", "where": {"direction": "read"}, "max": 600})
    assert v.passed and v.value == 500.0
    v = verdict({"metric": "lat_p99_us", "min": 100, "max": 1000})
    assert not v.passed and v.value == 1200.0
    v = verdict({"metric": "lat_p99_us", "min": 100, "max": 2000})
    assert v.passed and v.value == 250.0


@pytest.mark.parametrize(
    "agg,value",
    [("mean", 29500.0), ("median", 29500.0), ("min", 9000.0), ("max", 50000.0), ("sum", 59000.0)],
)
def test_explicit_aggregates(agg, value):
    v = verdict({"metric": "iops", "where": {"rw": "randwrite"}, "agg": agg, "min": 20000})
    assert v.value == pytest.approx(value) and v.passed == (value >= 20000) and v.agg == agg


def test_a_where_list_is_any_of():
    v = verdict(
        {
            "metric": "iops",
            "where": {"rw": ["randread", "randwrite"], "iodepth": 16},
            "agg": "min",
            "min": 1,
        }
    )
    assert v.value == 50000.0 and v.cells == 2


def test_no_matching_cell_fails():
    v = verdict({"metric": "iops", "where": {"rw": "randwrite", "iodepth": 32}, "min": 1})
    assert not v.passed and v.value is None and v.cells == 0
    assert v.message == "no cell matches where rw=randwrite, iodepth=32"


def test_unknown_values_fail_never_pass():
    v = verdict(
        {"metric": "media_bytes_written", "where": {"direction": "read"}, "agg": "sum", "max": 1e12}
    )
    assert not v.passed and "unknown in all 2 matching cells" in v.message
    v = verdict({"metric": "waf.measured", "max": 2.0})
    assert not v.passed and v.message == "waf.measured is unknown: no media counters"


def test_wear_budget_as_a_sum_of_bytes_written():
    under = verdict({"metric": "media_bytes_written", "agg": "sum", "max": 4e9})
    assert under.passed and under.value == 3_470_000_000 and under.cells == 3
    over = verdict({"metric": "host_bytes_written", "agg": "sum", "max": 3e9})
    assert not over.passed and over.value == 3_240_000_000


def test_analysis_keys_and_references():
    assert verdict({"metric": "iu.inferred_bytes", "equals": "iu.reported_bytes"}).passed
    liar = dict(FINDINGS, iu=dict(FINDINGS["iu"], reported_bytes=4096, agrees=False))
    v = verdict({"metric": "iu.inferred_bytes", "equals": "iu.reported_bytes"}, liar)
    assert not v.passed and v.value == 16384 and v.expected == "== iu.reported_bytes (4,096)"
    assert not verdict({"metric": "iu.agrees", "equals": True}, liar).passed
    unreported = dict(FINDINGS, iu=dict(FINDINGS["iu"], reported_bytes=None))
    v = verdict({"metric": "iu.inferred_bytes", "equals": "iu.reported_bytes"}, unreported)
    assert not v.passed and "iu.reported_bytes is unknown" in v.message
    v = verdict({"metric": "slc.post_cache_bw", "min": 1e7})
    assert not v.passed and v.value == 8.0e6
    assert verdict({"metric": "slc.cache_bytes", "min": 128 << 20}).passed


def test_a_bool_cells_column_by_equals():
    table = cells()
    table["steady"] = [True, True, False, True, True]
    assert verdict(
        {"metric": "steady", "where": {"rw": "randwrite"}, "equals": True}, table=table
    ).passed
    v = verdict({"metric": "steady", "equals": True}, table=table)
    assert not v.passed and v.value is False


def test_judge_keeps_file_order():
    criteria = parse_criteria(
        {
            "criterion": [
                {"name": "b", "metric": "iops", "min": 1},
                {"name": "a", "metric": "iu.agrees", "equals": True},
            ]
        }
    )
    assert [v.name for v in judge(criteria.criteria, cells(), FINDINGS)] == ["b", "a"]


def test_every_analysis_key_is_an_analysis_leaf():
    skeleton = analyze_all(cells_frame([]))
    for key, kind in ANALYSIS_KEYS.items():
        section, leaf = key.rsplit(".", 1)
        assert leaf in finding_value(skeleton, section), key
        value = finding_value(skeleton, key)
        assert value is None or isinstance(value, bool) == (kind == "bool"), key


DEFAULT_RULES = RegressionRules()


def regressions(now, base, rules=DEFAULT_RULES, findings=FINDINGS, base_findings=FINDINGS):
    return compare_to_baseline(now, findings, base, base_findings, rules)


def test_identical_profiles_do_not_regress():
    verdicts, notes = regressions(cells(), cells())
    assert len(verdicts) == 15 and all(v.passed for v in verdicts) and notes == []


def test_a_drop_beyond_the_tolerance_regresses_and_within_it_does_not():
    verdicts, _ = regressions(cells(scale=0.85), cells())
    iops = [v for v in verdicts if v.metric == "iops"]
    assert iops and not any(v.passed for v in iops)
    assert iops[0].baseline == 11000.0 and "-15.0%" in iops[0].basis
    verdicts, _ = regressions(cells(scale=0.95), cells())
    assert all(v.passed for v in verdicts)
    faster, _ = regressions(cells(scale=2.0), cells())
    assert all(v.passed for v in faster)


def test_latency_regresses_upwards_with_its_own_tolerance():
    verdicts, _ = regressions(cells(p99_scale=1.2), cells())
    assert not all(v.passed for v in verdicts if v.metric == "lat_p99_us")
    rules = RegressionRules(tolerances={"lat_p99_us": 0.25})
    verdicts, _ = regressions(cells(p99_scale=1.2), cells(), rules)
    assert all(v.passed for v in verdicts)
    assert all(v.passed for v in regressions(cells(p99_scale=0.5), cells())[0])


def test_cells_are_matched_by_shape_and_missing_ones_noted():
    verdicts, notes = regressions(cells(ROWS[:2]), cells(), RegressionRules(metrics=("iops",)))
    assert len(verdicts) == 2 and len(notes) == 3
    assert "iops randread 4 KiB QD1 read: not measured in this profile" in notes
    other = cells([("randwrite", "write", 4096, 64, 1.0, 1.0, 1, 1)])
    verdicts, _ = regressions(other, cells(), RegressionRules(metrics=("iops",)))
    assert (
        len(verdicts) == 1
        and not verdicts[0].passed
        and "no cell shape in common" in verdicts[0].message
    )


def test_analysis_keys_regress_by_direction():
    rules = RegressionRules(metrics=("slc.post_cache_bw", "iu.inferred_bytes", "waf.measured"))
    slower = dict(
        FINDINGS,
        slc=dict(FINDINGS["slc"], post_cache_bw=6.0e6),
        iu=dict(FINDINGS["iu"], inferred_bytes=65536),
    )
    verdicts, notes = regressions(cells(), cells(), rules, slower, FINDINGS)
    by_metric = {v.metric: v for v in verdicts}
    assert (
        not by_metric["slc.post_cache_bw"].passed and by_metric["slc.post_cache_bw"].value == 6.0e6
    )
    assert not by_metric["iu.inferred_bytes"].passed
    assert notes == ["waf.measured: unknown in the baseline"]
    unknown_now = dict(FINDINGS, slc=dict(FINDINGS["slc"], post_cache_bw=None))
    verdicts, _ = regressions(
        cells(), cells(), RegressionRules(metrics=("slc.post_cache_bw",)), unknown_now, FINDINGS
    )
    assert not verdicts[0].passed and "unknown now" in verdicts[0].message
