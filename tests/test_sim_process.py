"""Simulated drive processes: started, reachable, identified, and always stopped."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.cli.sim import command
from nvmeprobe.errors import InputError, MeasurementFailed
from nvmeprobe.run.procs import is_running
from nvmeprobe.sim import PRESETS, handle, running_sim, sim_capture_files, sim_stats
from nvmeprobe.sim.server import control_path
from nvmeprobe.sim.server import main as server_main


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.05)
    return False


def test_server_stops_and_cleans_up_when_the_block_exits(tmp_path):
    with running_sim("qlc-16k", tmp_path) as sim:
        pid = sim.pid
        assert (
            is_running(pid)
            and sim.socket.is_socket()
            and sim.uri == f"nbd+unix:///?socket={sim.socket}"
        )
        assert sim.stats()["identity"]["model"] == "nvmeprobe-sim qlc-16k"
    assert not is_running(pid)
    assert not sim.socket.exists() and not control_path(sim.socket).exists()


def test_server_stops_when_the_block_raises(tmp_path):
    with pytest.raises(KeyboardInterrupt), running_sim("tlc-4k", tmp_path) as sim:
        pid = sim.pid
        raise KeyboardInterrupt
    assert not is_running(pid)


def test_two_sims_share_a_workdir_and_long_workdirs_get_a_private_socket_dir(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with (
        running_sim("tlc-4k", tmp_path) as one,
        running_sim("qlc-64k", tmp_path) as two,
        running_sim("liar-16k", deep) as three,
    ):
        assert one.socket != two.socket
        assert len(str(three.socket)) < 100 and not three.socket.is_relative_to(deep)
        models = {s.stats()["identity"]["model"] for s in (one, two, three)}
        private = three.socket.parent
    assert models == {"nvmeprobe-sim tlc-4k", "nvmeprobe-sim qlc-64k", "nvmeprobe-sim liar-16k"}
    assert not private.exists()


_PARENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from nvmeprobe.sim import running_sim
    with running_sim("qlc-16k", Path(sys.argv[1])) as sim:
        print(sim.pid, flush=True)
        time.sleep(120)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=lambda s: s.name)
def test_server_exits_when_its_parent_dies_without_cleaning_up(sig, tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        server_pid = int(parent.stdout.readline())
        assert is_running(server_pid)
        parent.send_signal(sig)
        parent.wait(10)
        assert _gone_within(server_pid, 5), f"server {server_pid} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
    assert not (tmp_path / "nbd.sock").exists()


def test_bad_specs_fail_before_anything_starts(tmp_path):
    with (
        pytest.raises(InputError, match="unknown sim parameter 'bogus'"),
        running_sim("iu=16k,bogus=1", tmp_path),
    ):
        pass
    assert not list(tmp_path.iterdir())


def test_a_server_that_cannot_start_says_why(tmp_path, monkeypatch):
    taken = tmp_path / "taken.sock"
    taken.write_text("not a socket")
    monkeypatch.setattr(handle, "_free_socket_name", lambda directory: taken)
    with (
        pytest.raises(MeasurementFailed, match="exists and is not a socket"),
        running_sim("tlc-4k", tmp_path),
    ):
        pass
    assert taken.read_text() == "not a socket"
    assert server_main(["tlc-4k", "--socket", str(taken)]) == 2


def test_captures_and_stats_through_the_control_channel(tmp_path):
    with running_sim("liar-16k", tmp_path) as sim:
        files = sim.capture_files()
        stats = sim_stats(sim.socket)
        assert sim_capture_files(sim.socket) == files
    ns = json.loads(files["id-ns.json"])
    assert (
        ns["npwg"] == 0
        and stats["params"]["iu"] == 16384
        and stats["truth"]["reported_iu_bytes"] == 4096
    )
    assert json.loads(files["id-ctrl.json"])["sn"].strip() == stats["identity"]["serial"]
    assert stats["cache_remaining_bytes"] == stats["params"]["slc_bytes"]


@pytest.mark.skipif(shutil.which("nbdinfo") is None, reason="nbdinfo not installed")
def test_libnbd_negotiates_size_and_block_sizes(tmp_path):
    with running_sim("preset=qlc-64k,report_iu=16k", tmp_path) as sim:
        info = json.loads(
            subprocess.run(
                ["nbdinfo", "--json", sim.uri],
                check=True,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
        )
    export = info["exports"][0]
    assert export["export-size"] == 2 * 1024**3
    assert (export["block_size_minimum"], export["block_size_preferred"]) == (4096, 16384)
    assert export["can_trim"] and export["can_flush"] and not export["is_read_only"]


def test_presets_command_lists_every_preset_as_json():
    result = CliRunner().invoke(command, ["presets", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list(PRESETS)
    qlc = next(r for r in rows if r["name"] == "qlc-16k")
    assert qlc["params"]["iu"] == 16384 and qlc["spec"].startswith("capacity=2g")
    table = CliRunner().invoke(command, ["presets"])
    assert table.exit_code == 0 and "liar-16k" in table.output


def test_serve_command_runs_in_the_foreground_until_interrupted(tmp_path):
    socket = tmp_path / "drive.sock"
    code = "import sys; from nvmeprobe.cli.sim import command; command(sys.argv[1:])"
    server = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "tlc-4k", "--socket", str(socket)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = server.stderr.readline()
        assert f"nbd+unix:///?socket={socket}" in banner
        assert sim_stats(socket)["identity"]["model"] == "nvmeprobe-sim tlc-4k"
        server.send_signal(signal.SIGINT)
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stderr.close()
    assert not socket.exists() and not control_path(socket).exists()


def test_serve_command_rejects_a_bad_spec_in_one_line(tmp_path):
    result = CliRunner().invoke(command, ["serve", "iu=3k", "--socket", str(tmp_path / "s")])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)
    assert "multiple of lba" in str(result.exception)


def test_inspect_of_a_drive_reporting_nothing_names_the_gaps():
    result = CliRunner().invoke(main, ["inspect", "sim:tlc-4k,report=none", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert any("no SMART/Health log" in gap for gap in report["gaps"])
    assert report["identity"]["model"] == "nvmeprobe-sim tlc-4k"
