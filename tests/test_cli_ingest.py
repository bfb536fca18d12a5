"""`nvmeprobe ingest`: profiles from fio output nvmeprobe did not run, end to end through
the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import nvmeprobe.cli as cli
from nvmeprobe.profile import read_profile
from nvmeprobe.units import parse_size

FIXTURES = Path(__file__).parent / "fixtures" / "real"
PM883 = "louwrentius__fio-plot__SAMSUNG_PM883__"


@pytest.fixture
def cli_main():
    return cli.main


def _ingest(cli_main, *args: str):
    result = CliRunner().invoke(cli_main, ["ingest", *args, "--json"])
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_every_real_fio_json_gives_its_own_numbers(cli_main, tmp_path):
    result, doc = _ingest(cli_main, str(FIXTURES), "--profiles", str(tmp_path / "p"))
    assert result.exit_code == 0, result.output
    fio_files = sorted(p for p in FIXTURES.rglob("*.json") if b'"fio version"' in p.read_bytes())
    assert len(fio_files) == 11 and doc["skipped"] == []
    (entry,) = doc["profiles"]
    assert entry["results"] == len(fio_files)
    cells = read_profile(entry["profile"]).cells
    for path in fio_files:
        (job,) = json.loads(path.read_text())["jobs"]
        rows = cells[cells["source"] == str(path)]
        assert len(rows) == 1, path
        row = rows.iloc[0]
        stats = job[row["direction"]]
        clat = stats["clat_ns"]
        assert row["iops"] == stats["iops"]
        assert row["bw_bytes"] == stats.get("bw_bytes", stats["bw"] * 1024)
        assert row["lat_mean_us"] == pytest.approx(clat["mean"] / 1000, rel=1e-12)
        assert row["lat_p99_us"] == clat["percentile"]["99.000000"] / 1000
        assert row["lat_p50_us"] == clat["percentile"]["50.000000"] / 1000
        assert row["iodepth"] == int(job["job options"]["iodepth"])
        assert row["bs"] == parse_size(job["job options"]["bs"])


def test_logs_beside_a_result_become_series(cli_main, tmp_path):
    folder = tmp_path / "bench" / "sdc" / "randwrite" / "4k"
    folder.mkdir(parents=True)
    shutil.copy(
        FIXTURES / "fio-json" / f"{PM883}randwrite-32-1.json", folder / "randwrite-32-1.json"
    )
    for kind in ("bw", "iops", "lat"):
        name = f"randwrite-iodepth-32-numjobs-1_{kind}.1.log"
        shutil.copy(FIXTURES / "fio-logs" / f"{PM883}{name}", folder / name)
    result, doc = _ingest(
        cli_main,
        str(tmp_path / "bench"),
        "--profiles",
        str(tmp_path / "p"),
        "--model",
        "SAMSUNG PM883",
    )
    assert result.exit_code == 0, result.output
    (entry,) = doc["profiles"]
    assert len(entry["logs"]) == 3 and "SAMSUNG-PM883_unknown" in entry["profile"]
    profile = read_profile(entry["profile"])
    assert set(profile.series["series"]) == {"bw", "iops", "lat"}
    assert (
        set(profile.series["cell"])
        == {"sdc/randwrite/4k/randwrite-32-1"}
        == set(profile.cells["cell"])
    )
    bw = profile.series[profile.series["series"] == "bw"]
    first = (
        (folder / "randwrite-iodepth-32-numjobs-1_bw.1.log").read_text().splitlines()[0].split(",")
    )
    assert (
        bw["bw_bytes"].iloc[0] == float(first[1]) * 1024
        and bw["bytes_written"].is_monotonic_increasing
    )
    assert profile.cells["model"].tolist() == ["SAMSUNG PM883"]
    assert not profile.findings.empty  # analysed, as a run would be


def test_malformed_files_are_listed_and_skipped(cli_main, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = FIXTURES / "fio-json" / f"{PM883}randread-1-1.json"
    shutil.copy(good, folder / "randread-1-1.json")
    (folder / "randread-32-1.json").write_text(good.read_text()[:3000])  # cut off mid-run
    (folder / "randwrite-4-1.json").write_text("")
    result, doc = _ingest(
        cli_main, str(folder), str(tmp_path / "missing"), "--profiles", str(tmp_path / "p")
    )
    assert result.exit_code == 0, result.output
    assert len(doc["profiles"]) == 1 and doc["cells"] == 1
    reasons = {Path(s["path"]).name: s["reason"] for s in doc["skipped"]}
    assert set(reasons) == {"randread-32-1.json", "randwrite-4-1.json", "missing"}
    assert "truncated or corrupt" in reasons["randread-32-1.json"]


def test_nothing_ingested_exits_2(cli_main, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(cli_main, ["ingest", str(bad), "--profiles", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "skipped" in result.output and "nothing ingested" in result.output
    assert not (tmp_path / "p").exists()
