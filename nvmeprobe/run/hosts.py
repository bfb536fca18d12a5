"""Hosts of a many-host run: `--host` specs, parsed and validated.

Two transports:
- `ssh://[USER@]HOST[:SSHPORT][=TARGET]`: nvmeprobe logs in with the system
  `ssh`, starts `fio --server` there on a Unix socket and reaches it through
  the SSH connection (run/ssh.py). Nothing listens on the network.
- `HOST[:PORT][=TARGET]`: a `fio --server` the lab started, reached over
  plain TCP; it accepts jobs from anyone who can reach it.

Pure: nothing here opens a socket or reads a device. A remote target is a
path on that host, so it cannot be resolved or stat'ed from here: it is taken
literally, must be absolute (or an NBD URI), and must not hold characters fio
would read as separators (':' '=' ',' ';' '\\') or control characters.
Simulated drives (`sim:`) run on this machine and are refused as remote
targets.

Decisions:
- The default port is fio's own, 8765 (TCP), or 22 (SSH).
- IPv6 addresses are written in brackets (`[fd00::1]:8765`) and reach fio as
  `ip6:ADDR,PORT`; names and IPv4 addresses as `HOST,PORT`.
- A host's label (`127.0.0.1-8765`) names its folder under the run
  directory, so two servers on one machine never share files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nvmeprobe.errors import InputError
from nvmeprobe.targets import Target, parse_target

DEFAULT_PORT = 8765
DEFAULT_SSH_PORT = 22
SSH_SCHEME = "ssh://"
Transport = Literal["tcp", "ssh"]

_SPEC_RE = re.compile(
    r"^(?:(?P<user>[A-Za-z_][A-Za-z0-9_.-]{0,31})@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)"
    r"(?::(?P<port>\d{1,5}))?(?:=(?P<target>.+))?$"
)


@dataclass(frozen=True)
class HostSpec:
    """One `--host` value: how to reach the host's fio --server and, optionally, its target.

    `port` is fio's TCP port for `tcp`, the SSH port for `ssh`; `user` is SSH's login.
    """

    host: str
    port: int = DEFAULT_PORT
    target: str | None = None
    transport: Transport = "tcp"
    user: str | None = None

    @property
    def address(self) -> str:
        """'HOST:PORT' or 'ssh://[USER@]HOST:PORT' as the user reads it (IPv6 in brackets)."""
        host_port = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        if self.transport == "tcp":
            return host_port
        return SSH_SCHEME + (f"{self.user}@" if self.user else "") + host_port

    @property
    def label(self) -> str:
        """A folder-safe name: '127.0.0.1-8765', 'ssh-root-127.0.0.1-22'."""
        return re.sub(r"[^A-Za-z0-9.]+", "-", self.address).strip("-")

    @property
    def client_arg(self) -> str:
        """fio's --client value for this host."""
        return f"ip6:{self.host},{self.port}" if ":" in self.host else f"{self.host},{self.port}"


@dataclass(frozen=True)
class RemoteHost:
    """A host with its target resolved (its own, or the command's)."""

    spec: HostSpec
    target: Target


def parse_host_spec(text: str) -> HostSpec:
    """`ssh://[USER@]HOST[:PORT][=TARGET]` or `HOST[:PORT][=TARGET]` -> HostSpec.

    A one-line InputError when malformed.
    """
    body = text.strip()
    transport: Transport = "ssh" if body.startswith(SSH_SCHEME) else "tcp"
    match = _SPEC_RE.match(body.removeprefix(SSH_SCHEME))
    if not match or (transport == "tcp" and match.group("user")):
        raise InputError(
            f"invalid host {text!r}: use ssh://[USER@]HOST[:SSHPORT][=TARGET]"
            f" (e.g. ssh://root@node5=/dev/nvme0n1) or HOST[:PORT][=TARGET]"
        )
    host = match.group("host").strip("[]")
    default = DEFAULT_SSH_PORT if transport == "ssh" else DEFAULT_PORT
    port = int(match.group("port") or default)
    if not 0 < port < 65536:
        raise InputError(f"invalid host {text!r}: port {port} is not 1-65535")
    target = match.group("target")
    if target is not None:
        remote_target(target)  # validate now, so a bad line is reported with its host
    return HostSpec(host, port, target, transport, match.group("user"))


def read_hosts_file(text: str, source: str) -> list[HostSpec]:
    """Host specs from a hosts file: one per line, blank lines and `#` comments ignored."""
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            specs.append(parse_host_spec(line))
        except InputError as err:
            raise InputError(f"{source} line {number}: {err}") from None
    return specs


def load_hosts_file(path: Path) -> list[HostSpec]:
    """Read `--hosts FILE`."""
    try:
        return read_hosts_file(path.read_text(), str(path))
    except OSError as err:
        raise InputError(f"cannot read hosts file {path}: {err.strerror}") from None


def remote_target(text: str) -> Target:
    """A target on another host, validated without touching this machine's files."""
    return parse_target(text, remote=True)


def resolve_hosts(specs: list[HostSpec], default_target: str | None) -> list[RemoteHost]:
    """Each host with its target; every host needs one, and no host may appear twice."""
    if not specs:
        raise InputError("no hosts given")
    seen: set[str] = set()
    hosts = []
    for spec in specs:
        if spec.address in seen:
            raise InputError(f"host {spec.address} is given twice")
        seen.add(spec.address)
        text = spec.target or default_target
        if not text:
            raise InputError(
                f"host {spec.address} has no target: give TARGET or {spec.address}=TARGET"
            )
        hosts.append(RemoteHost(spec, remote_target(text)))
    return hosts


def match_host(key: str, hosts: list[RemoteHost], what: str) -> RemoteHost:
    """The host a `HOST[:PORT]=...` value names (HOST alone when it is unambiguous)."""
    exact = [h for h in hosts if key in (h.spec.address, f"{h.spec.host}:{h.spec.port}")]
    if len(exact) > 1:
        raise InputError(
            f"{what} {key!r} matches several hosts; give the whole address"
            f" ({', '.join(h.spec.address for h in exact)})"
        )
    if exact:
        return exact[0]
    by_name = [h for h in hosts if key.strip("[]") == h.spec.host]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise InputError(f"{what} {key!r} matches several hosts; add the port (HOST:PORT)")
    raise InputError(
        f"{what} {key!r} names none of the hosts ({', '.join(h.spec.address for h in hosts)})"
    )


def split_host_value(value: str, what: str) -> tuple[str, str]:
    """'HOST[:PORT]=REST' -> (HOST[:PORT], REST)."""
    key, sep, rest = value.partition("=")
    if not sep or not key or not rest:
        raise InputError(f"invalid {what} {value!r}: use HOST[:PORT]=VALUE")
    return key, rest


@dataclass(frozen=True)
class FactsCapture:
    """One `--facts HOST[:PORT]=DIR` value: an `inspect --capture` folder for that host."""

    host: str
    directory: Path


def parse_facts_value(value: str) -> FactsCapture:
    """`HOST[:PORT]=DIR` -> FactsCapture (the host is matched once the hosts are known)."""
    key, directory = split_host_value(value, "--facts")
    return FactsCapture(key, Path(directory))
