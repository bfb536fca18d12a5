"""SSH hosts: a `fio --server` that nvmeprobe starts over SSH and reaches only through SSH.

fio's server has no authentication: on a network port it runs anyone's job
files as root. So for `ssh://` hosts nothing listens on the network. One SSH
connection per host (OpenSSH's connection sharing: `-M`, its control socket
in a private folder on this machine) carries everything:

1. the master, `ssh -M -N` with BatchMode=yes (no password or passphrase
   prompts: the user's keys or agent), StrictHostKeyChecking=yes (the host
   key must already be in known_hosts: no prompt, never accepted blindly),
   ExitOnForwardFailure=yes and keepalives;
2. `fio --version` on the host: fio missing, or another version than this
   machine's, stops the run before anything starts there;
3. the server's control channel (`SERVER_SCRIPT`): a shell that makes a
   private folder there (`mktemp -d`, mode 0700), starts `fio
   --server=sock:FOLDER/fio.sock` in its own session, says `READY PID`, and
   waits on its input. When nvmeprobe closes that input, or the connection
   drops (sshd closes it), the shell kills the server's process group (its
   pid) and removes the folder: the server cannot outlive the connection.
   A Unix socket in a 0700 folder, unlike a loopback port, cannot be reached
   by other users of that host, and cannot collide with another server;
4. `ssh -O forward -L LOCAL:REMOTE`: the server's socket forwarded to a Unix
   socket in the private folder here. fio's client connects to it as
   `sock:fio.sock` from that folder: the client names the log files it
   receives after the server's "host name", and a path would put '/' in it;
5. the target's facts (`run/ssh_facts.py`).

`SshHost.close()` stops the server, the forward and the master, and removes
both folders; `open_ssh_host` is a context manager that always does.
`NVMEPROBE_SSH_CONFIG=FILE` makes every ssh command read FILE (`ssh -F`)
instead of ~/.ssh/config: a specific identity, known_hosts or port.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nvmeprobe.errors import InputError, ToolFailed
from nvmeprobe.run.hosts import HostSpec
from nvmeprobe.tools import have_tool, run_tool

CONFIG_ENV = "NVMEPROBE_SSH_CONFIG"
CONNECT_TIMEOUT_S = 10
COMMAND_TIMEOUT_S = 60.0
SERVER_START_TIMEOUT_S = 20.0
SERVER_STOP_TIMEOUT_S = 15.0
SOCKET_NAME = "fio.sock"

SERVER_SCRIPT = r"""
d=$(mktemp -d /tmp/nvmeprobe-fio.XXXXXX) || { echo "FAILED cannot make a folder in /tmp"; exit 1; }
pid=
alive() {
  [ -n "$pid" ] && [ -r /proc/$pid/stat ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$pid/stat
}
stop() {
  if [ -n "$pid" ]; then
    kill -TERM -$pid 2>/dev/null; i=0
    while alive && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    kill -KILL -$pid 2>/dev/null
  fi
  rm -rf "$d"
}
trap 'stop; exit 0' HUP INT TERM PIPE
setsid fio --server=sock:$d/fio.sock >"$d/log" 2>&1 </dev/null &
pid=$!
i=0
while [ ! -S "$d/fio.sock" ]; do
  if ! alive || [ $i -ge 150 ]; then
    echo "FAILED $(head -c 300 "$d/log" | tr '\n' ' ')"; stop; exit 1
  fi
  sleep 0.1; i=$((i+1))
done
echo "READY $pid $d/fio.sock"
read -r _ || true
stop
echo STOPPED
"""
"""Runs on the host: start fio's server on a private Unix socket, stop it when input ends."""


def ssh_options(control_path: Path) -> list[str]:
    """The options of every ssh command nvmeprobe runs (see the module docstring)."""
    config = os.environ.get(CONFIG_ENV)
    options = ["-F", config] if config else []
    for option in (
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ExitOnForwardFailure=yes",
        f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        "ServerAliveInterval=10",
        "ServerAliveCountMax=3",
        f"ControlPath={control_path}",
    ):
        options += ["-o", option]
    return options


def destination(spec: HostSpec) -> list[str]:
    """ssh's arguments naming the host: port, login and host name."""
    login = ["-l", spec.user] if spec.user else []
    return ["-p", str(spec.port), *login, spec.host]


def ssh_error(spec: HostSpec, stderr: str) -> str:
    """One line saying why ssh failed, from what it printed (pure)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = lines[-1] if lines else "no message"
    where = spec.address
    if "Host key verification failed" in stderr or "REMOTE HOST IDENTIFICATION" in stderr:
        return (
            f"{where}: its SSH host key is not in known_hosts (or differs from it); nvmeprobe"
            f" never accepts an unknown key: check it, then add it (ssh-keyscan or one"
            f" interactive ssh login)"
        )
    if "Permission denied" in stderr or "Too many authentication failures" in stderr:
        return (
            f"{where}: SSH login refused ({said}); nvmeprobe logs in with keys only,"
            f" without prompts: is your key authorised there, or loaded in ssh-agent?"
        )
    if "Connection refused" in stderr:
        return f"{where}: SSH connection refused (no sshd on port {spec.port}?)"
    return f"{where}: SSH failed: {said}"


class SshHost:
    """One host's SSH connection, its fio server and the forward to it."""

    def __init__(self, spec: HostSpec) -> None:
        self.spec = spec
        self.folder = Path(tempfile.mkdtemp(prefix="nvmeprobe-ssh-"))  # mode 0700
        self.control = self.folder / "control"
        self.master: subprocess.Popen[bytes] | None = None
        self.channel: subprocess.Popen[bytes] | None = None
        self.server_pid: int | None = None
        self.remote_socket: str | None = None

    @property
    def local_socket(self) -> Path:
        """The local end of the forward (fio's client connects from `folder`)."""
        return self.folder / SOCKET_NAME

    def _ssh(self, *args: str) -> list[str]:
        return ["ssh", *ssh_options(self.control), *args]

    def connect(self) -> None:
        """Start the master connection; a one-line InputError when SSH refuses."""
        if not have_tool("ssh"):
            raise InputError("ssh is not installed (apt-get install openssh-client)")
        with open(self.folder / "master.log", "wb") as log:
            self.master = subprocess.Popen(
                self._ssh("-M", "-N", "-o", "ControlPersist=no", *destination(self.spec)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )  # Ctrl-C reaches nvmeprobe, which stops things in order
        deadline = time.monotonic() + CONNECT_TIMEOUT_S + 20
        while not self.control.exists():
            if self.master.poll() is not None or time.monotonic() > deadline:
                raise InputError(ssh_error(self.spec, self._log("master.log")))
            time.sleep(0.05)

    def _log(self, name: str) -> str:
        try:
            return (self.folder / name).read_text(errors="replace")
        except OSError:
            return ""

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT_S) -> bytes:
        """Run a shell command on the host over the connection; its stdout."""
        return bytes(
            run_tool(
                "ssh",
                [*ssh_options(self.control), *destination(self.spec), command],
                timeout=timeout,
                binary=True,
            )
        )

    def run_program(self, name: str, args: list[str]) -> bytes:
        """Run `name args...` on the host (arguments quoted); a ToolFailed naming the host."""
        command = shlex.join([name, *args])
        try:
            return self.run(command)
        except ToolFailed as err:
            said = err.stderr.strip().splitlines()
            raise ToolFailed(
                f"{command} failed on {self.spec.address}:"
                f" {said[-1] if said else f'exit code {err.returncode}'}",
                err.stderr,
                err.returncode,
            ) from None

    def has_program(self, name: str) -> bool:
        """True when `name` is on the host's PATH."""
        try:
            self.run(f"command -v {shlex.quote(name)}")
            return True
        except ToolFailed:
            return False

    def fio_version(self) -> str:
        """`fio --version` on the host; a one-line InputError when fio is missing there."""
        try:
            return self.run("fio --version").decode(errors="replace").strip()
        except ToolFailed as err:
            if err.returncode == 127:
                raise InputError(
                    f"{self.spec.address}: fio is not installed there (apt-get install fio)"
                ) from None
            raise InputError(ssh_error(self.spec, err.stderr)) from None

    def start_server(self) -> None:
        """Start fio's server on a private Unix socket there and forward it here."""
        with open(self.folder / "channel.log", "wb") as log:
            self.channel = subprocess.Popen(
                self._ssh(*destination(self.spec), "sh -c " + shlex.quote(SERVER_SCRIPT)),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        line = self._read_line(SERVER_START_TIMEOUT_S)
        words = line.split()
        if len(words) != 3 or words[0] != "READY":
            said = line.removeprefix("FAILED").strip() or self._log("channel.log").strip()
            raise InputError(
                f"{self.spec.address}: fio --server did not start there"
                f" ({said[:200] or 'no answer'})"
            )
        self.server_pid, self.remote_socket = int(words[1]), words[2]
        try:
            run_tool(
                "ssh",
                [
                    *ssh_options(self.control),
                    "-O",
                    "forward",
                    "-L",
                    f"{self.local_socket}:{self.remote_socket}",
                    *destination(self.spec),
                ],
                timeout=COMMAND_TIMEOUT_S,
            )
        except ToolFailed as err:
            raise InputError(
                f"{self.spec.address}: cannot forward the fio server's socket"
                f" over SSH ({err.stderr.strip()[:200]})"
            ) from None

    def _read_line(self, timeout: float) -> str:
        assert self.channel is not None and self.channel.stdout is not None
        ready, _, _ = select.select([self.channel.stdout], [], [], timeout)
        return self.channel.stdout.readline().decode(errors="replace").strip() if ready else ""

    def forward_refused(self) -> bool:
        """True when the host's sshd refused to connect the forward to the server's socket."""
        return "open failed" in self._log("master.log")

    def lost(self) -> str | None:
        """None while the connection and the server are up, else what went."""
        if self.master is None or self.master.poll() is not None:
            return "the SSH connection dropped"
        if self.channel is None or self.channel.poll() is not None:
            return f"the fio server there (pid {self.server_pid}) stopped"
        return None

    def close(self) -> None:
        """Stop the server (its shell kills it by pid), the forward and the master; no leftovers."""
        if self.channel is not None:
            try:
                if self.channel.stdin:
                    self.channel.stdin.close()  # the shell there stops the server and says STOPPED
                self.channel.wait(SERVER_STOP_TIMEOUT_S)
            except (OSError, subprocess.TimeoutExpired):
                self.channel.kill()  # the connection closes its input all the same
                self.channel.wait()
            if self.channel.stdout:
                self.channel.stdout.close()
        if self.master is not None:
            if self.master.poll() is None:
                subprocess.run(
                    self._ssh("-O", "exit", *destination(self.spec)),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=10,
                )
            try:
                self.master.wait(10)
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def open_ssh_host(spec: HostSpec) -> Iterator[SshHost]:
    """An SshHost, closed on leaving whatever happened (errors and Ctrl-C included)."""
    host = SshHost(spec)
    try:
        yield host
    finally:
        host.close()
