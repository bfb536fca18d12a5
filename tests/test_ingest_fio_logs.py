"""fio logs: the recorded fixture logs, column variants, bandwidth vs bytes written, bad logs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.ingest import bandwidth_vs_bytes, read_fio_log
from nvmeprobe.ingest.fio_logs import series_from_log, series_kind

LOGS = Path(__file__).parent / "fixtures" / "real" / "fio-logs"
PM883 = "louwrentius__fio-plot__SAMSUNG_PM883__randwrite-iodepth-32-numjobs-1_{}.1.log"
KRIEN = LOGS / "Krien__NVMeBenchmarks__zns-a-long-finally_bw.1.log"
FIXTURE_LOGS = sorted(LOGS.glob("*.log"))


def _fields(path: Path) -> list[list[int]]:
    return [[int(x) for x in line.split(",")] for line in path.read_text().splitlines()]


@pytest.mark.parametrize("path", FIXTURE_LOGS, ids=lambda p: p.name)
def test_fixture_logs_read_as_written(path: Path) -> None:
    lines = _fields(path)
    log = read_fio_log(path)
    assert list(log.columns) == ["t_s", "value", "direction", "bs", "offset"]
    assert len(log) == len(lines)
    for index in (0, -1):
        row, line = log.iloc[index], lines[index]
        assert row["t_s"] == line[0] / 1000
        assert row["value"] == line[1]
        assert row["direction"] == ["read", "write", "trim"][line[2]]
        assert row["bs"] == line[3]
    assert log["offset"].isna().all()  # averaged logs: no offsets


def test_krien_log_counts() -> None:
    log = read_fio_log(KRIEN)
    assert len(log) == 5396
    assert (log["t_s"].iloc[0], log["value"].iloc[0]) == (1.001, 123780)
    assert (log["t_s"].iloc[-1], log["value"].iloc[-1]) == (5400.017, 87127)
    assert (log["direction"] == "write").all()


def test_bandwidth_vs_bytes_matches_the_runs_own_io_bytes() -> None:
    """The PM883 bw log (log_avg_msec=250) and the JSON of the same run."""
    curve = bandwidth_vs_bytes(read_fio_log(LOGS / PM883.format("bw")))
    doc = json.loads(
        (
            LOGS.parent / "fio-json" / "louwrentius__fio-plot__SAMSUNG_PM883__randwrite-32-1.json"
        ).read_text()
    )
    io_bytes = doc["jobs"][0]["write"]["io_bytes"]
    assert curve["bytes_written"].iloc[-1] == pytest.approx(io_bytes, rel=0.01)
    first = _fields(LOGS / PM883.format("bw"))[0]
    assert curve["bw_bytes"].iloc[0] == first[1] * 1024
    assert curve["bytes_written"].iloc[0] == pytest.approx(first[1] * 1024 * first[0] / 1000)
    assert np.all(np.diff(curve["bytes_written"]) > 0)


def test_bandwidth_vs_bytes_known_answer_per_direction() -> None:
    log = pd.DataFrame(
        {
            "t_s": [1.0, 1.0, 2.0, 2.0, 4.0],
            "value": [1.0, 2.0, 1.0, 2.0, 3.0],
            "direction": ["read", "write", "read", "write", "write"],
            "bs": [0, 0, 0, 0, 0],
        }
    )
    curve = bandwidth_vs_bytes(log)
    assert list(curve["bw_bytes"]) == [1024, 2048, 1024, 2048, 3072]
    assert list(curve["bytes_written"]) == [1024, 2048, 2048, 4096, 4096 + 3072 * 2]


def _sampled(seed: int, window_ms: int = 10) -> tuple[pd.DataFrame, float, np.ndarray]:
    """A write log as fio samples it: every window, some samples late (a busy host: the
    line's rate is over its whole interval), some windows without IO (no line; the next
    line's rate is over one window). (log, bytes fio counted, true cumulative bytes)."""
    rng = np.random.default_rng(seed)
    t = 0.0
    times, values, truth = [], [], []
    done = 0.0
    while t < 2.0:
        kind = rng.choice(["on time", "late", "gap"], p=[0.6, 0.25, 0.15])
        rate_kib = float(rng.uniform(1000, 50_000))
        spent = window_ms * (rng.uniform(1.5, 3.0) if kind == "late" else 1.0)
        if kind == "gap":  # a call without IO (no line), then one window with IO
            t += window_ms / 1000
        t += spent / 1000
        done += rate_kib * 1024 * spent / 1000
        times.append(round(t * 1000) / 1000)
        values.append(round(rate_kib))
        truth.append(done)
    log = pd.DataFrame({"t_s": times, "value": values, "direction": "write", "bs": 0})
    return log, done, np.array(truth)


@pytest.mark.parametrize("seed", range(20))
def test_late_samples_and_gaps_add_up_to_the_bytes_fio_counted(seed: int) -> None:
    log, total, truth = _sampled(seed)
    capped = bandwidth_vs_bytes(log, avg_msec=10)["bytes_written"].to_numpy()
    curve = bandwidth_vs_bytes(log, avg_msec=10, total_bytes={"write": total})
    written = curve["bytes_written"].to_numpy()
    assert written[-1] == pytest.approx(total, rel=0.01)
    # every line's position within a few windows' bytes of the truth; without the total,
    # late samples counted as gaps leave it far short
    worst = np.max(np.abs(written - truth)) / total
    assert worst < 0.05, worst
    assert capped[-1] < 0.95 * total


def test_long_intervals_count_one_window_without_the_total() -> None:
    log = pd.DataFrame(
        {"t_s": [0.01, 0.03, 0.04], "value": [1, 1, 1], "direction": "write", "bs": 0}
    )
    only_gaps = bandwidth_vs_bytes(log, avg_msec=10)["bytes_written"]
    assert list(only_gaps) == pytest.approx([10.24, 20.48, 30.72])
    all_late = bandwidth_vs_bytes(log, avg_msec=10, total_bytes={"write": 40.96})
    assert list(all_late["bytes_written"]) == pytest.approx([10.24, 30.72, 40.96])


def _write(tmp_path: Path, text: str, name: str = "x_bw.1.log") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_five_columns_with_large_values_are_offsets(tmp_path: Path) -> None:
    log = read_fio_log(_write(tmp_path, "0, 100, 1, 4096, 1048576\n1, 100, 1, 4096, 0\n"))
    assert list(log["offset"]) == [1048576, 0]


def test_five_columns_with_small_values_are_priorities(tmp_path: Path) -> None:
    log = read_fio_log(_write(tmp_path, "0, 100, 0, 4096, 8196\n1, 100, 2, 4096, 0\n"))
    assert log["offset"].isna().all()
    assert list(log["direction"]) == ["read", "trim"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1, 2, 1\n", "3 columns"),
        ("1, 2, 1, 0\n2, 3, 1\n", "malformed fio log"),
        ("1, abc, 1, 0\n", "malformed fio log"),
        ("1, 2, 7, 0\n", "data direction 7"),
        ("1, , 1, 0\n", "malformed fio log"),
        ("1,,1,0\n", "empty value"),
    ],
)
def test_malformed_logs_are_one_line_input_errors(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        read_fio_log(_write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_log_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_fio_log(tmp_path / "absent_bw.1.log")


def test_series_kind_from_names() -> None:
    assert series_kind("a/randwrite-iodepth-1-numjobs-1_bw.1.log") == "bw"
    assert series_kind("job_clat.3.log.host-a.example") == "clat"
    assert series_kind("job_iops.log") == "iops"
    with pytest.raises(InputError):
        series_kind("job.json")


def test_series_rows_carry_bs_and_offset_only_where_fio_logged_them(tmp_path: Path) -> None:
    per_io = tmp_path / "job_lat.1.log"  # one line per IO: its size and offset (log_offset=1)
    per_io.write_text("1, 250000, 1, 16384, 1048576, 0\n2, 260000, 1, 4096, 20480, 0\n")
    rows = series_from_log(per_io, "c1")
    assert list(rows["bs"]) == [16384, 4096] and list(rows["offset"]) == [1048576, 20480]
    assert list(rows["value"]) == [250.0, 260.0]  # ns -> us
    averaged = series_from_log(LOGS / PM883.format("bw"), "c1")  # log_avg_msec: bs is 0 there
    assert set(_fields(LOGS / PM883.format("bw"))[0][3:4]) == {0}
    assert averaged["bs"].isna().all() and averaged["offset"].isna().all()
