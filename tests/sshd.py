"""A real OpenSSH server for tests, on 127.0.0.1 only, and what our processes listen on.

`Sshd` runs `/usr/sbin/sshd -D` with its own config, host key and one
authorised user key in a temp folder: keys only (no passwords), root login
with that key; `forwarding=False` stands for a host that forbids forwarding.
`client_config` is the matching ssh config (identity, known_hosts with the
server's host key) for `NVMEPROBE_SSH_CONFIG`. `path` replaces the PATH of
commands run over SSH (a forced command in authorized_keys), to stand for a
host whose fio is missing or another version.

`listeners(pids)` reads /proc/net/{tcp,tcp6,unix} for the listening sockets
held by those processes: the machine is shared, so only our own processes
are looked at.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10) -> bool:
    """True once something accepts connections on 127.0.0.1:PORT, False after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Sshd:
    """sshd on 127.0.0.1:PORT, started in its own session; `stop()` kills it and its sessions."""

    def __init__(self, folder: Path, path: str | None = None, forwarding: bool = True) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        for name in ("host_key", "user_key"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)],
                check=True,
            )
        user_key = (folder / "user_key.pub").read_text().strip()
        forced = f'command="PATH={path} exec sh -c \\"$SSH_ORIGINAL_COMMAND\\"" ' if path else ""
        (folder / "authorized_keys").write_text(forced + user_key + "\n")
        (folder / "authorized_keys").chmod(0o600)
        (folder / "sshd_config").write_text(
            f"ListenAddress 127.0.0.1:{self.port}\nHostKey {folder / 'host_key'}\n"
            f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            "PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPidFile none\n"
            f"DisableForwarding {'no' if forwarding else 'yes'}\nX11Forwarding no\n"
        )
        host_key = " ".join((folder / "host_key.pub").read_text().split()[:2])
        (folder / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_key}\n")
        self.client_config = self.write_client_config(
            "ssh_config", folder / "user_key", folder / "known_hosts"
        )
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
        with open(folder / "sshd.log", "wb") as log:  # sshd holds its own descriptor
            self.proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        if not wait_for_port(self.port):
            self.stop()
            raise RuntimeError(f"sshd on port {self.port} did not start: {self.log_text()}")

    def write_client_config(self, name: str, identity: Path, known_hosts: Path) -> Path:
        """An ssh config for this server with this identity and known_hosts file."""
        path = self.folder / name
        path.write_text(
            f"Host 127.0.0.1\n  User root\n  IdentityFile {identity}\n"
            f"  IdentitiesOnly yes\n  UserKnownHostsFile {known_hosts}\n"
            f"  GlobalKnownHostsFile /dev/null\n"
        )
        return path

    def log_text(self) -> str:
        return (self.folder / "sshd.log").read_text(errors="replace")

    def sessions(self) -> list[int]:
        """Every process below sshd: its per-connection processes and what they run."""
        return descendants(self.proc.pid)

    def stop(self) -> None:
        for pid in self.sessions():  # sessions run in their own process groups
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0]


def _children() -> dict[int, list[int]]:
    """Living processes by parent pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and stat[1] != "Z":
                children.setdefault(stat[0], []).append(int(entry))
    return children


def children_of(pid: int) -> list[int]:
    """The living processes whose parent is `pid`."""
    return _children().get(pid, [])


def descendants(root: int) -> list[int]:
    """Every living process below `root`."""
    children = _children()
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie is not running)."""
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class Listener:
    """One listening socket: 'tcp' with address and port, or 'unix' with its path."""

    pid: int
    kind: str
    address: str
    port: int = 0


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    except OSError:
        pass
    return inodes


def _tcp_address(hex_address: str) -> tuple[str, int]:
    address, port = hex_address.split(":")
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), int(port, 16)


def listeners(pids: list[int]) -> list[Listener]:
    """The listening TCP and Unix sockets these processes hold."""
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[9]) in owner:  # 0A: LISTEN
                address, port = _tcp_address(fields[1])
                found.append(Listener(owner[int(fields[9])], "tcp", address, port))
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[3], 16) & 0x10000 and int(fields[6]) in owner:  # __SO_ACCEPTCON
            path = fields[7] if len(fields) > 7 else ""
            found.append(Listener(owner[int(fields[6])], "unix", path))
    return found
