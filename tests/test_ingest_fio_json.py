"""fio JSON -> cells, on every recorded fio JSON fixture and on edited copies of them."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.ingest import cells_from_fio, ingest_paths, load_fio_json
from nvmeprobe.ingest.fio_json import split_fio_output
from nvmeprobe.ingest.fio_options import alignment_offset, block_size, directions_of
from nvmeprobe.profile.columns import CONTRACT_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
FIO_JSON = sorted((FIXTURES / "real" / "fio-json").glob("*.json")) + sorted(
    (FIXTURES / "emulated").glob("*/fio*.json")
)
KRIEN = (
    FIXTURES
    / "real/fio-json/Krien__NVMeBenchmarks__io_uring-nvme-a-lbaf3-writerand-4096bs-qd32.json"
)
PM883_READ = FIXTURES / "real/fio-json/louwrentius__fio-plot__SAMSUNG_PM883__randread-32-1.json"


def _doc(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_fixture_is_found() -> None:
    assert len(FIO_JSON) == 16


@pytest.mark.parametrize("path", FIO_JSON, ids=lambda p: p.name)
def test_ingest_matches_the_numbers_in_the_file(path: Path) -> None:
    doc = _doc(path)
    cells, skipped = ingest_paths([path])
    assert skipped == []
    expected = [
        (job, d)
        for job in doc["jobs"]
        for d in ("read", "write", "trim")
        if job.get(d, {}).get("total_ios")
    ]
    assert len(cells) == len(expected) > 0
    for (job, direction), (_, row) in zip(expected, cells.iterrows()):
        stats = job[direction]
        clat = stats["clat_ns"]
        assert row["direction"] == direction
        assert row["job_name"] == job["jobname"]
        assert row["rw"] == job["job options"]["rw"]
        assert row["iodepth"] == int(job["job options"]["iodepth"])
        assert row["iops"] == stats["iops"]
        assert row["bw_bytes"] == stats.get("bw_bytes", stats["bw"] * 1024)
        assert row["io_bytes"] == stats["io_bytes"]
        assert row["runtime_s"] == stats["runtime"] / 1000
        assert row["lat_mean_us"] == pytest.approx(clat["mean"] / 1000, rel=1e-12)
        assert row["lat_max_us"] == pytest.approx(clat["max"] / 1000, rel=1e-12)
        assert row["lat_min_us"] == pytest.approx(clat["min"] / 1000, rel=1e-12)
        for column, key in (
            ("lat_p50_us", "50.000000"),
            ("lat_p99_us", "99.000000"),
            ("lat_p99_9_us", "99.900000"),
            ("lat_p99_99_us", "99.990000"),
        ):
            assert row[column] == pytest.approx(clat["percentile"][key] / 1000, rel=1e-12)
        assert math.isnan(row["lat_p99_999_us"])  # not printed, and no json+ bins here
        assert row["host_bytes_written"] == (stats["io_bytes"] if direction == "write" else 0)
        assert pd.isna(row["media_bytes_written"])
        assert row["error"] == job["error"]
        assert row["fio_version"] == doc["fio version"]


def test_contract_columns_and_context() -> None:
    cells = cells_from_fio(
        _doc(KRIEN),
        run_id="r1",
        cell="c1",
        model="M",
        serial="S",
        target="/dev/x",
        steady=True,
        media_bytes_written=123,
    )
    assert list(cells.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    row = cells.iloc[0]
    assert (row["run_id"], row["cell"], row["model"], row["serial"], row["target"]) == (
        "r1",
        "c1",
        "M",
        "S",
        "/dev/x",
    )
    assert bool(row["steady"]) is True
    assert row["media_bytes_written"] == 123
    assert (row["bs"], row["offset"], row["numjobs"], row["ioengine"]) == (4096, 0, 1, "io_uring")


def test_unknowns_are_missing_not_zero() -> None:
    row = cells_from_fio(_doc(KRIEN)).iloc[0]
    for column in (
        "run_id",
        "cell",
        "model",
        "serial",
        "steady",
        "media_bytes_written",
        "host",
        "rwmixread",
    ):
        assert pd.isna(row[column]), column
    assert row["target"] == "/dev/nvme7n1"  # fio's filename when no context target


def test_read_rows_write_nothing_and_media_only_on_writes() -> None:
    row = cells_from_fio(_doc(PM883_READ), media_bytes_written=5).iloc[0]
    assert row["direction"] == "read"
    assert row["host_bytes_written"] == 0
    assert pd.isna(row["media_bytes_written"])


def test_unknown_context_key_is_refused() -> None:
    with pytest.raises(InputError, match="unknown cell context"):
        cells_from_fio(_doc(KRIEN), modle="typo")


def test_fio_31_bandwidth_comes_from_kib() -> None:
    doc = _doc(PM883_READ)
    assert "bw_bytes" not in doc["jobs"][0]["read"]
    row = cells_from_fio(doc).iloc[0]
    assert row["bw_bytes"] == doc["jobs"][0]["read"]["bw"] * 1024


def test_global_options_are_merged_and_job_options_win() -> None:
    doc = _doc(KRIEN)
    job_options = doc["jobs"][0]["job options"]
    doc["global options"] = {"numjobs": "4", "iodepth": "2", "ioengine": "libaio"}
    del job_options["ioengine"]
    row = cells_from_fio(doc).iloc[0]
    assert (row["numjobs"], row["iodepth"], row["ioengine"]) == (4, 32, "libaio")


def test_trim_is_reported_only_when_used() -> None:
    doc = _doc(KRIEN)
    assert len(cells_from_fio(doc)) == 1
    doc["jobs"][0]["trim"] = copy.deepcopy(doc["jobs"][0]["write"])
    cells = cells_from_fio(doc)
    assert list(cells["direction"]) == ["write", "trim"]
    assert cells.iloc[1]["host_bytes_written"] == 0


def test_a_job_without_io_keeps_its_error_with_unknown_latency() -> None:
    doc = _doc(KRIEN)
    job = doc["jobs"][0]
    job["error"] = 5
    for key in ("io_bytes", "total_ios", "iops", "bw", "bw_bytes", "runtime"):
        job["write"][key] = 0
    job["write"]["clat_ns"] = {"min": 0, "max": 0, "mean": 0.0, "stddev": 0.0, "N": 0}
    row = cells_from_fio(doc).iloc[0]
    assert (row["direction"], row["error"], row["iops"]) == ("write", 5, 0.0)
    assert math.isnan(row["lat_mean_us"]) and math.isnan(row["lat_p99_us"])


def test_load_tolerates_junk_before_and_after() -> None:
    text = KRIEN.read_text()
    junk = "fio: connected to NBD server\nnote: both iodepth >= 1 and synchronous\n"
    doc = load_fio_json((junk + text + "\nfio: trailing text {\n").encode(), "x.json")
    assert doc == _doc(KRIEN)


def test_split_keeps_the_document_and_the_text_around_it() -> None:
    text = KRIEN.read_text()
    document, messages = split_fio_output("fio: terminating on signal 2\n" + text + "\nbye\n", "x")
    assert json.loads(document) == _doc(KRIEN)
    assert messages == "fio: terminating on signal 2\nbye"
    assert split_fio_output(text, "x") == (text.strip() + "\n", "")
    with pytest.raises(InputError, match="truncated"):
        split_fio_output(text[:300], "x")


@pytest.mark.parametrize(
    "damage",
    [lambda t: t[: len(t) // 2], lambda t: t.replace(":", ";", 3)],
    ids=["truncated", "corrupt"],
)
def test_damaged_json_is_an_input_error_naming_the_source(damage) -> None:
    with pytest.raises(InputError) as caught:
        load_fio_json(damage(KRIEN.read_text()), "results/x.json")
    message = str(caught.value)
    assert "results/x.json" in message and "\n" not in message


@pytest.mark.parametrize("text", ["", "fio: no output\n", '{"a": 1}\n'])
def test_non_fio_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="no fio JSON results"):
        load_fio_json(text, "y.json")


def test_a_malformed_job_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unexpected shape"):
        cells_from_fio({"fio version": "fio-3.33", "jobs": [{"jobname": "j", "write": 7}]})


@pytest.mark.parametrize(
    ("options", "direction", "expected"),
    [
        ({"bs": "4k"}, "write", 4096),
        ({"bs": "4096"}, "read", 4096),
        ({"bs": "4k,64k"}, "read", 4096),
        ({"bs": "4k,64k"}, "write", 65536),
        ({"bs": "4k,64k"}, "trim", 65536),
        ({"bs": ",8k"}, "read", 4096),
        ({"blocksize": "16KiB"}, "write", 16384),
        ({}, "write", 4096),
        ({"bssplit": "4k/50:64k/50"}, "write", None),
    ],
)
def test_block_size_per_direction(options: dict, direction: str, expected: int | None) -> None:
    assert block_size(options, direction) == expected


def test_offsets_and_modes() -> None:
    assert alignment_offset({}) == 0
    assert alignment_offset({"offset": "4k"}) == 4096
    assert alignment_offset({"offset": "50%"}) is None
    assert directions_of("randrw") == ("read", "write")
    assert directions_of("randread") == ("read",)
    assert directions_of("trimwrite") == ("write", "trim")
    with pytest.raises(InputError):
        block_size({"bs": "4q"}, "write")
