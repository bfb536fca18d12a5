"""`run T1 T2 T3`: several targets at once, each its own run; failures, signals and resume."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_run import run_cli
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.cli.run_many import failure
from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.profile import read_profile
from nvmeprobe.run.execute import RunOptions
from nvmeprobe.run.parallel import DriveRun, drive_options, other_names
from nvmeprobe.run.procs import fio_holding

needs_fio = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")

# smoke with 500 ms cells, cut to what a test needs: THREE_CELLS, 4 KiB random write and read
# at QD16 and the 128 KiB sequential write; TWO_WRITE_CELLS, its two writes only
THREE_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.iodepth=16"]
TWO_WRITE_CELLS = [*THREE_CELLS, "--set", "stage.rand4k.rw=randwrite"]


@needs_fio
def test_three_loop_devices_at_once_one_failing(make_loop, tmp_path):
    good = [make_loop(128), make_loop(128)]
    read_only = make_loop(128, read_only=True)  # its write cells fail (EPERM), its reads do not
    result = run_cli(tmp_path, good[0], read_only, good[1], *THREE_CELLS, "--on-error", "continue")
    assert result.exit_code == 1, result.output
    assert f"1 of 3 target(s) did not succeed: {read_only}" in result.output
    assert "Traceback" not in result.output
    summaries = json.loads(result.stdout)
    assert [s["target"] for s in summaries] == [good[0], read_only, good[1]]
    for summary in summaries[0], summaries[2]:
        assert summary["error"] is None and summary["cells_failed"] == []
        assert summary["cells_done"] == 3
    bad = summaries[1]
    assert bad["cells_done"] == 1 and len(bad["cells_failed"]) == 2  # 1 read, 2 writes
    assert all("write" in cell for cell in bad["cells_failed"])
    assert "Operation not permitted" in bad["errors"][bad["cells_failed"][0]]
    assert "2 cell(s) failed" in bad["error"]
    profiles = [read_profile(Path(s["profile"])) for s in summaries]  # one per drive
    assert [len(p.cells["cell"].unique()) for p in profiles] == [3, 1, 3]
    assert len({s["results"] for s in summaries}) == 3
    lines = result.stderr.splitlines()  # one progress line per drive, left with its outcome
    for device, outcome in (good[0], "done"), (read_only, "failed"), (good[1], "done"):
        name = device.rsplit("/", 1)[1]
        assert sum(1 for line in lines if line.strip().startswith(f"{name} {outcome} ")) == 1
    assert [p.cells["target"].iloc[0] for p in profiles] == [s["target"] for s in summaries]


@needs_fio
def test_each_target_gets_its_own_safety_check(make_loop, tmp_path):
    blank, formatted = make_loop(64), make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", formatted], check=True)
    result = run_cli(tmp_path, blank, formatted, *TWO_WRITE_CELLS)
    assert result.exit_code == 3, result.output  # the only failure is a refusal
    summaries = json.loads(result.stdout)
    assert summaries[0]["error"] is None and summaries[0]["cells_done"] == 2
    assert "in use" in summaries[1]["error"] and summaries[1]["run_id"] is None
    # naming one target in --destroy-data is not a wrong name for the other
    result = run_cli(tmp_path, blank, formatted, "--destroy-data", formatted, *TWO_WRITE_CELLS)
    assert result.exit_code == 0, result.output
    assert [s["cells_done"] for s in json.loads(result.stdout)] == [2, 2]


def _done(run_dir: Path) -> list[str]:
    try:
        state = json.loads((run_dir / "manifest.json").read_text())["state"]
    except (OSError, json.JSONDecodeError, KeyError):
        return []
    return [k for k, v in state.items() if v["status"] == "done"]


@needs_fio
@pytest.mark.parametrize("command", ["run", "qualify"])
def test_sigterm_stops_every_target_and_each_resumes(command, tmp_path):
    """Stopped, each target keeps its finished cells, `--json` still says how far each got
    (qualify judges them: cut short, they fail), and one `run --resume` per run finishes."""
    targets = [tmp_path / "a.img", tmp_path / "b.img"]
    for target in targets:
        target.write_bytes(b"\0" * (64 << 20))
    criteria = tmp_path / "criteria.toml"
    criteria.write_text('set = ["runtime=500ms"]\n[[criterion]]\nmetric = "iops"\nmin = 1\n')
    how = ["--set", "runtime=500ms"] if command == "run" else ["--criteria", str(criteria)]
    args = [
        sys.executable,
        "-m",
        "nvmeprobe.cli",
        command,
        *map(str, targets),
        *how,
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--json",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = sorted((tmp_path / "results").glob("*"))
        if len(runs) == 2 and all(len(_done(r)) >= 2 for r in runs):
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()
    assert b"Traceback" not in err
    runs = sorted((tmp_path / "results").glob("*"))
    message = err.decode().replace("\n", " ")
    assert all(f"--resume {run.name}" in message for run in runs), message
    assert not any(fio_holding(str(t)) for t in targets)  # every fio stopped
    finished = {run.name: _done(run) for run in runs}
    assert all(2 <= len(done) < 5 for done in finished.values()), finished
    docs = json.loads(out)  # one per target, in order, each cut short
    assert [d["target"] for d in docs] == list(map(str, targets))
    assert all("interrupted" in d["error"] for d in docs), docs
    if command == "qualify":
        assert not any(d["passed"] for d in docs)
    else:
        assert sorted(d["run_id"] for d in docs) == [run.name for run in runs]
    stamps = {run.name: json.loads((run / "manifest.json").read_text())["state"] for run in runs}
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--resume",
            runs[0].name,
            "--resume",
            runs[1].name,
            "--results",
            str(tmp_path / "results"),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    for run, summary in zip(runs, json.loads(result.stdout)):
        assert summary["run_id"] == run.name and summary["cells_done"] == 5
        final = json.loads((run / "manifest.json").read_text())["state"]
        for cell in finished[run.name]:  # finished cells were not measured again
            assert final[cell]["updated"] == stamps[run.name][cell]["updated"]
        ids = sorted(read_profile(Path(summary["profile"])).cells["cell"])
        assert ids == sorted(final)  # every cell once, none twice


@needs_fio
def test_a_hung_drive_fails_alone(tmp_path):
    hung = "sim:preset=tlc-4k,capacity=256m,hang_lba=400000-524287"
    healthy = "sim:preset=tlc-4k,capacity=256m"
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'name = "hang"\n[[stage]]\nkind = "matrix"\nname = "all"\nrw = "randwrite"\n'
        'bs = "4k"\niodepth = 4\nruntime = "8s"\n'
    )
    command = [
        sys.executable,
        "-m",
        "nvmeprobe.cli",
        "run",
        hung,
        healthy,
        "--plan",
        str(plan),
        "--stall-timeout",
        "5s",
        "--json",
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr
    summaries = json.loads(result.stdout)
    assert "no IO completed for 5 s" in summaries[0]["error"]
    assert summaries[1]["error"] is None and summaries[1]["cells_done"] == 1
    assert f"1 of 2 target(s) did not succeed: {hung}" in result.stderr.replace("\n", " ")


def test_targets_given_twice_are_refused(tmp_path):
    image = tmp_path / "a.img"
    image.write_bytes(b"\0" * 4096)
    with pytest.raises(InputError, match="given twice"):
        drive_options(RunOptions(target=""), [str(image), str(tmp_path / "." / "a.img")], [])


def test_each_target_knows_the_others_names(tmp_path):
    a, b = str(tmp_path / "a.img"), "sim:tlc-4k"
    Path(a).write_bytes(b"\0" * 4096)
    assert other_names([a, b]) == [(b,), (a,)]
    options = drive_options(RunOptions(target="", destroy_data=(a,)), [a, b], [])
    assert [o.target for o in options] == [a, b] and options[1].elsewhere == (a,)


def _drive(error: str | None, code: int) -> DriveRun:
    drive = DriveRun(RunOptions(target="/dev/x"))
    if error is not None:
        drive.failure = ProbeError(error)
        drive.failure.exit_code = code
    return drive


def test_exit_code_of_several_targets():
    assert failure([_drive(None, 0), _drive(None, 0)]) is None
    assert failure([_drive(None, 0), _drive("in use", 3)]).exit_code == 3
    mixed = failure([_drive("in use", 3), _drive("cell failed", 1), _drive(None, 0)])
    assert mixed.exit_code == 1 and str(mixed).startswith("2 of 3 target(s) did not succeed")
