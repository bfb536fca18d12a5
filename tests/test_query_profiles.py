"""`nvmeprobe query`: SQL over every profile in a folder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_report_support import write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.report.query import run_query


@pytest.fixture
def cli_main():
    return cli.main


@pytest.fixture
def profiles(tmp_path):
    folder = tmp_path / "profiles"
    write_synthetic(folder / "SYNTH_S1" / "run1.parquet")
    write_synthetic(folder / "SYNTH_S2" / "run2.parquet", scale=0.5, serial="S2", series=False)
    return folder


def test_views_over_two_profiles(profiles):
    result = run_query(
        [profiles],
        "select serial, count(*) n, max(iops) top from cells group by serial order by serial",
    )
    assert result.columns == ["serial", "n", "top"]
    (s1, n1, top1), (s2, n2, top2) = result.rows
    assert (s1, s2, n1, n2) == ("S1", "S2", 37, 37) and top2 == pytest.approx(top1 / 2)
    series = run_query(
        [profiles], "select count(distinct filename), count(*) from series where series = 'bw'"
    ).rows
    assert series == [(1, 320)]
    findings = run_query(
        [profiles], "select value from findings where finding = 'iu.inferred_bytes'"
    ).rows
    assert findings == [(16384.0,), (16384.0,)]
    assert run_query([profiles], "select count(*) from profiles").rows[0][0] > 74


def test_query_cli_json_and_table(profiles, cli_main):
    result = CliRunner().invoke(
        cli_main,
        [
            "query",
            "select serial, count(*) n from cells group by 1 order by 1",
            "--profiles",
            str(profiles),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"serial": "S1", "n": 37}, {"serial": "S2", "n": 37}]
    table = CliRunner().invoke(cli_main, ["query", "select 1 as one", "--profiles", str(profiles)])
    assert table.exit_code == 0 and "one" in table.output


def test_bad_sql_and_missing_profiles_are_one_line(profiles, cli_main, tmp_path):
    result = CliRunner().invoke(
        cli_main, ["query", "selec * from cells", "--profiles", str(profiles)]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "query failed: Parser Error" in result.output
    unknown = CliRunner().invoke(
        cli_main, ["query", "select nope from cells", "--profiles", str(profiles)]
    )
    assert unknown.exit_code == 2 and "nope" in unknown.output
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(
        cli_main, ["query", "select 1", "--profiles", str(tmp_path / "empty")]
    )
    assert empty.exit_code == 2 and "no profiles" in empty.output
