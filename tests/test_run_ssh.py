"""SSH hosts: `run`/`qualify --host ssh://127.0.0.1:PORT=DEV` on a real sshd; how they fail.

A test's sshd (tests/sshd.py) listens on 127.0.0.1 only, with its own keys;
NVMEPROBE_SSH_CONFIG points nvmeprobe's ssh at the matching client config.
What listens is read from /proc for our own processes only (the sshd's
tree and the nvmeprobe process's tree): the machine is shared.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from cli_run import resumed_manifest, run_cli, sha256_of
from click.testing import CliRunner
from sshd import Listener, Sshd, alive, children_of, command_line, descendants, free_port, listeners

from nvmeprobe.cli import main
from nvmeprobe.discover.blockdev import read_block_device
from nvmeprobe.errors import InputError
from nvmeprobe.profile import read_profile
from nvmeprobe.run.hosts import HostSpec, parse_host_spec, read_hosts_file, resolve_hosts
from nvmeprobe.run.ssh import CONFIG_ENV, destination, ssh_error
from nvmeprobe.run.ssh_facts import build_sysfs, parse_records

needs_sshd = pytest.mark.skipif(
    not Path("/usr/sbin/sshd").exists() or shutil.which("fio") is None,
    reason="needs openssh-server and fio (make test installs them)",
)


# -- pure parts ------------------------------------------------------------------------
def test_ssh_host_specs_parse_and_name_their_folders():
    spec = parse_host_spec("ssh://root@node5:2222=/dev/nvme0n1")
    assert spec == HostSpec("node5", 2222, "/dev/nvme0n1", "ssh", "root")
    assert spec.address == "ssh://root@node5:2222" and spec.label == "ssh-root-node5-2222"
    assert parse_host_spec("ssh://node5").port == 22 and parse_host_spec("node5").port == 8765
    assert parse_host_spec("ssh://[fd00::1]:22").address == "ssh://[fd00::1]:22"
    assert destination(spec) == ["-p", "2222", "-l", "root", "node5"]
    for bad in (
        "ssh://",
        "ssh://-oProxyCommand=x",
        "root@node5",
        "ssh://a b",
        "ssh://h:70000",
        "ssh://h=rel/path",
        "ssh://$(x)@h",
    ):
        with pytest.raises(InputError):
            parse_host_spec(bad)
    lines = "# lab\nssh://root@node5=/dev/nvme0n1\nnode6:9000  # plain TCP\n"
    assert [h.address for h in read_hosts_file(lines, "hosts.txt")] == [
        "ssh://root@node5:22",
        "node6:9000",
    ]
    # the same machine over TCP and over SSH, or with two logins, are different hosts
    hosts = resolve_hosts(
        [parse_host_spec("h:22"), parse_host_spec("ssh://h"), parse_host_spec("ssh://u@h")],
        "/dev/x",
    )
    assert len({h.spec.label for h in hosts}) == 3


def test_ssh_errors_become_one_line_each():
    spec = parse_host_spec("ssh://127.0.0.1:2222")
    cases = {
        "ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\n": "connection refused",
        "root@127.0.0.1: Permission denied (publickey).\r\n": "login refused",
        "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict"
        " checking.\r\nHost key verification failed.\r\n": "not in known_hosts",
        "ssh: Could not resolve hostname nowhere: Name or service not known\r\n": (
            "SSH failed: ssh: Could not resolve"
        ),
    }
    for stderr, expected in cases.items():
        message = ssh_error(spec, stderr)
        assert expected in message and "\n" not in message and message.startswith(spec.address)


def test_sysfs_records_rebuild_what_read_block_device_reads(tmp_path):
    data = (
        b"F size\x00524288\n\x00F queue/logical_block_size\x004096\n\x00"
        b"F device/model\x00Lab SSD\n\x00P nvme0n1p1\x00\x00H dm-0\x00\x00"
        b"L nvme0\x00\x00F ../../etc/passwd\x00x\x00"
    )
    records = parse_records(data)
    assert ("F", "../../etc/passwd", b"x") not in records
    build_sysfs(records, "nvme0n1", tmp_path)
    dev = read_block_device("nvme0n1", str(tmp_path))
    assert dev.size_bytes == 524288 * 512 and dev.queue == {"logical_block_size": 4096}
    assert dev.model == "Lab SSD" and dev.partitions == ["nvme0n1p1"] and dev.holders == ["dm-0"]
    assert os.path.basename(os.path.realpath(tmp_path / "block/nvme0n1/device")) == "nvme0"


# -- a real sshd -----------------------------------------------------------------------
@pytest.fixture
def sshd(tmp_path, monkeypatch):
    """Factory: sshd(path=None, forwarding=True) -> a running Sshd; nvmeprobe's ssh uses the
    last one's client config."""
    started: list[Sshd] = []

    def start(path: str | None = None, forwarding: bool = True) -> Sshd:
        server = Sshd(tmp_path / f"sshd{len(started)}", path, forwarding)
        started.append(server)
        monkeypatch.setenv(CONFIG_ENV, str(server.client_config))
        return server

    yield start
    for server in started:
        server.stop()


class Watch:
    """Samples, every 50 ms while a run lasts, what our processes listen on and which fio
    servers run below the sshd."""

    def __init__(self, server: Sshd, run_pid: int) -> None:
        self.server, self.run_pid = server, run_pid
        self.seen: set[Listener] = set()
        self.fio_servers: dict[int, str] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.done.is_set():
            remote = self.server.sessions()
            for pid in remote:
                if "--server" in command_line(pid) and command_line(pid).startswith("fio"):
                    self.fio_servers[pid] = command_line(pid)
            ours = [self.server.proc.pid, *remote, self.run_pid, *descendants(self.run_pid)]
            self.seen.update(listeners(ours))
            time.sleep(0.05)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def _wait_gone(pids, seconds: float = 15) -> list[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def _assert_only_loopback(watch: Watch, server: Sshd) -> None:
    tcp = [item for item in watch.seen if item.kind == "tcp"]
    assert tcp and all(item.address == "127.0.0.1" for item in tcp), tcp
    assert {(item.pid, item.port) for item in tcp} == {(server.proc.pid, server.port)}, tcp


# A remote cell costs its runtime and ~1.3 s more (fio's client and server), so these runs cut
# smoke's 5 cells down. TWO_WRITE_CELLS: its 4 KiB random write at QD16 and 128 KiB sequential
# write (two cells: one fio server serves a whole run). THREE_CELLS: 4 KiB random write and read
# at QD16 and the 128 KiB write: a run stopped after 2 cells has 1 left to resume.
TWO_WRITE_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.rw=randwrite"]
TWO_WRITE_CELLS += ["--set", "stage.rand4k.iodepth=16"]
THREE_CELLS = ["--set", "runtime=500ms", "--set", "stage.rand4k.iodepth=16"]


def _start_run(server: Sshd, device: str, tmp_path: Path, cells: list[str]) -> subprocess.Popen:
    """`nvmeprobe run --host ssh://...=DEVICE` with `cells` (plan overrides) in a process,
    results and profiles under tmp_path, --json on stdout."""
    args = ["run", "--host", f"ssh://127.0.0.1:{server.port}={device}", *cells]
    args += ["--destroy-data", device, "--results", str(tmp_path / "results")]
    args += ["--profiles", str(tmp_path / "profiles"), "--json"]
    return subprocess.Popen(
        [sys.executable, "-m", "nvmeprobe.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@needs_sshd
def test_run_over_ssh_leaves_nothing_listening_or_running(make_loop, sshd, tmp_path):
    server = sshd()
    device = make_loop(256, 4096)
    proc = _start_run(server, device, tmp_path, TWO_WRITE_CELLS)
    watch = Watch(server, proc.pid)
    out, err = proc.communicate(timeout=300)
    watch.stop()
    assert proc.returncode == 0, err.decode()
    assert "plain TCP" not in err.decode()
    # the profile and the facts, read over the same SSH connection
    host = json.loads(out)["hosts"][0]
    assert host["host"] == f"ssh://127.0.0.1:{server.port}" and host["cells_done"] == 2
    profile = read_profile(Path(host["profile"]))
    assert set(profile.cells["host"]) == {host["host"]} and (profile.cells["iops"] > 0).all()
    manifest = json.loads((Path(host["results"]) / "manifest.json").read_text())
    assert manifest["facts"]["facts_source"] == "ssh"
    local = json.loads(CliRunner().invoke(main, ["inspect", device, "--json"]).stdout)
    assert manifest["facts"]["geometry"] == local["geometry"]
    assert manifest["facts"]["kind"] == local["kind"] == "loop"
    assert manifest["facts"]["geometry"]["logical_block_size"] == 4096
    # during the run: the fio server (and the processes it forked) listened on a Unix socket
    # only, in a private folder; nothing listened on TCP but the sshd itself
    assert len(set(watch.fio_servers.values())) == 1, watch.fio_servers
    line = next(iter(watch.fio_servers.values()))
    assert line.startswith("fio --server=sock:/tmp/nvmeprobe-fio.")
    remote_socket = line.split("sock:", 1)[1]
    served = [item for item in watch.seen if item.pid in watch.fio_servers]
    assert served and {(item.kind, item.address) for item in served} == {("unix", remote_socket)}
    _assert_only_loopback(watch, server)
    local_sockets = [
        item.address
        for item in watch.seen
        if item.kind == "unix" and item.pid not in watch.fio_servers and item.address
    ]
    assert any(path.endswith("/fio.sock") for path in local_sockets), local_sockets
    # afterwards: the server, its folders on both sides and every SSH session are gone
    assert _wait_gone(list(watch.fio_servers)) == []
    assert not Path(remote_socket).parent.exists()
    assert all(not Path(path).parent.exists() for path in local_sockets)
    assert _wait_gone(server.sessions()) == []
    assert listeners([server.proc.pid]) == [
        Listener(server.proc.pid, "tcp", "127.0.0.1", server.port)
    ]


@needs_sshd
def test_qualify_over_ssh(make_loop, sshd, tmp_path):
    server = sshd()
    device = make_loop(256)
    criteria = tmp_path / "ok.toml"
    criteria.write_text(
        'set = ["runtime=500ms", "stage.rand4k.rw=randread", "stage.rand4k.iodepth=16"]\n'
        '[[criterion]]\nname = "randread IOPS"\n'
        'metric = "iops"\nwhere = { rw = "randread" }\nmin = 100\n'
    )
    result = CliRunner().invoke(
        main,
        [
            "qualify",
            "--host",
            f"ssh://root@127.0.0.1:{server.port}={device}",
            "--criteria",
            str(criteria),
            "--destroy-data",
            device,
            "--results",
            str(tmp_path / "results"),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] and doc["target"] == device and doc["plan"] == "smoke"
    assert doc["run"]["cells_done"] == 2 and doc["run"]["profile"] == doc["profile"]
    assert set(read_profile(Path(doc["profile"])).cells["host"]) == {
        f"ssh://root@127.0.0.1:{server.port}"
    }
    assert _wait_gone(server.sessions()) == []


def _other_key_config(server: Sshd) -> Path:
    key = server.folder / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return server.write_client_config("stranger_config", key, server.folder / "known_hosts")


def _no_known_hosts_config(server: Sshd) -> Path:
    empty = server.folder / "empty_known_hosts"
    empty.write_text("")
    return server.write_client_config("unknown_config", server.folder / "user_key", empty)


def _old_fio(folder: Path) -> str:
    folder.mkdir()
    fio = folder / "fio"
    fio.write_text("#!/bin/sh\necho fio-3.1\n")  # what `fio --version` says on that host
    fio.chmod(0o755)
    return f"{folder}:"


def _noting_mktemp(folder: Path) -> Path:
    """A `mktemp` for the host's PATH that also notes each path it made in FOLDER/made: the
    test's own remote folders, among those of the other tests' runs in /tmp."""
    folder.mkdir()
    mktemp = folder / "mktemp"
    mktemp.write_text(
        f'#!/bin/sh\nmade=$(/usr/bin/mktemp "$@") || exit\necho "$made" >>{folder}/made\n'
        'echo "$made"\n'
    )
    mktemp.chmod(0o755)
    return folder / "made"


FAILURES = {
    "refused": "SSH connection refused",
    "key not accepted": "SSH login refused (root@127.0.0.1: Permission denied (publickey)",
    "host key unknown": "its SSH host key is not in known_hosts",
    "fio missing": "fio is not installed there",
    "another fio": "fio server runs fio-3.1, this machine fio-3.33",
    "forwarding refused": "its sshd refused to forward the fio server's socket",
}


@needs_sshd
@pytest.mark.parametrize("case", list(FAILURES))
def test_ssh_failures_exit_2_in_one_line_and_leave_nothing(
    case, make_loop, sshd, tmp_path, monkeypatch
):
    made = _noting_mktemp(tmp_path / "spy")
    path = f"{made.parent}:/usr/sbin:/usr/bin:/sbin:/bin"
    paths = {"fio missing": "/nonexistent", "another fio": _old_fio(tmp_path / "old") + path}
    server = sshd(paths.get(case, path), forwarding=case != "forwarding refused")
    port = free_port() if case == "refused" else server.port
    if case == "key not accepted":
        monkeypatch.setenv(CONFIG_ENV, str(_other_key_config(server)))
    if case == "host key unknown":
        monkeypatch.setenv(CONFIG_ENV, str(_no_known_hosts_config(server)))
    device = make_loop(64)
    before = sha256_of(device)
    # this side's folders go to a folder of the test's own (short: it holds sockets)
    here = Path(tempfile.mkdtemp(prefix="ssh-failure-"))
    try:
        with monkeypatch.context() as patch:
            patch.setattr(tempfile, "tempdir", str(here))
            result = run_cli(
                tmp_path,
                "--host",
                f"ssh://127.0.0.1:{port}={device}",
                "--set",
                "runtime=1s",
                "--destroy-data",
                device,
            )
        left_here = list(here.iterdir())
    finally:
        shutil.rmtree(here)
    assert result.exit_code == 2, result.output
    said = [
        line.strip()
        for line in result.stderr.splitlines()
        if line.strip().startswith(f"ssh://127.0.0.1:{port}: ")
    ]
    assert len(said) == 1 and FAILURES[case] in said[0], result.stderr
    print(said[0])
    assert "Traceback" not in result.output
    assert not (tmp_path / "results").exists() and sha256_of(device) == before
    assert _wait_gone(server.sessions()) == []
    remote = made.read_text().split() if made.exists() else []
    assert bool(remote) == (case == "forwarding refused")  # only its server was started
    assert not left_here and not [folder for folder in remote if Path(folder).exists()]


@needs_sshd
def test_two_servers_on_one_host_share_no_port_or_socket(make_loop, sshd, tmp_path):
    """The issue's 'remote port already in use' cannot happen: each server gets its own socket
    in its own private folder, so two at once on one host do not collide."""
    server = sshd()
    one, two = make_loop(64), make_loop(64)
    plan = tmp_path / "read.toml"
    plan.write_text(
        'name = "r"\n[[stage]]\nkind = "matrix"\nname = "rr"\nrw = "randread"\n'
        'bs = "4k"\niodepth = 4\nruntime = "500ms"\n'
    )
    result = run_cli(
        tmp_path,
        "--host",
        f"ssh://127.0.0.1:{server.port}={one}",
        "--host",
        f"ssh://root@127.0.0.1:{server.port}={two}",
        "--plan",
        str(plan),
    )
    assert result.exit_code == 0, result.output
    hosts = json.loads(result.stdout)["hosts"]
    assert [h["cells_done"] for h in hosts] == [1, 1]
    assert {read_profile(Path(h["profile"])).cells["target"].iloc[0] for h in hosts} == {one, two}
    assert _wait_gone(server.sessions()) == []


def _start_and_wait_for_cells(server: Sshd, device: str, tmp_path: Path, done: int):
    """Start `run --host ssh://...` (THREE_CELLS) in a process; return it, its Watch and its
    host's manifest path once `done` cells are done."""
    results = tmp_path / "results"
    proc = _start_run(server, device, tmp_path, THREE_CELLS)
    watch = Watch(server, proc.pid)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        for manifest_path in results.glob("*/ssh-127.0.0.1-*/manifest.json"):
            try:
                state = json.loads(manifest_path.read_text())["state"]
            except (json.JSONDecodeError, KeyError):
                continue
            if sum(v["status"] == "done" for v in state.values()) >= done:
                return proc, watch, manifest_path
        time.sleep(0.05)
    proc.kill()
    watch.stop()
    raise AssertionError(f"the run did not get to {done} cells: {proc.communicate()}")


@needs_sshd
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_run_stops_the_server_and_the_connection(signum, make_loop, sshd, tmp_path):
    server = sshd()
    device = make_loop(256)
    proc, watch, manifest_path = _start_and_wait_for_cells(server, device, tmp_path, 1)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    watch.stop()
    assert proc.returncode == 1 and "interrupted" in err.decode(), err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    state = json.loads(manifest_path.read_text())["state"]
    assert any(v["status"] == "done" for v in state.values())
    assert watch.fio_servers and _wait_gone(list(watch.fio_servers)) == []
    assert _wait_gone(server.sessions()) == []
    _assert_only_loopback(watch, server)


def _kill_connections(server: Sshd) -> None:
    """Drop every SSH connection as a network would: kill sshd's per-connection processes
    (its direct children), not what they run."""
    for pid in children_of(server.proc.pid):
        with contextlib.suppress(ProcessLookupError):  # a connection that had just ended
            os.kill(pid, signal.SIGKILL)


@needs_sshd
def test_a_dropped_connection_keeps_finished_cells_and_resume_finishes(make_loop, sshd, tmp_path):
    server = sshd()
    device = make_loop(256)
    proc, watch, manifest_path = _start_and_wait_for_cells(server, device, tmp_path, 2)
    results = tmp_path / "results"
    _kill_connections(server)
    out, err = proc.communicate(timeout=120)
    watch.stop()
    assert proc.returncode == 1, err.decode()
    message = err.decode()
    assert "the SSH connection dropped" in message and "resume with" in message
    assert "Traceback" not in message
    lost = json.loads(manifest_path.read_text())
    finished = {k: v["updated"] for k, v in lost["state"].items() if v["status"] == "done"}
    assert 2 <= len(finished) < 3
    assert sorted(read_profile(Path(lost["profile"])).cells["cell"].unique()) == sorted(finished)
    # the server died with its connection; nothing runs there any more
    assert watch.fio_servers and _wait_gone(list(watch.fio_servers)) == []
    assert _wait_gone(server.sessions()) == []
    _assert_only_loopback(watch, server)
    # the host is back: resume runs only what is left, over a new connection
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--resume",
            manifest_path.parent.parent.name,
            "--destroy-data",
            device,
            "--results",
            str(results),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    final = resumed_manifest(manifest_path, finished, cells=3)
    cells = read_profile(Path(final["profile"])).cells
    assert len(cells) == len(cells.drop_duplicates(["cell", "direction"]))
    assert _wait_gone(server.sessions()) == []
