"""The Unaligned I/O cross-check of the IU on constructed probes (live: test_counters_live.py)."""

from __future__ import annotations

import pandas as pd

from nvmeprobe.analyze.iu_counter import counter_check

KIB = 1024


def _probes(true_iu: int, shapes: list[tuple[int, int]], live: bool = True) -> pd.DataFrame:
    rows = []
    for n, (bs, offset) in enumerate(shapes):
        moved = offset % true_iu != 0 or bs % true_iu != 0
        rows.append(
            (
                f"c{n}",
                "write",
                bs,
                offset,
                1 << 20,
                (1 << 20) if live else 0,
                1 << 20,
                37 if moved else 0,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "cell",
            "direction",
            "bs",
            "offset",
            "host_bytes_written",
            "counter_host_bytes_written",
            "media_bytes_written",
            "counter_unaligned_io",
        ],
    )


SHAPES = [(4 * KIB, 0), (8 * KIB, 0), (16 * KIB, 0), (32 * KIB, 0), (16 * KIB, 4 * KIB)]


def test_a_drive_behaving_as_it_reports_is_confirmed():
    check = counter_check(_probes(16 * KIB, SHAPES), 16 * KIB, 16 * KIB, 4096)
    assert check["verdict"] == "confirms" and check["counter_iu_bytes"] == 16 * KIB
    assert check["reported_agrees"] is True


def test_a_liar_is_flagged_and_a_wrong_inference_refuted():
    liar = counter_check(_probes(16 * KIB, SHAPES), None, 4 * KIB, 4096)
    assert liar["verdict"] == "refutes" and liar["reported_agrees"] is False
    wrong = counter_check(_probes(16 * KIB, SHAPES), 8 * KIB, 16 * KIB, 4096)
    assert wrong["verdict"] == "refutes" and wrong["counter_iu_bytes"] == 16 * KIB


def test_stale_or_missing_counters_decide_nothing():
    stale = counter_check(_probes(16 * KIB, SHAPES, live=False), 16 * KIB, 16 * KIB, 4096)
    assert stale["verdict"] == "unknown" and stale["probes"] == []
    none = counter_check(
        _probes(16 * KIB, SHAPES).drop(columns="counter_unaligned_io"), 16 * KIB, 16 * KIB, 4096
    )
    assert none["verdict"] == "unknown" and "reason" in none
