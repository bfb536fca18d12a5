"""`nvmeprobe export`: CSV, JSON and Parquet round trips."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from test_report_support import write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.schema import FIELDS_BY_RECORD, SCHEMA


@pytest.fixture
def cli_main(monkeypatch):
    extra = tuple(
        c for c in ("report", "compare", "export", "ingest", "query") if c not in cli.COMMANDS
    )
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + extra)
    return cli.main


@pytest.fixture
def profile(tmp_path):
    return write_synthetic(tmp_path / "p.parquet")


def _export(cli_main, *args: str) -> bytes:
    result = CliRunner().invoke(cli_main, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_csv_cells_round_trip(cli_main, profile):
    original = read_profile(profile).cells
    frame = pd.read_csv(
        io.BytesIO(_export(cli_main, str(profile), "--format", "csv", "--record", "cell"))
    )
    assert list(frame.columns) == ["record", *FIELDS_BY_RECORD["cell"]]
    assert len(frame) == len(original) and set(frame["record"]) == {"cell"}
    for column in ("iops", "bw_bytes", "lat_p99_us"):
        assert frame[column].tolist() == pytest.approx(original[column].tolist(), nan_ok=True)
    assert frame["bs"].tolist() == original["bs"].tolist()


def test_json_findings_round_trip(cli_main, profile):
    from nvmeprobe.profile import frame_to_findings

    rows = json.loads(_export(cli_main, str(profile), "--format", "json", "--record", "finding"))
    frame = pd.DataFrame(rows)
    assert frame_to_findings(frame) == frame_to_findings(read_profile(profile).findings)


def test_parquet_full_export_is_a_profile(cli_main, profile, tmp_path):
    out = tmp_path / "copy.parquet"
    _export(cli_main, str(profile), "--format", "parquet", "--out", str(out))
    a, b = read_profile(profile), read_profile(out)
    for name in ("cells", "series", "findings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.facts, a.manifest, a.run_id) == (b.facts, b.manifest, b.run_id)


def test_parquet_to_redirected_stdout_and_all_records_csv(cli_main, profile):
    data = _export(cli_main, str(profile), "--format", "parquet", "--record", "series")
    table = pd.read_parquet(io.BytesIO(data))
    assert len(table) == len(read_profile(profile).series) and "finding" not in table.columns
    everything = pd.read_csv(
        io.BytesIO(_export(cli_main, str(profile), "--format", "csv")), low_memory=False
    )
    assert list(everything.columns) == SCHEMA.names
    assert everything["record"].value_counts().to_dict().keys() == {"cell", "series", "finding"}


def test_unknown_format_and_bad_profile(cli_main, profile, tmp_path):
    result = CliRunner().invoke(cli_main, ["export", str(profile), "--format", "xml"])
    assert result.exit_code == 2
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    result = CliRunner().invoke(cli_main, ["export", str(junk), "--format", "csv"])
    assert result.exit_code == 2 and "not a Parquet profile" in result.output
