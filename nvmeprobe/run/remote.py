"""Many hosts: one plan run on each host's fio server, in parallel, in one run directory.

Hosts are `ssh://` (nvmeprobe starts the server over SSH and reaches it only
through that connection: run/ssh.py) or plain TCP (a server the lab started;
the run warns once that it accepts anyone who can reach it).

Layout (decided): `results/<run-id>/hosts.json` names the hosts, the plan
and each host's folder; each host has its own complete run folder,
`results/<run-id>/<label>/` (`127.0.0.1-8765`, `ssh-root-node5-22`), with
its own `manifest.json` (cell states, facts with `facts_source`, versions
including the server's fio) and the bench-fio layout below it, so `analyze
results/<run-id>/<label>` works as for a local run. Each host's run id is
`<run-id>-<label>`, which names its profile
(`profiles/<model>_<serial>/<run-id>-<label>.parquet`); the profile's `host`
column says the host's address.

Order, as for a local run: every check on every host before anything
writes. Preflight (TCP: connect with a short timeout; SSH: log in, check
fio there, start the server and forward it; then the server's fio version
against this machine's) reports every failing host, one line each, exit
code 2. Then the facts (capture, assumptions, over SSH, or fio's read-only
probe), then the write check (`remote_safety`: targets must be named in
`--destroy-data`), then a per-host lock on this machine, and only then the
runs: a thread per host, each running its cells in order. Servers started
over SSH are stopped however the run ends (`Servers.close`).

One host failing does not stop the others: its thread records the failed
cell and stops (a lost server stops it whatever `--on-error` says); the
other hosts finish. `run --resume RUN_ID` repeats every check and runs only
what is left, per host.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nvmeprobe.analyze.store import analyze_and_store
from nvmeprobe.discover.collect import load_capture
from nvmeprobe.discover.session import Session
from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError, ToolMissing
from nvmeprobe.plan import Cell, Plan, TargetFacts, expand_plan, job_file, load_plan, plan_facts
from nvmeprobe.run import layout
from nvmeprobe.run.execute import RunOptions, RunSummary
from nvmeprobe.run.fio_process import FioOutcome, stop_fio
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.hosts import (
    FactsCapture,
    HostSpec,
    RemoteHost,
    match_host,
    remote_target,
    resolve_hosts,
)
from nvmeprobe.run.manifest import DONE, FAILED, Manifest, now_iso, read_manifest, write_manifest
from nvmeprobe.run.remote_facts import capture_report, needs_probe, probed_report
from nvmeprobe.run.remote_fio import (
    FioServer,
    connect_error,
    local_fio_version,
    probe_facts,
    run_remote_fio,
    server_version,
    ssh_server,
    tcp_server,
)
from nvmeprobe.run.remote_safety import check_remote_writes
from nvmeprobe.run.runner import Runner, TargetLost, tool_versions
from nvmeprobe.run.safety import device_lock
from nvmeprobe.run.ssh import SshHost
from nvmeprobe.run.ssh_facts import ssh_capture
from nvmeprobe.run.stop import stop_signals_as_interrupt, wait_for_threads
from nvmeprobe.targets import HostTarget, Target
from nvmeprobe.tools import have_tool

HOSTS_FILE = "hosts.json"
HostStartHook = Callable[[RemoteHost, Manifest, list[Cell]], None]
HostCellHook = Callable[[RemoteHost, Cell, str], None]


class Cancelled(ProbeError):
    """The run was interrupted while this host's fio was running: its cell stays pending."""


def is_remote_run(run_dir: Path) -> bool:
    """True for the folder of a many-host run."""
    return (run_dir / HOSTS_FILE).is_file()


TCP_WARNING = (
    "warning: {hosts}: plain TCP fio server(s): they run the job files of anyone"
    " who can reach them, as root; use ssh://HOST where you can (see the README)"
)

FORWARD_REFUSED = (
    "{address}: its sshd refused to forward the fio server's socket; allow it"
    " for this login (DisableForwarding, AllowTcpForwarding and"
    " AllowStreamLocalForwarding must not be 'no')"
)


# -- checks before anything runs ------------------------------------------------------
class Servers:
    """Each host's fio server for the whole run, by address; `close` ends the SSH ones."""

    def __init__(self) -> None:
        self.by_address: dict[str, FioServer] = {}
        self._ssh: list[SshHost] = []
        self._lock = threading.Lock()

    def open(self, spec: HostSpec, local_version: str) -> FioServer:
        """Reach (TCP) or start over SSH the host's server; a one-line ProbeError if not."""
        if spec.transport == "tcp":
            problem = connect_error(spec)
            if problem:
                raise InputError(f"{spec.address}: cannot connect to fio --server ({problem})")
            server = tcp_server(spec)
        else:
            host = SshHost(spec)
            with self._lock:
                self._ssh.append(host)
            host.connect()
            version = host.fio_version()
            if version != local_version:
                raise InputError(_version_mismatch(spec.address, version, local_version))
            host.start_server()
            server = ssh_server(host)
        with self._lock:
            self.by_address[spec.address] = server
        return server

    def ssh_host(self, address: str) -> SshHost | None:
        """The SSH connection of a host, None for TCP hosts."""
        return next((h for h in self._ssh if h.spec.address == address), None)

    def close(self) -> None:
        """Stop every server nvmeprobe started, and its connection."""
        for host in self._ssh:
            host.close()


def _version_mismatch(address: str, version: str, local: str) -> str:
    return (
        f"{address}: fio server runs {version}, this machine {local};"
        f" client and server need the same fio version"
    )


def preflight(hosts: list[RemoteHost], workdir: Path, servers: Servers) -> dict[str, str]:
    """Reach every server and compare its fio version with ours; server versions by address.

    SSH hosts' servers are started here (and stay up until `servers.close()`).
    Raises one InputError naming every failing host (one line each).
    """
    local = local_fio_version()
    versions: dict[str, str] = {}
    errors: dict[str, str] = {}

    def check(host: RemoteHost) -> None:
        spec = host.spec
        folder = workdir / spec.label
        folder.mkdir(parents=True, exist_ok=True)
        try:
            version = server_version(servers.open(spec, local), folder)
        except ProbeError as err:
            ssh = servers.ssh_host(spec.address)
            errors[spec.address] = (
                FORWARD_REFUSED.format(address=spec.address)
                if ssh is not None and ssh.forward_refused()
                else str(err)
            )
            return
        if version != local:
            errors[spec.address] = _version_mismatch(spec.address, version, local)
            return
        versions[spec.address] = version

    _in_threads(check, hosts)
    if errors:
        lines = [errors[h.spec.address] for h in hosts if h.spec.address in errors]
        raise InputError(
            f"preflight failed for {len(lines)} of {len(hosts)} host(s),"
            f" nothing was run:\n  " + "\n  ".join(lines)
        )
    return versions


def _in_threads(work: Callable[[Any], None], items: list[Any]) -> None:
    """`work(item)` for every item at once; on Ctrl-C, every thread ends before it is raised."""
    threads = [threading.Thread(target=work, args=(item,), daemon=True) for item in items]
    for thread in threads:
        thread.start()
    try:
        wait_for_threads(threads)
    except KeyboardInterrupt:
        for thread in threads:  # nothing they start may outlive the cleanup that follows
            thread.join(60)
        raise


def facts_dirs(values: tuple[FactsCapture, ...], hosts: list[RemoteHost]) -> dict[str, Path]:
    """`--facts HOST[:PORT]=DIR` values -> capture folder by host address."""
    return {
        match_host(value.host, hosts, "--facts").spec.address: value.directory for value in values
    }


def host_reports(
    hosts: list[RemoteHost],
    options: RunOptions,
    versions: dict[str, str],
    workdir: Path,
    servers: Servers,
) -> dict[str, dict[str, Any]]:
    """Each host's inspect-shaped report (see remote_facts for where facts come from)."""
    captures = facts_dirs(options.facts_dirs, hosts)
    assumed = options.assume
    reports: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}

    def gather(host: RemoteHost) -> None:
        address = host.spec.address
        server = servers.by_address[address]
        try:
            capture, source = None, ""
            ssh = servers.ssh_host(address)
            if address in captures:
                capture, source = load_capture(captures[address]), f"capture {captures[address]}"
            elif ssh is not None and not assumed:
                capture, source = ssh_capture(ssh, host.target), "ssh"
            probe = capture is not None or needs_probe(assumed)
            probed = probe_facts(server, host.target, workdir / host.spec.label) if probe else None
            if capture is not None:
                reports[address] = capture_report(
                    host, capture, source, probed, versions.get(address)
                )
            else:
                reports[address] = probed_report(host, probed, assumed, versions.get(address))
        except ProbeError as err:
            errors[address] = str(err)

    _in_threads(gather, hosts)
    if errors:
        lines = [errors[h.spec.address] for h in hosts if h.spec.address in errors]
        raise InputError(
            "cannot learn the targets' facts, nothing was run:\n  " + "\n  ".join(lines)
        )
    return reports


# -- one host's run ----------------------------------------------------------------------
@dataclass
class HostRun:
    """One host's share of the run: its folder, manifest, cells, and how it ended."""

    host: RemoteHost
    run_dir: Path
    manifest: Manifest
    cells: list[Cell]
    facts: TargetFacts
    error: str | None = None
    profile: Path | None = None
    findings: dict[str, Any] | None = None
    live: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        states = self.manifest.state
        return {
            "host": self.host.spec.address,
            "target": self.host.target.text,
            "run_id": self.manifest.run_id,
            "results": str(self.run_dir),
            "profile": str(self.profile) if self.profile else None,
            "cells_done": sum(1 for e in states.values() if e.get("status") == DONE),
            "cells_failed": [c for c, e in states.items() if e.get("status") == FAILED],
            "cells_pending": [c for c in self.manifest.pending_ids() if c not in states],
            "facts_source": self.manifest.facts.get("facts_source"),
            "model": (self.manifest.facts.get("identity") or {}).get("model"),
            "error": self.error,
            "findings": self.findings,
        }

    def summary(self) -> RunSummary:
        """This host's run as a one-target run's summary (what `qualify --host` judges)."""
        if self.profile is None:
            raise MeasurementFailed(f"{self.host.spec.address}: nothing was run there")
        states = self.manifest.state
        return RunSummary(
            self.manifest.run_id,
            self.run_dir,
            self.profile,
            sum(1 for e in states.values() if e.get("status") == DONE),
            [c for c, e in states.items() if e.get("status") == FAILED],
            self.manifest.facts,
            self.findings,
            error=self.error,
        )


@dataclass
class RemoteSummary:
    """What a many-host run produced."""

    run_id: str
    run_dir: Path
    hosts: list[HostRun]

    def to_dict(self) -> dict[str, Any]:
        hosts = [h.to_dict() for h in self.hosts]
        return {
            "run_id": self.run_id,
            "results": str(self.run_dir),
            "hosts": hosts,
            "cells_done": sum(h["cells_done"] for h in hosts),
            "cells_failed": [f"{h['host']}/{c}" for h in hosts for c in h["cells_failed"]],
        }


def _launcher(job: HostRun, server: FioServer, engine: str | None, cancel: threading.Event):
    target = job.host.target

    def launch(
        cell: Cell, out_json: Path, logs: Path | None, hook: Callable[[FioStatus], bool]
    ) -> FioOutcome:
        if cancel.is_set():
            raise Cancelled(f"{server.address}: interrupted")
        outcome = run_remote_fio(
            server,
            job_file(cell, target, logs, engine),
            out_json,
            logs,
            hook,
            on_spawn=job.live.append,
        )
        job.live.clear()
        if cancel.is_set():
            raise Cancelled(f"{server.address}: interrupted")
        if outcome.returncode != 0:
            problem = server.lost()
            if problem:
                raise TargetLost(f"cell {cell.id}: lost fio --server {server.address} ({problem})")
        return outcome

    return launch


def _run_host(
    job: HostRun,
    server: FioServer,
    plan: Plan,
    options: RunOptions,
    cancel: threading.Event,
    on_start: HostStartHook | None,
    on_cell: HostCellHook | None,
) -> None:
    session = Session(job.host.target, job.host.target, job.manifest.facts, {})
    cell_hook = (lambda cell, state: on_cell(job.host, cell, state)) if on_cell else None
    runner = Runner(
        session,
        job.manifest,
        job.run_dir,
        options.profiles_dir,
        plan,
        job.facts,
        options.on_error,
        options.engine,
        None,
        cell_hook,
        launch=_launcher(job, server, options.engine, cancel),
        host=job.host.spec.address,
    )
    job.profile = runner.profile
    if on_start:
        on_start(job.host, job.manifest, job.cells)
    try:
        runner.run(job.cells)
        job.manifest.finished = now_iso()
        write_manifest(job.run_dir, job.manifest)
    except (Cancelled, KeyboardInterrupt):  # a stop signal: the main thread ends the run
        return
    except ProbeError as err:
        job.error = str(err)
    except Exception as err:  # noqa: BLE001 - one host's crash must not lose the others
        job.error = f"{type(err).__name__}: {err}"
    if runner.profile.exists():
        try:
            job.findings = analyze_and_store(runner.profile)
        except ProbeError as err:
            job.error = job.error or f"analysis failed: {err}"


def _run_all(
    jobs: list[HostRun],
    servers: Servers,
    plan: Plan,
    options: RunOptions,
    on_start: HostStartHook | None,
    on_cell: HostCellHook | None,
) -> None:
    """A thread per host; Ctrl-C or SIGTERM stops every host's fio and keeps finished cells."""
    cancel = threading.Event()
    threads = [
        threading.Thread(
            target=_run_host,
            args=(
                job,
                servers.by_address[job.host.spec.address],
                plan,
                options,
                cancel,
                on_start,
                on_cell,
            ),
            name=f"host-{job.host.spec.label}",
            daemon=True,
        )
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for_threads(threads)
    except KeyboardInterrupt:
        cancel.set()
        for job in jobs:
            for proc in list(job.live):
                stop_fio(proc)
        for thread in threads:
            thread.join(30)
        raise


# -- start or resume ---------------------------------------------------------------------
def _lock_target(host: RemoteHost) -> Target:
    return HostTarget.on(host.spec.label, host.target)


def _new_jobs(
    hosts: list[RemoteHost],
    plan: Plan,
    options: RunOptions,
    reports: dict[str, dict[str, Any]],
    versions: dict[str, str],
    run_dir: Path,
    run_id: str,
) -> list[HostRun]:
    jobs = []
    for host in hosts:
        report = reports[host.spec.address]
        facts = plan_facts(report)
        cells = expand_plan(plan, facts)
        manifest = Manifest(
            run_id=f"{run_id}-{host.spec.label}",
            target=host.target.text,
            plan={
                "name": plan.name,
                "source": options.plan,
                "overrides": list(options.overrides),
                "plan": plan.to_dict(),
            },
            cells=[c.to_dict() for c in cells],
            facts=report,
            versions={**tool_versions(), "fio_server": versions.get(host.spec.address)},
            host=host.spec.address,
        )
        jobs.append(HostRun(host, run_dir / host.spec.label, manifest, cells, facts))
    return jobs


def _hosts_doc(run_id: str, options: RunOptions, plan: Plan, jobs: list[HostRun]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "created": now_iso(),
        "target": options.target or None,
        "plan": {
            "name": plan.name,
            "source": options.plan,
            "overrides": list(options.overrides),
            "plan": plan.to_dict(),
        },
        "hosts": [
            {
                "host": j.host.spec.host,
                "port": j.host.spec.port,
                "transport": j.host.spec.transport,
                "user": j.host.spec.user,
                "target": j.host.target.text,
                "folder": j.host.spec.label,
                "run_id": j.manifest.run_id,
            }
            for j in jobs
        ],
    }


def _write_hosts_doc(run_dir: Path, doc: dict[str, Any]) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / HOSTS_FILE).write_text(json.dumps(doc, indent=2))
    except OSError as err:
        raise ProbeError(f"cannot write {run_dir / HOSTS_FILE}: {err.strerror}") from None


def _read_hosts_doc(run_dir: Path) -> dict[str, Any]:
    path = run_dir / HOSTS_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"no many-host run at {run_dir} ({HOSTS_FILE} missing)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"corrupt {path}: {err}") from None


def _resumed_jobs(run_dir: Path, doc: dict[str, Any]) -> list[HostRun]:
    jobs = []
    try:
        for entry in doc["hosts"]:
            transport = entry.get("transport", "tcp")  # runs before SSH hosts have none
            if transport not in ("tcp", "ssh"):
                raise ValueError(f"transport {transport!r}")
            spec = HostSpec(
                str(entry["host"]),
                int(entry["port"]),
                str(entry["target"]),
                transport,
                entry.get("user"),
            )
            host = RemoteHost(spec, remote_target(spec.target or ""))
            folder = run_dir / str(entry["folder"])
            manifest = read_manifest(folder)
            jobs.append(
                HostRun(
                    host,
                    folder,
                    manifest,
                    [Cell.from_dict(c) for c in manifest.cells],
                    plan_facts(manifest.facts),
                )
            )
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"corrupt {run_dir / HOSTS_FILE}: {type(err).__name__} {err}") from None
    return jobs


def _verify_resumed(jobs: list[HostRun], workdir: Path, servers: Servers) -> None:
    """On resume: each target must still have the size the run was planned for (fio's probe)."""
    errors: dict[str, str] = {}

    def verify(job: HostRun) -> None:
        if "capacity" in (job.manifest.facts.get("assumed") or []):
            return  # the size was stated, not measured: nothing to compare
        address = job.host.spec.address
        try:
            now = probe_facts(
                servers.by_address[address], job.host.target, workdir / job.host.spec.label
            ).size_bytes
        except ProbeError as err:
            errors[address] = str(err)
            return
        if now != job.facts.capacity_bytes:
            errors[address] = (
                f"{address}: {job.host.target.text} is now {now} bytes, the run was"
                f" planned for {job.facts.capacity_bytes}; not the same device?"
            )

    _in_threads(verify, jobs)
    if errors:
        raise InputError("cannot resume, nothing was run:\n  " + "\n  ".join(errors.values()))


@dataclass
class _Prepared:
    run_id: str
    run_dir: Path
    plan: Plan
    every: list[HostRun]  # all the run's hosts
    jobs: list[HostRun]  # the hosts with cells left to run


def _prepare_new(options: RunOptions, workdir: Path, servers: Servers) -> _Prepared:
    hosts = resolve_hosts(list(options.hosts), options.target or None)
    plan = load_plan(options.plan, list(options.overrides))
    versions = preflight(hosts, workdir, servers)
    reports = host_reports(hosts, options, versions, workdir, servers)
    run_id = layout.new_run_id(f"{len(hosts)}hosts")
    run_dir = options.results_dir / run_id
    jobs = _new_jobs(hosts, plan, options, reports, versions, run_dir, run_id)
    return _Prepared(run_id, run_dir, plan, jobs, jobs)


def _prepare_resume(options: RunOptions, workdir: Path, servers: Servers) -> _Prepared:
    run_dir = options.results_dir / (options.resume or "")
    doc = _read_hosts_doc(run_dir)
    try:
        plan = Plan.from_dict(doc["plan"]["plan"])
    except (KeyError, TypeError) as err:
        raise InputError(f"corrupt {run_dir / HOSTS_FILE}: no plan ({err})") from None
    every = _resumed_jobs(run_dir, doc)
    jobs = [j for j in every if j.manifest.pending_ids()]
    preflight([j.host for j in jobs], workdir, servers)
    _verify_resumed(jobs, workdir, servers)
    return _Prepared(str(doc.get("run_id") or options.resume), run_dir, plan, every, jobs)


def execute_remote_run(
    options: RunOptions,
    on_start: HostStartHook | None = None,
    on_cell: HostCellHook | None = None,
    warn: Callable[[str], None] | None = None,
) -> RemoteSummary:
    """Run (or resume) a plan on many hosts; raises MeasurementFailed if any host or cell failed.

    `warn` gets the one warning of a run with plain TCP servers. Servers started
    over SSH are stopped, and their connections closed, however this ends.
    """
    if not have_tool("fio"):
        raise ToolMissing("fio is not installed (apt-get install fio)")
    servers = Servers()
    with (
        stop_signals_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="nvmeprobe-remote-") as tmp,
        ExitStack() as stack,
    ):
        stack.callback(servers.close)
        prepare = _prepare_resume if options.resume else _prepare_new
        run = prepare(options, Path(tmp), servers)
        plain = [j.host.spec.address for j in run.jobs if j.host.spec.transport == "tcp"]
        if plain and warn:
            warn(TCP_WARNING.format(hosts=", ".join(plain)))
        writers = [j.host for j in run.jobs if any(c.writes for c in j.cells)]
        if writers:
            check_remote_writes(writers, list(options.destroy_data), [j.host for j in run.every])
        for job in run.jobs:
            stack.enter_context(device_lock(_lock_target(job.host)))
        if not options.resume:
            _write_hosts_doc(run.run_dir, _hosts_doc(run.run_id, options, run.plan, run.jobs))
        for job in run.jobs:  # every host's manifest exists before any host starts
            write_manifest(job.run_dir, job.manifest)
        _run_all(run.jobs, servers, run.plan, options, on_start, on_cell)
    failed = [j for j in run.every if j.error or j.manifest.pending_ids()]
    if failed:
        names = ", ".join(f"{j.host.spec.address} ({j.error or 'cells left'})" for j in failed)
        raise MeasurementFailed(
            f"{len(failed)} of {len(run.every)} host(s) did not finish: {names};"
            f" finished cells are kept; resume with nvmeprobe run --resume {run.run_id}"
        )
    return RemoteSummary(run.run_id, run.run_dir, run.every)
