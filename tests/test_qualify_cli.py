"""`nvmeprobe qualify`: judging a profile, exit codes, JUnit files, and live runs on loop
devices."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_run import sha256_of
from click.testing import CliRunner
from conftest import needs_fio

import nvmeprobe.cli as cli
from nvmeprobe.errors import InputError, MeasurementFailed
from nvmeprobe.profile import read_profile, write_profile
from nvmeprobe.profile.columns import cells_frame
from nvmeprobe.qualify import load_criteria
from nvmeprobe.qualify.workflow import QualifyRequest, raise_if_failed
from nvmeprobe.qualify.workflow import qualify as qualify_request

etree = pytest.importorskip("lxml.etree", reason="lxml is a test dependency (pip install lxml)")
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "JUnit.xsd")))

REACHABLE = """
[[criterion]]
name = "4 KiB random write IOPS at QD16"
metric = "iops"
where = { rw = "randwrite", bs = "4k", iodepth = 16 }
min = 100
[[criterion]]
name = "wear per run"
metric = "host_bytes_written"
agg = "sum"
max = 10e9
"""
IMPOSSIBLE = """
[[criterion]]
name = "a billion IOPS"
metric = "iops"
where = { rw = "randread", iodepth = 16 }
min = 1e9
[[criterion]]
metric = "lat_p99_us"
max = 100000
"""


def qualify(*args: str):
    return CliRunner().invoke(cli.main, ["qualify", *args])


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def profile(
    tmp_path: Path, name: str = "p.parquet", iops: float = 20000.0, findings: bool = True
) -> Path:
    rows = [
        {
            "run_id": "r1",
            "cell": f"c{i}",
            "target": "/dev/loop9",
            "rw": rw,
            "direction": d,
            "bs": 4096,
            "offset": 0,
            "iodepth": qd,
            "numjobs": 1,
            "iops": iops * (i + 1),
            "bw_bytes": iops * 4096,
            "lat_p99_us": 800.0,
            "host_bytes_written": 10_000_000 if d == "write" else 0,
        }
        for i, (rw, d, qd) in enumerate(
            [("randwrite", "write", 1), ("randwrite", "write", 16), ("randread", "read", 16)]
        )
    ]
    found = (
        {"iu": {"inferred_bytes": 4096, "reported_bytes": 4096, "agrees": True}}
        if findings
        else None
    )
    return write_profile(
        tmp_path / name,
        cells_frame(rows),
        None,
        found,
        metadata={
            "facts": {"target": "/dev/loop9"},
            "run_id": "r1",
            "manifest": {"plan": {"name": "smoke"}},
        },
    )


def test_judging_a_profile_passes_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = profile(tmp_path, findings=False)
    before = sha256_of(path)
    criteria = write(
        tmp_path, "ok.toml", REACHABLE + '[[criterion]]\nmetric = "iu.inferred_bytes"\nmin = 4096\n'
    )
    result = qualify("--profile", str(path), "--criteria", criteria, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] is True and doc["summary"] == {"verdicts": 3, "failed": 0, "passed": 3}
    assert [v["value"] for v in doc["verdicts"]] == [40000.0, 20_000_000, 4096]
    assert doc["target"] == "/dev/loop9" and doc["plan"] == "smoke" and doc["run"] is None
    assert sha256_of(path) == before and read_profile(path).findings.empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.toml", "p.parquet"]


def test_an_impossible_criterion_fails_with_exit_code_1_and_a_table(tmp_path):
    path = profile(tmp_path)
    result = qualify("--profile", str(path), "--criteria", write(tmp_path, "no.toml", IMPOSSIBLE))
    assert result.exit_code == 1
    assert (
        "FAIL" in result.stdout and "a billion IOPS" in result.stdout and "FAILED" in result.stdout
    )
    assert "qualification failed: 1 of 2 checks failed" in result.stderr


def test_malformed_criteria_exit_2_in_one_line(tmp_path):
    path = profile(tmp_path)
    bad = write(
        tmp_path, "bad.toml", '[[criterion]]\nmetric = "iops"\nwhere = { depth = 1 }\nmin = 1\n'
    )
    result = qualify("--profile", str(path), "--criteria", bad)
    assert result.exit_code == 2
    assert (
        result.stderr.strip().count("\n") == 0 and "unknown where column 'depth'" in result.stderr
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "extra,message",
    [
        (["/dev/loop9"], "not both"),
        (["--plan", "qd"], "drop --plan"),
        (["--set", "runtime=1s", "--results", "r"], "drop --set, --results"),
    ],
)
def test_run_options_are_refused_with_profile(tmp_path, extra, message):
    criteria = write(tmp_path, "ok.toml", REACHABLE)
    result = qualify("--profile", str(profile(tmp_path)), "--criteria", criteria, *extra)
    assert result.exit_code == 2 and message in result.stderr


def test_neither_target_nor_profile_is_an_input_error(tmp_path):
    result = qualify("--criteria", write(tmp_path, "ok.toml", REACHABLE))
    assert result.exit_code == 2 and "needs a TARGET" in result.stderr


def test_baseline_regression_and_junit(tmp_path):
    base = profile(tmp_path, "base.parquet", iops=30000.0)
    now = profile(tmp_path, "now.parquet", iops=20000.0)
    criteria = write(
        tmp_path, "ok.toml", REACHABLE + '[regression]\ntolerance = 0.10\nmetrics = ["iops"]\n'
    )
    junit = tmp_path / "out" / "junit.xml"
    result = qualify(
        "--profile",
        str(now),
        "--criteria",
        criteria,
        "--baseline",
        str(base),
        "--junit",
        str(junit),
        "--json",
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    regressions = [v for v in doc["verdicts"] if v["kind"] == "regression"]
    assert len(regressions) == 3 and not any(v["passed"] for v in regressions)
    assert {(v["baseline"], v["value"]) for v in regressions} == {
        (30000.0, 20000.0),
        (60000.0, 40000.0),
        (90000.0, 60000.0),
    }
    xml = etree.parse(str(junit))
    SCHEMA.assertValid(xml)
    assert [s.get("failures") for s in xml.getroot()] == ["0", "3"]
    lenient = write(tmp_path, "lenient.toml", REACHABLE + "[regression]\ntolerance = 0.5\n")
    result = qualify("--profile", str(now), "--criteria", lenient, "--baseline", str(base))
    assert result.exit_code == 0, result.output


def test_python_callers_qualify_without_the_cli(tmp_path):
    """The command's workflow (judge, JUnit, exit decision) is reusable from Python."""
    now = profile(tmp_path, "now.parquet")
    junit = tmp_path / "out" / "junit.xml"
    criteria = load_criteria(write(tmp_path, "no.toml", IMPOSSIBLE))
    result = qualify_request(QualifyRequest(criteria, profile=(now,), junit_file=junit))
    assert not result.passed and [v.passed for v in result.verdicts] == [False, True]
    SCHEMA.assertValid(etree.parse(str(junit)))
    with pytest.raises(MeasurementFailed, match="1 of 2 checks failed"):
        raise_if_failed(result)
    with pytest.raises(InputError, match="not both"):
        qualify_request(QualifyRequest(criteria, target="/dev/loop9", profile=(now,)))


def test_a_missing_baseline_is_refused_before_anything_runs(tmp_path):
    result = qualify(
        "/dev/loop9",
        "--criteria",
        write(tmp_path, "ok.toml", REACHABLE),
        "--baseline",
        str(tmp_path / "absent.parquet"),
    )
    assert result.exit_code == 2 and "no such profile" in result.stderr


@needs_fio
def test_qualify_runs_smoke_on_a_loop_device(make_loop, tmp_path):
    device = make_loop(256)
    criteria = write(tmp_path, "ok.toml", 'set = ["runtime=500ms"]\n' + REACHABLE)
    junit = tmp_path / "junit.xml"
    result = qualify(
        device,
        "--criteria",
        criteria,
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--junit",
        str(junit),
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] and doc["plan"] == "smoke" and doc["target"] == device
    assert doc["run"]["cells_done"] == 5 and Path(doc["profile"]).is_file()
    SCHEMA.assertValid(etree.parse(str(junit)))
    again = qualify(
        "--profile", doc["profile"], "--criteria", write(tmp_path, "no.toml", IMPOSSIBLE)
    )
    assert again.exit_code == 1


@needs_fio
def test_a_refused_target_exits_3_with_a_junit_error(make_loop, tmp_path):
    device = make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", device], check=True)
    junit = tmp_path / "junit.xml"
    result = qualify(
        device,
        "--criteria",
        write(tmp_path, "ok.toml", REACHABLE),
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--junit",
        str(junit),
    )
    assert result.exit_code == 3 and "in use" in result.stderr
    xml = etree.parse(str(junit))
    SCHEMA.assertValid(xml)
    assert "in use" in xml.find("testsuite/testcase/error").get("message")


@needs_fio
def test_qualify_json_names_the_failed_cell_of_a_failed_run(make_loop, tmp_path):
    device = make_loop(64, read_only=True)  # its first write cell fails
    criteria = write(tmp_path, "ok.toml", 'set = ["runtime=500ms"]\n' + REACHABLE)
    result = qualify(
        device,
        "--criteria",
        criteria,
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--json",
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] is False and doc["target"] == device and doc["verdicts"] == []
    assert doc["run"]["cells_failed"] == ["000-rand4k-randwrite-4k-qd1-nj1"]
    assert "Operation not permitted" in doc["error"]
    assert doc["error"] == doc["run"]["errors"]["000-rand4k-randwrite-4k-qd1-nj1"]


@needs_fio
def test_qualify_several_targets_at_once(make_loop, tmp_path):
    good, formatted = make_loop(128), make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", formatted], check=True)  # refused: in use
    junit = tmp_path / "junit.xml"
    criteria = write(tmp_path, "ok.toml", 'set = ["runtime=500ms"]\n' + REACHABLE)
    result = qualify(
        good,
        formatted,
        "--criteria",
        criteria,
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--junit",
        str(junit),
        "--json",
    )
    assert result.exit_code == 3, result.output  # the only failure is a refusal
    docs = json.loads(result.stdout)
    assert [d["target"] for d in docs] == [good, formatted]
    assert docs[0]["passed"] and docs[0]["run"]["cells_done"] == 5
    assert not docs[1]["passed"] and "in use" in docs[1]["error"] and docs[1]["run"] is None
    assert f"1 of 2 target(s) did not qualify: {formatted}" in result.stderr
    xml = etree.parse(str(junit))
    SCHEMA.assertValid(xml)
    assert [s.get("id") for s in xml.findall("testsuite")] == ["0", "1"]
