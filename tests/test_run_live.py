"""`run` for real: fio on loop devices and simulated drives, refusals, faults, resume."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_run import run_cli, sha256_of
from click.testing import CliRunner
from rich.console import Console

from nvmeprobe.cli import main
from nvmeprobe.cli.live import live_text
from nvmeprobe.cli.run import RunProgress
from nvmeprobe.plan import Cell, TargetFacts, expand_plan, parse_plan_text
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.columns import CONTRACT_COLUMNS
from nvmeprobe.run.fio_process import kill_orphaned_jobs
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.manifest import Manifest
from nvmeprobe.run.procs import command_line, fio_holding, fio_pids

pytestmark = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")

# smoke with 500 ms cells and 3 of its 5: 4 KiB random write and read at QD16, 128 KiB write
THREE_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.iodepth=16"]


def test_smoke_on_loop_device_yields_a_profile(make_loop, tmp_path):
    device = make_loop(512)
    result = run_cli(tmp_path, device, "--plan", "smoke", "--set", "runtime=500ms")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["cells_done"] == 5 and summary["cells_failed"] == []
    profile = read_profile(Path(summary["profile"]))
    assert profile.schema_version == "2"
    assert set(CONTRACT_COLUMNS) <= set(profile.cells.columns)  # pinned in test_profile_schema
    assert sorted(profile.cells["rw"].unique()) == ["randread", "randwrite", "write"]
    assert (profile.cells["iops"] > 0).all()
    writes = profile.cells[profile.cells["direction"] == "write"]
    assert (writes["host_bytes_written"] > 0).all()
    manifest = json.loads((Path(summary["results"]) / "manifest.json").read_text())
    assert manifest["versions"]["fio"].startswith("fio-")
    assert all(v["status"] == "done" for v in manifest["state"].values())
    # bench-fio layout, so fio-plot can chart it as it is
    name = os.path.basename(device)
    assert (
        Path(summary["results"]) / f"{name}-rand4k" / "randwrite" / "4k" / "randwrite-16-1.json"
    ).exists()


def test_refusals_leave_the_device_untouched(make_loop, tmp_path):
    with_fs = make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", with_fs], check=True)
    before = sha256_of(with_fs)
    result = run_cli(tmp_path, with_fs, "--set", "runtime=1s")
    assert result.exit_code == 3, result.output
    assert "in use" in result.output and "Traceback" not in result.output
    mounted = make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", mounted], check=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", mounted, str(mnt)], check=True)
    try:
        result = run_cli(tmp_path, mounted, "--set", "runtime=1s")
        assert result.exit_code == 3 and "mounted" in result.output
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    blank = make_loop(64)
    blank_before = sha256_of(blank)
    result = run_cli(tmp_path, blank, "--destroy-data", with_fs, "--set", "runtime=1s")
    assert result.exit_code == 3 and "does not name" in result.output
    assert sha256_of(with_fs) == before
    assert sha256_of(blank) == blank_before


def test_a_mounted_filesystem_is_refused_even_when_named_in_destroy_data(make_loop, tmp_path):
    device = make_loop(64)  # no lazy init: a mounted ext4 would write its inode tables later
    subprocess.run(
        ["mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", device], check=True
    )
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", device, str(mnt)], check=True)
    try:
        subprocess.run(["sync"], check=True)
        before = sha256_of(device)
        result = run_cli(tmp_path, device, "--destroy-data", device, "--set", "runtime=1s")
        assert result.exit_code == 3, result.output
        assert f"mounted at {mnt}" in result.output and f"umount {mnt}" in result.output
        summary = json.loads(result.stdout)  # --json says why, whatever the exit code
        assert summary["run_id"] is None and "never writes a mounted" in summary["error"]
        assert "Traceback" not in result.output
        assert sha256_of(device) == before
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_destroy_data_naming_the_device_allows_the_write(make_loop, tmp_path):
    device = make_loop(128)
    subprocess.run(["mkfs.ext4", "-q", device], check=True)
    before = sha256_of(device)
    result = run_cli(
        tmp_path,
        device,
        "--destroy-data",
        device,
        "--set",
        "runtime=500ms",
        "--set",
        "stage.rand4k.rw=randwrite",
        "--set",
        "stage.rand4k.iodepth=4",
    )
    assert result.exit_code == 0, result.output
    assert sha256_of(device) != before


def test_a_fio_already_on_the_device_is_refused(make_loop, tmp_path):
    # e.g. the fio of a run that was killed with kill -9: it reads on until its runtime ends
    device = make_loop(64)
    other = subprocess.Popen(
        [
            "fio",
            "--name=other",
            f"--filename={device}",
            "--rw=randread",
            "--bs=4k",
            "--direct=1",
            "--time_based",
            "--runtime=60",
            "--output=/dev/null",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not fio_holding(device) and time.monotonic() < deadline:
            time.sleep(0.05)
        before = sha256_of(device)
        result = run_cli(tmp_path, device, "--set", "runtime=1s")
        assert result.exit_code == 3, result.output
        assert f"is running on {device}" in result.output and "Traceback" not in result.output
        assert not (tmp_path / "results").exists() or not list(
            (tmp_path / "results").glob("*/manifest.json")
        )
        assert sha256_of(device) == before
        other.kill()  # its main process only: the job process reads on, orphaned
        other.wait()
        assert run_cli(tmp_path, device, "--set", "runtime=1s").exit_code == 3
        assert kill_orphaned_jobs(other.args)
        result = run_cli(tmp_path, device, *THREE_CELLS)
        assert result.exit_code == 0, result.output
    finally:
        other.kill()
        kill_orphaned_jobs(other.args)


def test_missing_fio_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no fio on this PATH
    target = tmp_path / "disk.img"
    target.write_bytes(b"\0" * (64 << 20))
    result = run_cli(tmp_path, str(target), "--set", "runtime=1s")
    assert result.exit_code == 2
    assert "fio is not installed" in result.output and "Traceback" not in result.output


def _stages_plan(tmp_path: Path, *stages: tuple[str, str, str | None, str]) -> Path:
    """A plan of one 4 KiB QD4 cell per stage: (name, rw, region or None for all, runtime)."""
    text = 'name = "faulty"\n'
    for name, rw, region, runtime in stages:
        text += (
            f'[[stage]]\nkind = "matrix"\nname = "{name}"\nrw = "{rw}"\nbs = "4k"\n'
            f'iodepth = 4\nruntime = "{runtime}"\n' + (f'region = "{region}"\n' if region else "")
        )
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    return plan


def _states(tmp_path: Path) -> dict[str, dict]:
    """Cell id -> state in the one run's manifest."""
    return json.loads(next((tmp_path / "results").glob("*/manifest.json")).read_text())["state"]


def test_eio_mid_run_is_recorded_and_other_cells_kept(tmp_path):
    # the last LBAs of the drive fail: cells confined to the first half succeed,
    # cells over the whole drive hit the injected EIO
    plan = _stages_plan(
        tmp_path, ("low", "randwrite", "50%", "500ms"), ("all", "randread", None, "500ms")
    )
    target = "sim:preset=tlc-4k,capacity=256m,eio_lba=400000-524287"
    result = run_cli(tmp_path, target, "--plan", str(plan), "--on-error", "continue")
    assert result.exit_code == 1, result.output
    assert "1 cell(s) failed" in result.output and "all" in result.output
    profile = read_profile(next((tmp_path / "profiles").glob("*/*.parquet")))
    assert list(profile.cells["stage"]) == ["low"]
    failed = [v for v in _states(tmp_path).values() if v["status"] == "failed"]
    assert len(failed) == 1 and "error 5" in failed[0]["error"]
    summary = json.loads(result.stdout)  # --json prints its summary whatever the exit code
    assert summary["cells_done"] == 1 and summary["cells_failed"] == ["001-all-randread-4k-qd4-nj1"]
    assert summary["errors"]["001-all-randread-4k-qd4-nj1"] == failed[0]["error"]
    assert summary["error"].startswith("1 cell(s) failed") and Path(summary["profile"]).exists()


def test_run_json_names_the_cell_that_stopped_the_run(tmp_path):
    plan = _stages_plan(
        tmp_path, ("all", "randread", None, "500ms"), ("low", "randwrite", "50%", "500ms")
    )
    target = "sim:preset=tlc-4k,capacity=256m,eio_lba=400000-524287"
    result = run_cli(tmp_path, target, "--plan", str(plan))  # --on-error stop
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["cells_done"] == 0 and summary["cells_failed"] == ["000-all-randread-4k-qd4-nj1"]
    assert "error 5" in summary["errors"]["000-all-randread-4k-qd4-nj1"]
    assert summary["error"] == summary["errors"]["000-all-randread-4k-qd4-nj1"]
    assert summary["run_id"] and summary["target"] == target


def _fio_writing_to(folder: Path) -> list[int]:
    return [pid for pid in fio_pids() if any(str(folder) in arg for arg in command_line(pid))]


def test_a_hung_target_stops_the_run_and_keeps_what_was_measured(tmp_path):
    # the last LBAs never answer: the first cell stays below them; the second
    # hangs with its IO in flight (a 60 s cell that would never end)
    plan = _stages_plan(
        tmp_path,
        ("low", "randwrite", "50%", "500ms"),
        ("all", "randwrite", None, "60s"),
        ("after", "randread", "50%", "500ms"),
    )
    target = "sim:preset=tlc-4k,capacity=256m,hang_lba=400000-524287"
    command = [
        sys.executable,
        "-m",
        "nvmeprobe.cli",
        "run",
        target,
        "--plan",
        str(plan),
        "--stall-timeout",
        "5s",
        "--on-error",
        "continue",
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
    ]
    try:  # without the watchdog this run would never end: the timeout keeps the suite going
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        for pid in _fio_writing_to(tmp_path):
            os.kill(pid, signal.SIGKILL)
        pytest.fail("the run did not end on a hung target")
    assert result.returncode == 1, result.stderr
    assert (
        "no IO completed for 5 s (--stall-timeout): the target stopped responding" in result.stderr
    ) and "Traceback" not in result.stderr
    states = _states(tmp_path)
    assert [v["status"] for v in states.values()] == ["done", "failed"]  # "after" never started
    profile = read_profile(next((tmp_path / "profiles").glob("*/*.parquet")))
    assert list(profile.cells["stage"]) == ["low"]
    assert not _fio_writing_to(tmp_path)


def test_results_disk_full_is_one_line_and_keeps_profile(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)], check=True)
    try:
        (small / "filler").write_bytes(b"x" * (200 << 10))
        target = tmp_path / "disk.img"
        target.write_bytes(b"\0" * (64 << 20))
        result = CliRunner().invoke(
            main,
            [
                "run",
                str(target),
                "--set",
                "runtime=500ms",
                "--results",
                str(small),
                "--profiles",
                str(tmp_path / "profiles"),
            ],
        )
        assert result.exit_code in (1, 2), result.output
        assert "Traceback" not in result.output
        assert "No space left" in result.output or "space" in result.output
    finally:
        subprocess.run(["umount", str(small)], check=True)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_interrupted_run_resumes_without_remeasuring(tmp_path, stop):
    env = dict(os.environ)
    target = tmp_path / "disk.img"
    target.write_bytes(b"\0" * (64 << 20))
    args = [
        sys.executable,
        "-m",
        "nvmeprobe.cli",
        "run",
        str(target),
        "--set",
        "runtime=500ms",
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
    ]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    done: list[str] = []
    while time.time() < deadline:
        manifests = list((tmp_path / "results").glob("*/manifest.json"))
        if manifests:
            try:
                state = json.loads(manifests[0].read_text())["state"]
            except (json.JSONDecodeError, KeyError):
                state = {}
            done = [k for k, v in state.items() if v["status"] == "done"]
            if len(done) >= 2:
                break
        time.sleep(0.1)
    proc.send_signal(stop)  # kill, or the terminal or SSH session closing
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err.decode()
    assert b"resume with" in err
    assert not fio_holding(str(target))  # fio stopped too
    run_dir = manifests[0].parent
    first = json.loads(manifests[0].read_text())
    finished = {k: v["updated"] for k, v in first["state"].items() if v["status"] == "done"}
    assert 2 <= len(finished) < 5
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--resume",
            run_dir.name,
            "--results",
            str(tmp_path / "results"),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    final = json.loads((run_dir / "manifest.json").read_text())
    assert all(v["status"] == "done" for v in final["state"].values())
    for cell_id, stamp in finished.items():  # finished cells were not measured again
        assert final["state"][cell_id]["updated"] == stamp
    profile = read_profile(Path(json.loads(result.stdout)["profile"]))
    ids = sorted(profile.cells["cell"])
    assert ids == sorted(c["id"] for c in final["cells"])  # every cell once, none twice


def test_truncated_fio_json_fails_that_cell_only(tmp_path, monkeypatch):
    import nvmeprobe.run.runner as runner_module

    real_run_fio = runner_module.run_fio
    calls = []

    def run_fio_then_truncate(args, on_status=None, **options):
        outcome = real_run_fio(args, on_status, **options)
        calls.append(args)
        if len(calls) == 2:  # the second cell's results are cut short, as by a crash
            out = Path(next(a.split("=", 1)[1] for a in args if a.startswith("--output=")))
            out.write_bytes(out.read_bytes()[:300])
        return outcome

    monkeypatch.setattr(runner_module, "run_fio", run_fio_then_truncate)
    target = tmp_path / "disk.img"
    target.write_bytes(b"\0" * (64 << 20))
    result = run_cli(tmp_path, str(target), *THREE_CELLS, "--on-error", "continue")
    assert result.exit_code == 1
    assert "1 cell(s) failed" in result.output and "Traceback" not in result.output
    manifest = json.loads(next((tmp_path / "results").glob("*/manifest.json")).read_text())
    failed = [v for v in manifest["state"].values() if v["status"] == "failed"]
    assert len(failed) == 1
    assert "truncated" in failed[0]["error"] or "corrupt" in failed[0]["error"], failed[0]["error"]
    profile = read_profile(next((tmp_path / "profiles").glob("*/*.parquet")))
    assert len(profile.cells["cell"].unique()) == 2  # every other cell kept


def test_fio_killed_by_a_signal_fails_that_cell_only(tmp_path, monkeypatch):
    # a fio on PATH whose main process is SIGKILLed half a second into the first cell, as
    # by the OOM killer: the real fio it started (and that fio's job process) run on, orphaned
    fake = tmp_path / "bin" / "fio"
    fake.parent.mkdir()
    real = shutil.which("fio")
    fake.write_text(
        f'#!/bin/sh\ncase "$*" in *--name=000-*) {real} "$@" & sleep 0.5; kill -9 $$;;\n'
        f'esac\nexec {real} "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "disk.img"
    target.write_bytes(b"\0" * (64 << 20))
    stopped = run_cli(tmp_path / "stop", str(target), "--set", "runtime=30s")
    assert stopped.exit_code == 1 and "Traceback" not in stopped.output
    assert "cell 000-" in stopped.output and "fio was killed by SIGKILL" in stopped.output
    assert "orphaned job process(es)" in stopped.output
    left = [
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and str(tmp_path / "stop") in " ".join(command_line(int(pid)))
    ]
    assert left == [], "the orphaned fio jobs were not stopped"
    result = run_cli(tmp_path, str(target), *THREE_CELLS, "--on-error", "continue")
    assert result.exit_code == 1 and "1 cell(s) failed" in result.output, result.output
    manifest = json.loads(next((tmp_path / "results").glob("*/manifest.json")).read_text())
    failed = {k: v["error"] for k, v in manifest["state"].items() if v["status"] == "failed"}
    assert list(failed) == [next(k for k in manifest["state"] if k.startswith("000-"))]
    assert "fio was killed by SIGKILL" in next(iter(failed.values()))
    profile = read_profile(next((tmp_path / "profiles").glob("*/*.parquet")))
    assert len(profile.cells["cell"].unique()) == 2  # every other cell kept


def _display(plan_text: str) -> tuple[RunProgress, list[Cell], io.StringIO]:
    """A RunProgress drawing into a string at 80 columns, over the cells of `plan_text`."""
    cells = expand_plan(parse_plan_text(plan_text, "t.toml", "t"), TargetFacts(1 << 30, 512))
    out = io.StringIO()
    display = RunProgress(Console(file=out, width=80, force_terminal=False))
    manifest = Manifest(run_id="RUN", target="sim:x", plan={}, cells=[c.to_dict() for c in cells])
    display.start(manifest, cells)
    return display, cells, out


TWO_CELLS = (
    '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = ["4k", "8k"]\nruntime = "1s"\n'
)


def _last_frame(out: io.StringIO) -> str:
    return out.getvalue().splitlines()[-1]


def test_live_display_after_a_failed_cell_shows_it_failed_not_starting():
    display, cells, out = _display(TWO_CELLS)
    display.cell_done(cells[0], "failed")  # fio failed before its first status line
    display.stop()
    last = _last_frame(out)
    assert "starting" not in last and cells[0].id in last and "failed" in last


def test_live_display_after_the_last_cell_shows_done_not_a_stall():
    display, cells, out = _display(TWO_CELLS)
    for cell in cells:
        display.status(cell, FioStatus(states="w"))  # fio's last sample: no rates
        assert live_text(FioStatus(states="w")) == "no IO completing"
        display.cell_done(cell, "done")
    display.stop()
    last = _last_frame(out)
    assert "no IO completing" not in last and cells[1].id in last and "done" in last


def test_live_display_of_a_cell_cut_short_says_stopped():
    display, cells, out = _display(TWO_CELLS)
    display.status(cells[0], FioStatus(write_iops=10.0, write_bw=40960.0, states="w"))
    display.stop()  # interrupted while fio ran
    assert "stopped" in _last_frame(out)


def test_round_based_stages_set_steady_on_their_cells(tmp_path):
    # rounds until the SNIA PTS rule holds over a 2-round window (or 6 rounds); a stage
    # without rounds is not assessed: its `steady` stays null
    plan = tmp_path / "rounds.toml"
    plan.write_text(
        'name = "rounds"\n'
        '[[stage]]\nkind = "matrix"\nname = "once"\nrw = "randread"\nbs = "4k"\n'
        'iodepth = 4\nruntime = "500ms"\n'
        '[[stage]]\nkind = "matrix"\nname = "ss"\nrw = "randread"\nbs = ["4k", "16k"]\n'
        'iodepth = 4\nruntime = "500ms"\nrounds = 6\nsteady_window = 2\n'
        'steady_metric = "iops"\nsteady_cell = { bs = "4k" }\n'
    )
    result = run_cli(tmp_path, "sim:preset=tlc-4k,capacity=256m", "--plan", str(plan))
    assert result.exit_code == 0, result.output
    cells = read_profile(Path(json.loads(result.stdout)["profile"])).cells
    assert cells.loc[cells["stage"] == "once", "steady"].isna().all()
    rounds = cells[cells["stage"] == "ss"]
    assert rounds["steady"].notna().all() and rounds["round"].min() == 1
    last = int(rounds["round"].max())
    steady_rounds = set(rounds.loc[rounds["steady"].astype(bool), "round"])
    if steady_rounds:  # the run stopped at the round that closed the first steady window
        assert steady_rounds == {last - 1, last}
    else:
        assert last == 6
    assert (rounds.groupby("round").size() == 2).all()  # a round is both block sizes


def test_several_targets_display_shows_each_cell_outcome():
    from nvmeprobe.cli.run_many import DrivesProgress

    cells = expand_plan(parse_plan_text(TWO_CELLS, "t.toml", "t"), TargetFacts(1 << 30, 512))
    manifest = Manifest(
        run_id="RUN", target="/dev/loop9", plan={}, cells=[c.to_dict() for c in cells]
    )
    out = io.StringIO()
    with DrivesProgress(["/dev/loop9"], Console(file=out, width=80)) as display:
        task = display.progress.tasks[0]
        display.start("/dev/loop9", manifest, cells)
        display.cell_done("/dev/loop9", cells[0], "failed")  # before any fio status line
        shown = f"{task.description} {task.fields['live']}"
        assert "starting" not in shown and cells[0].id in shown and "failed" in shown
        display.status("/dev/loop9", cells[1], FioStatus(states="w"))
        display.cell_done("/dev/loop9", cells[1], "done")
        shown = f"{task.description} {task.fields['live']}"
        assert "no IO completing" not in shown and cells[1].id in shown and "done" in shown
