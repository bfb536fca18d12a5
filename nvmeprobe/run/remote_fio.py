"""The edge that talks to remote `fio --server`s: reachability, version, facts, cells.

A `FioServer` says how fio's client reaches one host's server: `HOST,PORT`
over TCP, or `sock:fio.sock` from the private folder of an SSH host
(run/ssh.py). What fio 3.33's client/server mode offers, and how it is used
(checked on this machine against `fio --server=ip:127.0.0.1,PORT` and
`fio --server=sock:PATH`):

- Jobs reach the server only as job files: `fio --output-format=json+
  --output=FILE --client=HOST,PORT JOBFILE`. Results come back to this
  machine in FILE (after a few `<host> ...` text lines) under
  "client_stats", each entry with "hostname" and "port".
- Logs (`write_bw_log=PREFIX`) are sent back too and written here as
  `PREFIX_bw.1.log.<host>`; they are renamed to bench-fio's `PREFIX_bw.1.log`.
- The client prints no live status line when the output is JSON, so remote
  cells have no live IOPS and `stop_on_drop` cannot stop a sustained write
  early: it runs to its size.
- The server's fio version: the client prints `hostname=..., fio=fio-3.33,
  ...` on connecting when the output format is normal; a job with
  `ioengine=null` (no file, no IO) makes it connect.
- Size and LBA size of a remote target, read-only, 6 IOs: a sequential read
  stepping backwards (`rw=read:-8k`, `bs=4k`) from offset 0 wraps to the end
  of the device, so its second IO lands at size - 8 KiB; with `log_offset=1`
  the latency log (sent back to the client) records that offset. The LBA
  size: a direct 512-byte read fails with EINVAL (22) on a 4 KiB-sector
  device, a 4 KiB read does not.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError, ProbeError, ToolFailed
from nvmeprobe.ingest.fio_json import load_fio_json
from nvmeprobe.run.fio_process import FioOutcome, run_fio
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.hosts import HostSpec
from nvmeprobe.run.ssh import SshHost
from nvmeprobe.targets import Target
from nvmeprobe.tools import run_tool

CONNECT_TIMEOUT_S = 3.0
PROBE_TIMEOUT_S = 60.0
PREFLIGHT_JOB = "[nvmeprobe-preflight]\nioengine=null\nsize=4k\n"
_SERVER_VERSION_RE = re.compile(r"\bfio=(fio-[^\s,]+)")
_STEP = 8192  # backwards step of the size probe; its bs is half of it
_LBA_SIZES = (512, 4096)


@dataclass(frozen=True)
class FioServer:
    """One host's fio server as fio's client reaches it."""

    address: str  # the host as the user named it
    client_arg: str  # fio's --client value
    cwd: Path | None  # where the client runs (SSH: beside the socket)
    lost: Callable[[], str | None]  # None while reachable, else why not


def tcp_server(spec: HostSpec) -> FioServer:
    """A server the lab started, reached over plain TCP."""
    return FioServer(spec.address, spec.client_arg, None, lambda: connect_error(spec))


def ssh_server(host: SshHost) -> FioServer:
    """The server nvmeprobe started over SSH, reached through its forwarded socket."""
    return FioServer(host.spec.address, f"sock:{host.local_socket.name}", host.folder, host.lost)


def connect_error(spec: HostSpec, timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when HOST:PORT accepts a TCP connection within `timeout`, else why not."""
    try:
        with socket.create_connection((spec.host, spec.port), timeout=timeout):
            return None
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as err:
        return err.strerror or str(err)


def parse_server_version(text: str) -> str | None:
    """The server's fio version from the client's `hostname=..., fio=fio-3.33` line."""
    match = _SERVER_VERSION_RE.search(text)
    return match.group(1) if match else None


def local_fio_version() -> str:
    """`fio --version` of this machine: 'fio-3.33'."""
    return str(run_tool("fio", ["--version"])).strip()


def _client_run(
    server: FioServer, job_text: str, workdir: Path, name: str, output_format: str
) -> str:
    """Run one job file on the server; returns the output file's text (fio may exit non-zero)."""
    job = workdir / f"{name}.fio"
    out = workdir / f"{name}.out"
    job.write_text(job_text)
    out.unlink(missing_ok=True)
    try:
        run_tool(
            "fio",
            [
                f"--output-format={output_format}",
                f"--output={out}",
                f"--client={server.client_arg}",
                str(job),
            ],
            timeout=PROBE_TIMEOUT_S,
            cwd=server.cwd,
        )
    except ToolFailed as err:
        if not out.exists() or not out.read_text(errors="replace").strip():
            raise InputError(
                f"{server.address}: fio --client failed: {str(err).split(': ', 1)[-1]}"
            ) from None
    return out.read_text(errors="replace") if out.exists() else ""


def server_version(server: FioServer, workdir: Path) -> str:
    """The fio version `server` runs (a no-IO job makes the client connect)."""
    text = _client_run(server, PREFLIGHT_JOB, workdir, "preflight", "normal")
    version = parse_server_version(text)
    if version is None:
        raise InputError(
            f"{server.address}: the fio server did not say its version (is it fio --server?)"
        )
    return version


def probe_job(target: Target, log_prefix: Path) -> str:
    """The read-only facts probe as a job file: size job, and LBA jobs for block devices."""
    engine = target.probe_job_lines()
    lines = [
        "[size]",
        *engine,
        f"rw=read:-{_STEP}",
        f"bs={_STEP // 2}",
        "number_ios=4",
        f"write_lat_log={log_prefix}",
        "log_offset=1",
        "",
    ]
    if target.probes_lba_size:
        for lba in _LBA_SIZES:
            lines += [f"[lba{lba}]", *engine, "rw=read", f"bs={lba}", "number_ios=1", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class ProbedFacts:
    """What the probe learned; None where it could not tell."""

    size_bytes: int | None
    logical_block_size: int | None


def log_offsets(text: str) -> list[int]:
    """The offset column of a fio latency log written with `log_offset=1`."""
    offsets = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) >= 5 and fields[4].isdigit():
            offsets.append(int(fields[4]))
    return offsets


def _job_errors(doc: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """jobname -> (fio error code, bytes read)."""
    return {
        job.get("jobname"): (
            int(job.get("error", 0)),
            int((job.get("read") or {}).get("io_bytes", 0)),
        )
        for job in doc.get("client_stats") or []
    }


def facts_from_probe(doc: dict[str, Any], offsets: list[int], where: str) -> ProbedFacts:
    """Size and LBA size from the probe's JSON and its latency-log offsets (pure)."""
    jobs = _job_errors(doc)
    code, _ = jobs.get("size", (0, 0))
    if code:
        raise InputError(f"{where}: fio could not read it (error {code}: {os.strerror(code)})")
    size = max(offsets) + _STEP if offsets and max(offsets) > 0 else None
    lba: int | None = None
    for candidate in _LBA_SIZES:
        lba_code, done = jobs.get(f"lba{candidate}") or (None, 0)
        if lba_code == 0 and done:
            lba = candidate
            break
        if lba_code is not None and lba_code != errno.EINVAL:
            raise InputError(
                f"{where}: fio could not read it (error {lba_code}: {os.strerror(lba_code)})"
            )
    return ProbedFacts(size, lba)


def probe_facts(server: FioServer, target: Target, workdir: Path) -> ProbedFacts:
    """Run the probe on the server and decode it."""
    prefix = workdir / "probe"
    text = _client_run(server, probe_job(target, prefix), workdir, "probe", "json")
    where = f"{server.address}: {target.text}"
    try:
        doc = load_fio_json(text, f"{where} probe")
    except InputError:
        last = text.strip().splitlines()[-1] if text.strip() else "no output"
        raise InputError(f"{where}: the fio probe failed ({last[:200]})") from None
    logs = sorted(workdir.glob("probe_clat.*.log*"))
    offsets = log_offsets(logs[0].read_text()) if logs else []
    return facts_from_probe(doc, offsets, where)


def restore_log_names(prefix: Path) -> None:
    """`PREFIX_bw.1.log.<host>` (as the fio client writes them) -> `PREFIX_bw.1.log`."""
    for path in prefix.parent.glob(prefix.name + "_*.log.*"):
        path.replace(path.with_name(path.name[: path.name.index(".log.") + 4]))


def run_remote_fio(
    server: FioServer,
    job_text: str,
    out_json: Path,
    log_prefix: Path | None,
    on_status: Callable[[FioStatus], bool] | None = None,
    on_spawn: Callable[[Any], None] | None = None,
) -> FioOutcome:
    """Run one cell's job file on the server; results land in `out_json` on this machine."""
    job = out_json.with_suffix(".fio")
    try:
        job.write_text(job_text)
    except OSError as err:
        raise ProbeError(f"cannot write {job}: {err.strerror}") from None
    outcome = run_fio(
        [
            "--output-format=json+",
            f"--output={out_json}",
            f"--client={server.client_arg}",
            str(job),
        ],
        on_status,
        on_spawn=on_spawn,
        cwd=server.cwd,
    )
    if log_prefix is not None:
        restore_log_names(log_prefix)
    return outcome
