"""Sustained bursts' run-time rules (run/sustained.py) and fio's status dumps
(run/fio_progress.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from nvmeprobe.analyze.slc import DropWatcher
from nvmeprobe.plan import Cell
from nvmeprobe.run.fio_progress import ProgressTail, dump_progress, split_documents
from nvmeprobe.run.sustained import (
    LAG_S,
    DumpFeed,
    LeaderDrop,
    StopRule,
    max_write_note,
    prepare_follower,
    rate_limit,
)

MIB = 1 << 20
CELL = Cell(
    id="002-again-write-128k-qd8-nj1",
    stage="again",
    kind="sustained",
    rw="write",
    bs=128 * 1024,
    iodepth=8,
    numjobs=1,
    size_bytes=800 * MIB,
    writes=True,
    stop_on_drop=True,
    follows="burst1",
)


def test_follower_runs_only_after_a_drop_and_writes_at_most_the_leader():
    cell, why = prepare_follower(CELL, LeaderDrop(False, None, 500 * MIB, False), None)
    assert cell is None and "no drop" in why
    cell, _ = prepare_follower(CELL, LeaderDrop(True, 100e6, 300 * MIB + 5, False), None)
    assert cell.size_bytes == 300 * MIB and cell.stop_on_drop and rate_limit(cell) is None


def test_confirmation_is_rate_limited_not_stopped_and_skipped_where_temperature_tells():
    confirm = Cell(**{**CELL.to_dict(), "extra": (), "rate_share": 0.45})
    cell, _ = prepare_follower(confirm, LeaderDrop(True, 100e6, 300 * MIB, False), None)
    assert rate_limit(cell) == 45_000_000 and not cell.stop_on_drop
    skipped, why = prepare_follower(confirm, LeaderDrop(True, 100e6, 300 * MIB, True), 77)
    assert skipped is None and "temperature" in why
    assert "45%" in max_write_note(confirm) and "burst1" in max_write_note(confirm)


def _stop_point(cache: float, in_bw: float, post_bw: float, dt: float = 0.05) -> float:
    rule = StopRule(DropWatcher(confirm_samples=5, warmup_samples=1, min_reference=3), MIB)
    feed = DumpFeed(rule, 2 * MIB)
    t, written = 0.0, 0.0
    while not feed(t, written):
        rate = in_bw if written < cache else post_bw
        t, written = t + dt, written + rate * dt
        assert written < 10 * cache + 100 * post_bw, "never stopped"
    return written


@pytest.mark.parametrize(
    "cache, in_bw, post_bw",
    [
        (16 * MIB, 64 * MIB, 12 * MIB),  # 0.25 s at full speed: 1 s of post-cache writing bounds it
        (2000 * MIB, 100 * MIB, 20 * MIB),  # 20 s: 25% of the cache bounds it
    ],
)
def test_a_burst_stops_by_the_cache_plus_its_margin(cache, in_bw, post_bw):
    stopped = _stop_point(cache, in_bw, post_bw)
    assert cache < stopped <= cache + max(0.25 * cache, post_bw) + 1  # + 1: float rounding


def _burst(seed: int, intervals: tuple[float, float]) -> tuple[float, float]:
    """A 1-3 s cache at 60-120 MiB/s dropping 3-8x, live samples `intervals` s apart.
    (bytes beyond the cache when the burst has ended, the bound's margin)"""
    rng = random.Random(seed)
    in_bw = rng.uniform(60, 120) * MIB
    cache, post_bw = in_bw * rng.uniform(1, 3), in_bw / rng.uniform(3, 8)
    rule = StopRule(DropWatcher(confirm_samples=5, warmup_samples=1, min_reference=3), MIB)
    feed = DumpFeed(rule, 2 * MIB)
    t, written = 0.0, 0.0
    while not feed(t, written):
        dt = rng.uniform(*intervals)
        rate = in_bw if written < cache else post_bw
        t, written = t + dt, written + rate * dt
        assert written < 10 * cache, "never stopped"
    ended = written + MIB + LAG_S * post_bw  # after the decision: the queue, fio stopping
    return ended - cache, max(0.25 * cache, post_bw)


@pytest.mark.parametrize("seed", range(20))
def test_a_burst_ends_within_its_bound_with_half_its_margin_written(seed):
    """What the decision lets through counts: the queue in flight, fio stopping, the
    sample that straddles the edge, the crossing seen one sample late."""
    beyond, margin = _burst(seed, (0.05, 0.055))  # fio's status every 50 ms
    assert margin / 2 < beyond <= margin, beyond / margin


def test_late_live_samples_make_the_rule_aim_shorter():
    """On a busy host fio's status comes late: the same drop, seen through samples 150 ms
    apart instead of 50, is stopped earlier (never below half the margin)."""
    aims = []
    for dt in (0.05, 0.15):
        rule = StopRule(DropWatcher(confirm_samples=5, warmup_samples=1, min_reference=3), MIB)
        t, written = 0.0, 0.0
        while rule.stop_at() is None:
            rate = 100 * MIB if written < 200 * MIB else 20 * MIB
            t, written = t + dt, written + rate * dt
            rule.feed(t, rate, written)
        aims.append(rule.stop_at() - rule.watcher.drop_bytes)
    margin = 0.25 * 200 * MIB
    assert margin / 2 <= aims[1] < aims[0] < margin


def test_status_dumps_split_and_read():
    dump = (
        '{\n  "fio version" : "fio-3.33",\n  "jobs" : [\n    {\n      "job_runtime" : 250,\n'
        '      "write" : {\n        "io_bytes" : 1048576,\n        "bw" : 1\n      }\n'
        "    }\n  ]\n}\n"
    )
    docs, messages, rest = split_documents(
        dump + "fio: terminating on signal 2\n" + dump + dump[:40]
    )
    assert len(docs) == 2 and messages[1].strip() == "fio: terminating on signal 2"
    assert rest == dump[:40]
    assert dump_progress(docs[0]) == (0.25, 1048576.0)


def test_tail_leaves_messages_and_the_final_document(tmp_path: Path):
    out = tmp_path / "out.json"
    seen: list[tuple[float, float]] = []
    tail = ProgressTail(out, lambda t, b: seen.append((t, b)))
    tail.start()
    first = '{\n"jobs" : [{"job_runtime" : 50, "write" : {"io_bytes" : 10}}]\n}\n'
    last = '{\n"jobs" : [{"job_runtime" : 90, "write" : {"io_bytes" : 20}}], "end": 1\n}\n'
    out.write_text(first + "fio: terminating on signal 2\n" + last)
    tail.finish()
    assert seen[-1] == (0.09, 20.0)
    assert out.read_text() == "fio: terminating on signal 2\n" + last
    assert json.loads(out.read_text().split("\n", 1)[1])["end"] == 1
