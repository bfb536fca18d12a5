"""Ingest output that the installed fio writes now: json+, mixed jobs, logs, client/server."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from nvmeprobe.ingest import (
    bandwidth_vs_bytes,
    cells_from_fio,
    ingest_paths,
    load_fio_json,
    percentile_from_bins,
    read_fio_log,
    series_from_log,
)

pytestmark = [
    pytest.mark.skipif(shutil.which("fio") is None, reason="fio not installed"),
    pytest.mark.xdist_group("fio-runs"),  # one worker runs the module fixture once
]

PERCENTILES = "1:5:10:25:50:75:90:99:99.5:99.9:99.95:99.99:99.999:99.9999:100"


def _fio(workdir: Path, *args: str) -> None:
    subprocess.run(["fio", *args], cwd=workdir, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixed json+ run with averaged logs, and a per-IO run with offsets logged."""
    work = tmp_path_factory.mktemp("fio")
    data = str(work / "data.bin")
    _fio(
        work,
        "--name=mix",
        f"--filename={data}",
        "--size=64m",
        "--rw=randrw",
        "--rwmixread=70",
        "--bs=4k,64k",
        "--ioengine=psync",
        "--runtime=2",  # the bytes after the last sample are a small share,
        "--time_based",
        "--numjobs=2",
        "--group_reporting",
        f"--percentile_list={PERCENTILES}",
        "--output-format=json+",
        "--output=mix.json",
        "--write_bw_log=mix",
        "--write_iops_log=mix",
        "--write_lat_log=mix",
        "--log_avg_msec=100",
    )
    _fio(
        work,
        "--name=perio",
        f"--filename={data}",
        "--size=8m",
        "--rw=randwrite",
        "--bs=4k",
        "--ioengine=psync",
        "--output-format=json",
        "--output=perio.json",
        "--write_bw_log=perio",
        "--write_lat_log=perio",
        "--log_offset=1",
    )
    return work


def _doc(path: Path) -> dict:
    return json.loads(path.read_text())


def test_percentiles_from_bins_equal_fios_own(runs: Path) -> None:
    job = _doc(runs / "mix.json")["jobs"][0]
    checked = 0
    for direction in ("read", "write"):
        clat = job[direction]["clat_ns"]
        assert sum(clat["bins"].values()) == clat["N"]
        for key, printed in clat["percentile"].items():
            assert percentile_from_bins(clat["bins"], float(key)) == printed, (direction, key)
            checked += 1
    assert checked == 30


def test_json_plus_mixed_group_gives_read_and_write_rows(runs: Path) -> None:
    doc = _doc(runs / "mix.json")
    job = doc["jobs"][0]
    cells = cells_from_fio(load_fio_json((runs / "mix.json").read_bytes(), "mix.json"))
    assert list(cells["direction"]) == ["read", "write"]
    assert list(cells["bs"]) == [4096, 65536]
    assert list(cells["rwmixread"]) == [70, 70]
    assert list(cells["numjobs"]) == [2, 2]
    assert (cells["rw"] == "randrw").all()
    for _, row in cells.iterrows():
        clat = job[row["direction"]]["clat_ns"]
        assert row["iops"] == job[row["direction"]]["iops"]
        assert row["lat_p99_999_us"] == clat["percentile"]["99.999000"] / 1000
        assert row["lat_p50_us"] == clat["percentile"]["50.000000"] / 1000
    write = cells.iloc[1]
    assert write["host_bytes_written"] == job["write"]["io_bytes"] > 0


def test_default_percentiles_get_p99_999_from_the_bins(runs: Path) -> None:
    doc = _doc(runs / "mix.json")
    clat = doc["jobs"][0]["write"]["clat_ns"]
    del clat["percentile"]["99.999000"]
    row = cells_from_fio(doc).iloc[1]
    assert row["lat_p99_999_us"] == percentile_from_bins(clat["bins"], 99.999) / 1000
    assert row["lat_p99_999_us"] >= row["lat_p99_99_us"]


def test_averaged_logs_with_priority_column(runs: Path) -> None:
    path = runs / "mix_bw.1.log"
    lines = [line.split(",") for line in path.read_text().splitlines()]
    assert len(lines[0]) == 5  # time, value, ddir, bs, priority
    log = read_fio_log(path)
    assert len(log) == len(lines)
    assert log["t_s"].iloc[-1] == int(lines[-1][0]) / 1000
    assert log["value"].iloc[0] == int(lines[0][1])
    assert set(log["direction"]) == {"read", "write"}
    assert log["offset"].isna().all()
    for kind in ("iops", "lat", "clat"):
        assert len(read_fio_log(runs / f"mix_{kind}.2.log")) > 0
    assert (runs / "mix_slat.2.log").stat().st_size == 0  # psync has no submission latency
    empty = read_fio_log(runs / "mix_slat.2.log")
    assert len(empty) == 0 and list(empty.columns) == list(log.columns)


def test_per_io_logs_carry_offsets_and_sum_to_io_bytes(runs: Path) -> None:
    lines = [line.split(",") for line in (runs / "perio_bw.1.log").read_text().splitlines()]
    assert len(lines[0]) == 6  # time, value, ddir, bs, offset, priority
    log = read_fio_log(runs / "perio_bw.1.log")
    assert list(log["offset"].astype("int64")) == [int(line[4]) for line in lines]
    assert (log["bs"] == 4096).all()
    curve = bandwidth_vs_bytes(log)
    doc = _doc(runs / "perio.json")
    assert curve["bytes_written"].iloc[-1] == doc["jobs"][0]["write"]["io_bytes"] == 8 * 2**20
    assert np.all(np.diff(curve["bytes_written"]) > 0)


def test_averaged_bw_log_integrates_to_the_bytes_fio_counted(runs: Path) -> None:
    doc = _doc(runs / "mix.json")
    logged = sum(
        bandwidth_vs_bytes(read_fio_log(runs / f"mix_bw.{n}.log"))
        .groupby("direction", observed=True)["bytes_written"]
        .last()
        for n in (1, 2)
    )
    for direction in ("read", "write"):
        io_bytes = doc["jobs"][0][direction]["io_bytes"]
        assert logged[direction] == pytest.approx(io_bytes, rel=0.15)


def test_series_units(runs: Path) -> None:
    lat = series_from_log(runs / "mix_clat.1.log", cell="c1")
    raw = read_fio_log(runs / "mix_clat.1.log")
    assert (lat["series"] == "clat").all() and (lat["cell"] == "c1").all()
    assert np.allclose(lat["value"], raw["value"] / 1000)  # ns -> us
    bw = series_from_log(runs / "mix_bw.1.log")
    assert np.allclose(bw["value"], bw["bw_bytes"])
    assert "bytes_written" in bw


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            pytest.fail(f"fio --server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("fio --server did not start listening")


def test_client_server_output_keeps_host_and_drops_all_clients(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        ["fio", f"--server=ip:127.0.0.1,{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, server)
        (tmp_path / "job.fio").write_text(
            f"[global]\nfilename={tmp_path / 'cs.bin'}\nsize=16m\nioengine=psync\nruntime=1\n"
            "time_based=1\nbs=4k\niodepth=1\n[reader]\nrw=randread\n[writer]\nrw=randwrite\nbs=8k\n"
        )
        _fio(
            tmp_path,
            f"--client=ip:127.0.0.1,{port}",
            "job.fio",
            "--output-format=json+",
            "--output=cs.json",
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    doc = json.loads((tmp_path / "cs.json").read_text())
    names = [entry["jobname"] for entry in doc["client_stats"]]
    assert "All clients" in names
    cells, skipped = ingest_paths([tmp_path / "cs.json"])
    assert skipped == []
    assert list(cells["job_name"]) == ["reader", "writer"]
    assert list(cells["direction"]) == ["read", "write"]
    assert list(cells["bs"]) == [4096, 8192]  # job option over global option
    assert (cells["host"] == "127.0.0.1").all()
    assert list(cells["iops"]) == [
        doc["client_stats"][0]["read"]["iops"],
        doc["client_stats"][1]["write"]["iops"],
    ]
