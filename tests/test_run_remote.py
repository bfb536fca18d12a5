"""Many hosts: `run --host` against real `fio --server` processes on 127.0.0.1.

Each server is started by the test in its own session (so the server and the
children it forks per connection die together) with its own loop device, and
is killed at the end by its process group id. Only loopback addresses.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_run import resumed_manifest, run_cli, sha256_of
from click.testing import CliRunner
from sshd import free_port, wait_for_port

from nvmeprobe.cli import main
from nvmeprobe.errors import EXIT_SAFETY, InputError, SafetyRefusal
from nvmeprobe.profile import read_profile
from nvmeprobe.run.hosts import (
    HostSpec,
    RemoteHost,
    match_host,
    parse_host_spec,
    read_hosts_file,
    remote_target,
    resolve_hosts,
)
from nvmeprobe.run.remote_facts import parse_assumptions, probed_report
from nvmeprobe.run.remote_fio import (
    ProbedFacts,
    facts_from_probe,
    log_offsets,
    parse_server_version,
    probe_job,
    restore_log_names,
)
from nvmeprobe.run.remote_safety import check_remote_writes
from nvmeprobe.targets import BlockTarget, FileTarget

needs_fio = pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")


# -- pure parts ------------------------------------------------------------------------
def test_host_specs_parse_with_ports_targets_and_ipv6():
    assert parse_host_spec("10.0.0.5") == HostSpec("10.0.0.5", 8765, None)
    assert parse_host_spec("node-a:9000=/dev/nvme1n1") == HostSpec("node-a", 9000, "/dev/nvme1n1")
    v6 = parse_host_spec("[fd00::1]:8766")
    assert v6.client_arg == "ip6:fd00::1,8766" and v6.address == "[fd00::1]:8766"
    assert parse_host_spec("127.0.0.1:8765").client_arg == "127.0.0.1,8765"
    for bad in (
        "",
        "host:0",
        "host:99999",
        "a,b",
        "host=relative/path",
        "host=/dev/x,filename=y",
        "host=sim:tlc-4k",
        "host=/dev/a\nexec_prerun=x",
    ):
        with pytest.raises(InputError):
            parse_host_spec(bad)


def test_hosts_file_skips_comments_and_names_bad_lines():
    specs = read_hosts_file("# lab\n10.0.0.1  # first\n\n10.0.0.2:9000=/dev/sdb\n", "hosts.txt")
    assert specs == [HostSpec("10.0.0.1"), HostSpec("10.0.0.2", 9000, "/dev/sdb")]
    with pytest.raises(InputError, match="hosts.txt line 2"):
        read_hosts_file("10.0.0.1\nbad host\n", "hosts.txt")


def test_resolve_hosts_needs_a_target_and_no_duplicates():
    hosts = resolve_hosts([HostSpec("a"), HostSpec("b", 9000, "/dev/sdc")], "/dev/nvme0n1")
    assert [h.target.text for h in hosts] == ["/dev/nvme0n1", "/dev/sdc"]
    assert isinstance(hosts[0].target, BlockTarget)
    assert isinstance(remote_target("/srv/f.img"), FileTarget)
    with pytest.raises(InputError, match="no target"):
        resolve_hosts([HostSpec("a")], None)
    with pytest.raises(InputError, match="twice"):
        resolve_hosts([HostSpec("a"), HostSpec("a")], "/dev/x")
    two = resolve_hosts([HostSpec("h", 1), HostSpec("h", 2)], "/dev/x")
    assert match_host("h:2", two, "--facts").spec.port == 2
    with pytest.raises(InputError, match="several hosts"):
        match_host("h", two, "--facts")


def test_remote_writes_need_each_target_named():
    hosts = resolve_hosts([HostSpec("a", 1), HostSpec("b", 2, "/dev/sdb")], "/dev/nvme0n1")
    check_remote_writes(hosts, ["a:1=/dev/nvme0n1", "/dev/sdb"])
    with pytest.raises(SafetyRefusal, match="b:2: /dev/sdb is on another host") as err:
        check_remote_writes(hosts, ["/dev/nvme0n1"])
    assert err.value.exit_code == EXIT_SAFETY
    with pytest.raises(SafetyRefusal, match="does not name any host"):
        check_remote_writes(hosts, ["/dev/nvme0n1", "/dev/sdb", "/dev/sdc"])
    with pytest.raises(SafetyRefusal, match="does not name any host"):
        check_remote_writes(hosts, ["b:2=/dev/nvme0n1", "/dev/sdb"])  # right device, wrong host


def test_server_version_and_probe_decoding():
    line = "hostname=vm, be=0, 64-bit, os=Linux, arch=x86-64, fio=fio-3.33, flags=1\n"
    assert parse_server_version(line) == "fio-3.33"
    assert parse_server_version("<vm> Starting 1 process") is None
    assert log_offsets("0, 1, 0, 4096, 0, 0\n0, 1, 0, 4096, 268427264, 0\n") == [0, 268427264]
    doc = {
        "client_stats": [
            {"jobname": "size", "error": 0, "read": {"io_bytes": 16384}},
            {"jobname": "lba512", "error": 22, "read": {"io_bytes": 0}},
            {"jobname": "lba4096", "error": 0, "read": {"io_bytes": 4096}},
        ]
    }
    assert facts_from_probe(doc, [0, 268427264], "h") == ProbedFacts(268435456, 4096)
    missing = {"client_stats": [{"jobname": "size", "error": 2, "read": {}}]}
    with pytest.raises(InputError, match="error 2"):
        facts_from_probe(missing, [], "h: /dev/nope")
    job = probe_job(remote_target("/dev/sdb"), Path("/tmp/p"))
    assert (
        "rw=read:-8192" in job
        and "log_offset=1" in job
        and "write" not in job.replace("write_lat_log", "")
    )


def test_reports_say_where_facts_came_from():
    host = RemoteHost(HostSpec("a"), remote_target("/dev/sdb"))
    report = probed_report(host, ProbedFacts(1 << 30, 512), {"lba": 4096}, "fio-3.33")
    assert report["facts_source"] == "assumed+fio-probe"
    assert (
        report["geometry"]["size_bytes"] == 1 << 30
        and report["geometry"]["logical_block_size"] == 4096
    )
    assert (
        probed_report(host, None, parse_assumptions(["capacity=2g", "lba=4k"]), None)[
            "facts_source"
        ]
        == "assumed"
    )
    with pytest.raises(InputError, match="size of /dev/sdb is unknown"):
        probed_report(host, ProbedFacts(None, 512), {}, None)
    with pytest.raises(InputError):
        parse_assumptions(["lba=3000"])


def test_client_log_names_are_restored(tmp_path):
    (tmp_path / "write-iodepth-8-numjobs-1_bw.1.log.127.0.0.1").write_text("0, 1, 1, 4096, 0\n")
    restore_log_names(tmp_path / "write-iodepth-8-numjobs-1")
    assert [p.name for p in tmp_path.iterdir()] == ["write-iodepth-8-numjobs-1_bw.1.log"]


# -- real fio servers ------------------------------------------------------------------
class FioServer:
    """`fio --server` on 127.0.0.1 in its own session; stopped by its process group id."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            ["fio", f"--server=ip:127.0.0.1,{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_for_port(self.port):
            self.kill()
            raise RuntimeError(f"fio --server on port {self.port} did not start")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def servers():
    started: list[FioServer] = []

    def start(port: int | None = None) -> FioServer:
        server = FioServer(port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


# A remote cell costs its runtime and ~1.3 s more (fio's client and server), so these runs cut
# smoke's 5 cells down. TWO_CELLS: its 4 KiB random write at QD16 (bench-fio's
# randwrite-16-1.json) and its 128 KiB sequential write. THREE_CELLS: 4 KiB random write and
# read at QD16 and the 128 KiB write: a run stopped after 2 cells has 1 left to resume.
TWO_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.rw=randwrite"]
TWO_CELLS += ["--set", "stage.rand4k.iodepth=16"]
THREE_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.iodepth=16"]


@needs_fio
def test_two_servers_give_two_profiles_in_one_run(make_loop, servers, tmp_path):
    one, two = servers(), servers()
    dev1, dev2 = make_loop(256, 4096), make_loop(256)
    result = run_cli(
        tmp_path,
        "--host",
        f"127.0.0.1:{one.port}={dev1}",
        "--host",
        f"127.0.0.1:{two.port}={dev2}",
        *TWO_CELLS,
        "--destroy-data",
        dev1,
        "--destroy-data",
        f"127.0.0.1:{two.port}={dev2}",
    )
    assert result.exit_code == 0, result.output
    stderr = " ".join(result.stderr.split())  # as one line, however the terminal wrapped it
    assert stderr.count("plain TCP") == 1
    assert (
        f"warning: 127.0.0.1:{one.port}, 127.0.0.1:{two.port}: plain TCP fio server(s): they"
        f" run the job files of anyone who can reach them, as root"
    ) in stderr
    summary = json.loads(result.stdout)
    run_dir = Path(summary["results"])
    assert json.loads((run_dir / "hosts.json").read_text())["run_id"] == summary["run_id"]
    lbas = {}
    for host, port, device in (
        (summary["hosts"][0], one.port, dev1),
        (summary["hosts"][1], two.port, dev2),
    ):
        assert host["host"] == f"127.0.0.1:{port}" and host["cells_done"] == 2 and not host["error"]
        manifest = json.loads((Path(host["results"]) / "manifest.json").read_text())
        assert all(v["status"] == "done" for v in manifest["state"].values())
        assert manifest["facts"]["facts_source"] == "fio-probe"
        assert manifest["facts"]["geometry"]["size_bytes"] == 256 << 20
        assert manifest["versions"]["fio_server"] == manifest["versions"]["fio"]
        lbas[device] = manifest["facts"]["geometry"]["logical_block_size"]
        profile = read_profile(Path(host["profile"]))
        assert sorted(profile.cells["cell"].unique()) == sorted(manifest["state"])
        assert set(profile.cells["host"]) == {f"127.0.0.1:{port}"}
        assert set(profile.cells["target"]) == {device} and (profile.cells["iops"] > 0).all()
        name = os.path.basename(device)
        assert (
            Path(host["results"]) / f"{name}-rand4k" / "randwrite" / "4k" / "randwrite-16-1.json"
        ).exists()
    assert lbas == {dev1: 4096, dev2: 512}
    assert summary["hosts"][0]["profile"] != summary["hosts"][1]["profile"]


@needs_fio
def test_a_lost_server_keeps_its_cells_and_resume_finishes_it(make_loop, servers, tmp_path):
    steady, doomed = servers(), servers()
    dev1, dev2 = make_loop(256), make_loop(256)
    args = [
        sys.executable,
        "-m",
        "nvmeprobe.cli",
        "run",
        "--host",
        f"127.0.0.1:{steady.port}={dev1}",
        "--host",
        f"127.0.0.1:{doomed.port}={dev2}",
        *THREE_CELLS,
        "--destroy-data",
        dev1,
        "--destroy-data",
        dev2,
        "--results",
        str(tmp_path / "results"),
        "--profiles",
        str(tmp_path / "profiles"),
        "--json",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    doomed_manifest = None
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        found = list((tmp_path / "results").glob(f"*/127.0.0.1-{doomed.port}/manifest.json"))
        if found:
            doomed_manifest = found[0]
            try:
                state = json.loads(doomed_manifest.read_text())["state"]
            except (json.JSONDecodeError, KeyError):
                state = {}
            if sum(v["status"] == "done" for v in state.values()) >= 2:
                break
        time.sleep(0.05)
    doomed.kill()  # mid-run: the server and the fio it forked for the running cell
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err.decode()
    assert f"127.0.0.1:{doomed.port}" in err.decode() and "resume with" in err.decode()
    run_dir = doomed_manifest.parent.parent
    steady_manifest = json.loads(
        (run_dir / f"127.0.0.1-{steady.port}" / "manifest.json").read_text()
    )
    assert len(steady_manifest["state"]) == 3
    assert all(v["status"] == "done" for v in steady_manifest["state"].values())
    assert len(read_profile(Path(steady_manifest["profile"])).cells["cell"].unique()) == 3
    lost = json.loads(doomed_manifest.read_text())
    finished = {k: v["updated"] for k, v in lost["state"].items() if v["status"] == "done"}
    assert 2 <= len(finished) < 3
    assert sorted(read_profile(Path(lost["profile"])).cells["cell"].unique()) == sorted(finished)
    # the server comes back: resume runs only what the lost host left
    steady_stamps = {k: v["updated"] for k, v in steady_manifest["state"].items()}
    servers(doomed.port)
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--resume",
            run_dir.name,
            "--destroy-data",
            dev2,
            "--results",
            str(tmp_path / "results"),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    final = resumed_manifest(doomed_manifest, finished, cells=3)
    cells = read_profile(Path(final["profile"])).cells
    assert sorted(cells["cell"].unique()) == sorted(c["id"] for c in final["cells"])
    assert len(cells) == len(cells.drop_duplicates(["cell", "direction"]))  # none measured twice
    again = json.loads((run_dir / f"127.0.0.1-{steady.port}" / "manifest.json").read_text())
    assert {k: v["updated"] for k, v in again["state"].items()} == steady_stamps


@needs_fio
def test_preflight_reports_a_missing_server_before_anything_runs(make_loop, servers, tmp_path):
    live = servers()
    dev = make_loop(64)
    before = sha256_of(dev)
    dead = free_port()
    result = run_cli(
        tmp_path,
        dev,
        "--host",
        f"127.0.0.1:{live.port}",
        "--host",
        f"127.0.0.1:{dead}",
        "--set",
        "runtime=1s",
        "--destroy-data",
        dev,
    )
    assert result.exit_code == 2, result.output
    assert f"127.0.0.1:{dead}: cannot connect to fio --server" in result.output
    assert f"127.0.0.1:{live.port}:" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "results").exists() and sha256_of(dev) == before


@needs_fio
def test_remote_write_without_naming_is_refused(make_loop, servers, tmp_path):
    live = servers()
    dev = make_loop(64)
    before = sha256_of(dev)
    result = run_cli(tmp_path, "--host", f"127.0.0.1:{live.port}={dev}", "--set", "runtime=1s")
    assert result.exit_code == 3, result.output
    assert "cannot be checked for use" in result.output
    assert not (tmp_path / "results").exists() and sha256_of(dev) == before


@needs_fio
def test_capture_facts_are_used_and_checked(make_loop, servers, tmp_path):
    live = servers()
    dev, other = make_loop(64), make_loop(128)
    capture = tmp_path / "cap"
    assert CliRunner().invoke(main, ["inspect", other, "--capture", str(capture)]).exit_code == 0
    result = run_cli(
        tmp_path,
        "--host",
        f"127.0.0.1:{live.port}={dev}",
        "--facts",
        f"127.0.0.1={capture}",
        "--set",
        "runtime=1s",
        "--destroy-data",
        dev,
    )
    assert result.exit_code == 2 and "wrong capture" in result.output
    good = tmp_path / "good"
    assert CliRunner().invoke(main, ["inspect", dev, "--capture", str(good)]).exit_code == 0
    plan = tmp_path / "read.toml"
    plan.write_text(
        'name = "r"\n[[stage]]\nkind = "matrix"\nname = "rr"\nrw = "randread"\n'
        'bs = "4k"\niodepth = 4\nruntime = "500ms"\n'
    )
    result = run_cli(
        tmp_path,
        "--host",
        f"127.0.0.1:{live.port}={dev}",
        "--facts",
        f"127.0.0.1:{live.port}={good}",
        "--plan",
        str(plan),
    )
    assert result.exit_code == 0, result.output
    host = json.loads(result.stdout)["hosts"][0]
    assert host["facts_source"] == "capture"
    decoded = json.loads(
        CliRunner().invoke(main, ["inspect", "--from", str(good), "--json"]).stdout
    )
    manifest = json.loads((Path(host["results"]) / "manifest.json").read_text())
    assert manifest["facts"]["geometry"] == decoded["geometry"]
    assert manifest["facts"]["kind"] == decoded["kind"] == "loop"
