"""Hosts of a many-host run: `--host HOST[:PORT][=TARGET]` specs, parsed and validated.

Pure: nothing here opens a socket or reads a device. A remote target is a
path on that host, so it cannot be resolved or stat'ed from here: it is taken
literally, must be absolute (or an NBD URI), and must not hold characters fio
would read as separators (':' '=' ',' ';' '\\') or control characters.
Simulated drives (`sim:`) run on this machine and are refused as remote
targets.

Decisions:
- The default port is fio's own, 8765.
- IPv6 addresses are written in brackets (`[fd00::1]:8765`) and reach fio as
  `ip6:ADDR,PORT`; names and IPv4 addresses as `HOST,PORT`.
- A host's label (`127.0.0.1-8765`) names its folder under the run
  directory, so two servers on one machine never share files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.errors import InputError
from nvmeprobe.targets import Target, parse_target

DEFAULT_PORT = 8765

_SPEC_RE = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)"
                      r"(?::(?P<port>\d{1,5}))?(?:=(?P<target>.+))?$")


@dataclass(frozen=True)
class HostSpec:
    """One `--host` value: where fio --server listens and, optionally, its own target."""

    host: str
    port: int = DEFAULT_PORT
    target: str | None = None

    @property
    def address(self) -> str:
        """'HOST:PORT' as the user reads it (IPv6 in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        """A folder-safe name: '127.0.0.1-8765'."""
        return re.sub(r"[^A-Za-z0-9.]+", "-", f"{self.host}-{self.port}").strip("-")

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
    """`HOST[:PORT][=TARGET]` -> HostSpec; a one-line InputError when malformed."""
    match = _SPEC_RE.match(text.strip())
    if not match:
        raise InputError(f"invalid host {text!r}: use HOST[:PORT][=TARGET], e.g. 10.0.0.5:8765=/dev/nvme0n1")
    host = match.group("host").strip("[]")
    port = int(match.group("port") or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise InputError(f"invalid host {text!r}: port {port} is not 1-65535")
    target = match.group("target")
    if target is not None:
        remote_target(target)  # validate now, so a bad line is reported with its host
    return HostSpec(host, port, target)


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
    seen: set[tuple[str, int]] = set()
    hosts = []
    for spec in specs:
        if (spec.host, spec.port) in seen:
            raise InputError(f"host {spec.address} is given twice")
        seen.add((spec.host, spec.port))
        text = spec.target or default_target
        if not text:
            raise InputError(f"host {spec.address} has no target: give TARGET or {spec.address}=TARGET")
        hosts.append(RemoteHost(spec, remote_target(text)))
    return hosts


def match_host(key: str, hosts: list[RemoteHost], what: str) -> RemoteHost:
    """The host a `HOST[:PORT]=...` value names (HOST alone when it is unambiguous)."""
    exact = [h for h in hosts if key in (h.spec.address, f"{h.spec.host}:{h.spec.port}")]
    if exact:
        return exact[0]
    by_name = [h for h in hosts if key.strip("[]") == h.spec.host]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise InputError(f"{what} {key!r} matches several hosts; add the port (HOST:PORT)")
    raise InputError(f"{what} {key!r} names none of the hosts ({', '.join(h.spec.address for h in hosts)})")


def split_host_value(value: str, what: str) -> tuple[str, str]:
    """'HOST[:PORT]=REST' -> (HOST[:PORT], REST)."""
    key, sep, rest = value.partition("=")
    if not sep or not key or not rest:
        raise InputError(f"invalid {what} {value!r}: use HOST[:PORT]=VALUE")
    return key, rest
