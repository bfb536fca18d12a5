"""Live: a real smoke run on a file, then ingest its raw results, query both profiles, report."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

import nvmeprobe.cli as cli
from nvmeprobe.profile import read_profile

pytestmark = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
KEYS = ["rw", "direction", "bs", "offset", "iodepth", "numjobs"]


@pytest.fixture
def cli_main():
    return cli.main


def _invoke(cli_main, *args: str) -> dict | list:
    result = CliRunner().invoke(cli_main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_then_ingest_query_compare_report(cli_main, tmp_path):
    profiles = tmp_path / "profiles"
    target = tmp_path / "target.img"
    with open(target, "wb") as handle:
        handle.truncate(256 << 20)
    run = _invoke(
        cli_main,
        "run",
        str(target),
        "--plan",
        "smoke",
        "--set",
        "runtime=1s",
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(profiles),
    )
    ingested = _invoke(cli_main, "ingest", run["results"], "--profiles", str(profiles))
    (entry,) = ingested["profiles"]
    ours, theirs = read_profile(run["profile"]).cells, read_profile(entry["profile"]).cells
    assert len(theirs) == len(ours) == run["cells_done"]
    merged = ours.merge(theirs, on=KEYS, suffixes=("_run", "_ingested"))
    assert len(merged) == len(ours)
    for column in ("iops", "bw_bytes", "lat_mean_us", "lat_p99_us"):
        pd.testing.assert_series_equal(
            merged[f"{column}_run"], merged[f"{column}_ingested"], check_names=False
        )

    rows = _invoke(
        cli_main,
        "query",
        "select run_id, count(*) n from cells group by run_id order by run_id",
        "--profiles",
        str(profiles),
    )
    assert sorted(r["run_id"] for r in rows) == sorted([run["run_id"], entry["run_id"]])
    assert {r["n"] for r in rows} == {run["cells_done"]}

    doc = _invoke(cli_main, "compare", run["profile"], entry["profile"])
    assert doc["summary"]["cell_values_beyond_noise"] == 0 and doc["cells_only_in_a"] == []

    report = _invoke(
        cli_main, "report", run["profile"], entry["profile"], "--out", str(tmp_path / "report")
    )
    assert len(report["pngs"]) >= 6  # two profiles; heatmaps, latency, queue depth at least
