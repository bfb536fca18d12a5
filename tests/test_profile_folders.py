"""Profiles in any shape: files, run folders, drive folders and whole trees, in every reader.

Trees are made of synthetic profiles written through the real writer
(`write_synthetic`): one folder per drive, several runs per drive, a run
folder whose manifest names its profile, and Parquet files that are not
profiles (a recommendation, a partial export) that folder searches must pass
over.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_report_support import write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.errors import InputError
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.resolve import load_profiles, resolve_profiles
from nvmeprobe.report.fleet import fleets


@pytest.fixture
def cli_main(monkeypatch):
    extra = tuple(
        c
        for c in ("report", "compare", "export", "query", "analyze", "recommend", "qualify")
        if c not in cli.COMMANDS
    )
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + extra)
    return cli.main


def _invoke(cli_main, *args: str):
    return CliRunner().invoke(cli_main, list(args))


def _drive(root: Path, serial: str, scale: float, runs: int = 1, **kwargs) -> list[Path]:
    return [
        write_synthetic(
            root / f"SYNTH-QLC_{serial}" / f"2026-0{run + 1}-{serial}.parquet",
            serial=serial,
            scale=scale * (1 + 0.004 * run),
            series=False,
            **kwargs,
        )
        for run in range(runs)
    ]


@pytest.fixture
def lab(tmp_path) -> Path:
    """profiles/ with drives S1..S3 (S1 twice) close together and S4 at half speed; a run
    folder naming S1's second run; a recommendation Parquet beside the drives."""
    profiles = tmp_path / "profiles"
    _drive(profiles, "S1", 1.0, runs=2)
    _drive(profiles, "S2", 1.01)
    _drive(profiles, "S3", 0.99)
    _drive(profiles, "S4", 0.5)
    run = tmp_path / "results" / "run-1"
    run.mkdir(parents=True)
    named = profiles / "SYNTH-QLC_S1" / "2026-02-S1.parquet"
    (run / "manifest.json").write_text(json.dumps({"profile": str(named.resolve())}))
    pd.DataFrame({"workload": ["x"]}).to_parquet(profiles / "recommendation.parquet")
    return tmp_path


def test_resolver_takes_any_mix_once_each(lab):
    profiles = lab / "profiles"
    tree = resolve_profiles([profiles])
    assert sorted(p.name for p in tree) == [
        "2026-01-S1.parquet",
        "2026-01-S2.parquet",
        "2026-01-S3.parquet",
        "2026-01-S4.parquet",
        "2026-02-S1.parquet",
    ]
    mixed = resolve_profiles(
        [
            lab / "results" / "run-1",
            profiles / "SYNTH-QLC_S1",
            profiles / "SYNTH-QLC_S2" / "2026-01-S2.parquet",
            lab,
        ]
    )
    assert [p.name for p in mixed[:3]] == [
        "2026-02-S1.parquet",
        "2026-01-S1.parquet",
        "2026-01-S2.parquet",
    ]
    assert len(mixed) == 5  # the whole lab folder adds S3 and S4, nothing twice
    (lab / "empty").mkdir()
    with pytest.raises(InputError, match="no profiles found"):
        resolve_profiles([lab / "empty"])


@pytest.mark.parametrize(
    "command",
    [
        ["analyze"],
        ["report", "--out", "REPORT"],
        ["export", "--format", "csv"],
        ["recommend", "--output", "REC"],
        ["compare", "PROFILES"],
        ["query", "select 1", "--profiles"],
    ],
)
def test_a_folder_without_profiles_is_one_line_exit_2(cli_main, lab, command):
    empty = lab / "nothing-here"
    empty.mkdir()
    (empty / "notes.txt").write_text("no profiles")
    args = [
        str(lab / "out")
        if a in ("REPORT", "REC")
        else str(lab / "profiles")
        if a == "PROFILES"
        else a
        for a in command
    ]
    result = _invoke(cli_main, *args, str(empty))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "no profiles found" in result.output


def test_report_on_a_profiles_tree_shows_the_fleet(cli_main, lab):
    out = lab / "report"
    result = _invoke(cli_main, "report", str(lab / "profiles"), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (fleet,) = doc["fleets"]
    assert fleet["model"] == "SYNTH QLC" and fleet["drives"] == ["S1", "S2", "S3", "S4"]
    (outlier,) = fleet["outliers"]
    assert fleet["profiles"] == 5 and outlier["drive"] == "S4" and outlier["values"] > 200
    rows = fleet["cells"] + fleet["findings"]
    assert outlier["values"] == sum(bool(row.get("outliers")) for row in rows)
    iops = next(
        r
        for r in fleet["cells"]
        if r["metric"] == "iops"
        and r["rw"] == "randwrite"
        and r["bs"] == 4096
        and r["iodepth"] == 16
        and r["offset"] == 0
    )
    assert iops["n"] == 4 and iops["outliers"] == ["S4"]
    assert iops["min"] == pytest.approx(iops["max"] / 2.02, rel=0.01)
    html = (out / "report.html").read_text()
    assert "fleet: SYNTH QLC" in html and 'class="outlier"' in html
    assert len({p.split("/")[-2] for p in doc["pngs"]}) == 5


def test_fleet_view_median_spread_and_no_outlier_in_a_tight_fleet(tmp_path):
    for serial, scale in (("A", 1.0), ("B", 1.02), ("C", 0.98), ("D", 1.01)):
        _drive(tmp_path, serial, scale)
    (fleet,) = fleets(load_profiles(resolve_profiles([tmp_path])))
    assert fleet["outliers"] == []
    row = next(r for r in fleet["cells"] if r["metric"] == "iops")
    assert row["n"] == 4 and row["spread"] == pytest.approx((1.02 - 0.98) / 1.005, rel=1e-3)
    assert row["median"] == pytest.approx(row["min"] / 0.98 * 1.005, rel=1e-3)
    finding = next(r for r in fleet["findings"] if r["finding"] == "iu.inferred_bytes")
    assert finding["median"] == 16384 and finding["spread"] == 0


def test_analyze_a_folder_stores_findings_in_each_profile(cli_main, tmp_path):
    paths = [
        *_drive(tmp_path, "S1", 1.0, runs=2, findings=False),
        *_drive(tmp_path, "S2", 1.0, findings=False),
    ]
    assert all(read_profile(p).findings.empty for p in paths)
    result = _invoke(cli_main, "analyze", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert sorted(Path(d["profile"]).name for d in doc) == sorted(p.name for p in paths)
    assert all(d["findings"]["iu"]["inferred_bytes"] == 16384 for d in doc)
    assert not any(read_profile(p).findings.empty for p in paths)
    one = _invoke(cli_main, "analyze", str(paths[0]), "--json")
    assert json.loads(one.output)["iu"]["inferred_bytes"] == 16384  # one profile: the object itself


def test_export_of_a_tree_and_partial_exports_are_never_taken_for_profiles(cli_main, lab):
    profiles = lab / "profiles"
    csv = lab / "all.csv"
    assert (
        _invoke(
            cli_main,
            "export",
            str(profiles),
            "--format",
            "csv",
            "--record",
            "cell",
            "--out",
            str(csv),
        ).exit_code
        == 0
    )
    rows = pd.read_csv(csv)
    runs = rows.groupby("serial")["run_id"].nunique().to_dict()
    assert runs == {"S1": 2, "S2": 1, "S3": 1, "S4": 1}
    assert len(rows) == sum(len(read_profile(p).cells) for p in resolve_profiles([profiles]))
    partial = profiles / "SYNTH-QLC_S2" / "cells-only.parquet"
    assert (
        _invoke(
            cli_main,
            "export",
            str(profiles / "SYNTH-QLC_S2"),
            "--format",
            "parquet",
            "--record",
            "cell",
            "--out",
            str(partial),
        ).exit_code
        == 0
    )
    assert (
        pd.read_parquet(partial)["iops"].tolist()
        == read_profile(profiles / "SYNTH-QLC_S2" / "2026-01-S2.parquet").cells["iops"].tolist()
    )
    with pytest.raises(InputError, match="partial export .*cell rows of 1 profile"):
        read_profile(partial)
    refused = _invoke(cli_main, "analyze", str(partial))
    assert refused.exit_code == 2 and "partial export" in refused.output
    assert len(resolve_profiles([profiles])) == 5  # the folder search passes over it
    merged = lab / "merged.parquet"
    exported = _invoke(
        cli_main, "export", str(profiles), "--format", "parquet", "--out", str(merged)
    )
    assert exported.exit_code == 0
    with pytest.raises(InputError, match="partial export .*all rows of 5 profile"):
        read_profile(merged)
    query = _invoke(
        cli_main,
        "query",
        "select count(distinct filename) n from cells",
        "--profiles",
        str(profiles),
        "--json",
    )
    assert query.exit_code == 0 and json.loads(query.output) == [{"n": 5}]


def test_full_export_of_one_profile_round_trips_through_every_command(cli_main, lab):
    source = lab / "profiles" / "SYNTH-QLC_S3" / "2026-01-S3.parquet"
    copy = lab / "copy" / "S3.parquet"
    copy.parent.mkdir()
    exported = _invoke(cli_main, "export", str(source), "--format", "parquet", "--out", str(copy))
    assert exported.exit_code == 0
    a, b = read_profile(source), read_profile(copy)
    for name in ("cells", "series", "findings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.facts, a.manifest, a.run_id) == (b.facts, b.manifest, b.run_id)
    compared = _invoke(cli_main, "compare", str(source), str(copy.parent), "--json")
    assert compared.exit_code == 0, compared.output
    summary = json.loads(compared.output)["summary"]
    assert summary["cell_values_beyond_noise"] == 0 and summary["findings_beyond_noise"] == 0
    assert _invoke(cli_main, "analyze", str(copy.parent), "--json").exit_code == 0
    assert _invoke(cli_main, "report", str(copy.parent), "--out", str(lab / "r")).exit_code == 0
    recommended = _invoke(cli_main, "recommend", str(copy.parent), "--output", str(lab / "rec.pq"))
    assert recommended.exit_code == 0


def test_recommend_on_a_tree_makes_one_class_per_model(cli_main, lab):
    result = _invoke(
        cli_main, "recommend", str(lab / "profiles"), "--output", str(lab / "rec.parquet"), "--json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {p["drive"] for p in doc["placements"]} == {"SYNTH QLC"}
    assert [f["name"] for f in doc["fleets"]] == ["mixed", "all-SYNTH QLC"]
