"""`nvmeprobe run`: run a plan on a target with live progress; resume after a crash."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nvmeprobe.cli.live import live_text
from nvmeprobe.cli.output import err_console, print_json, print_line
from nvmeprobe.cli.plan import plan_option, profiles_option, set_option
from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError
from nvmeprobe.plan import Cell
from nvmeprobe.run.execute import RunFailed, RunOptions, RunSummary, execute_run
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.hosts import (
    HostSpec,
    RemoteHost,
    load_hosts_file,
    parse_facts_value,
    parse_host_spec,
)
from nvmeprobe.run.manifest import Manifest
from nvmeprobe.run.remote_facts import parse_assumptions
from nvmeprobe.run.stall import stall_timeout

if TYPE_CHECKING:
    from nvmeprobe.run.remote import RemoteSummary

host_option = click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="ssh://[USER@]HOST[:PORT][=TARGET]",
    help="Run on this host: fio --server started there over SSH (or HOST[:PORT]: a plain TCP"
    " server, default port 8765); =TARGET overrides TARGET there.",
)
hosts_file_option = click.option(
    "--hosts",
    "hosts_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file of --host values, one per line (# comments).",
)
destroy_option = click.option(
    "--destroy-data",
    "destroy_data",
    multiple=True,
    metavar="DEVICE|SERIAL",
    help="Allow writing to this in-use target: its path, the name given, or its NVMe serial.",
)
results_option = click.option(
    "--results",
    "results_dir",
    type=click.Path(path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Where raw fio results go (results/<run-id>/).",
)
parallel_option = click.option(
    "--parallel",
    "parallel",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With several targets: run at most N at a time (default: all at once).",
)


class RunProgress:
    """A rich progress bar on stderr: the cell and its true state (live IOPS while fio
    runs, then done or failed), ETA by estimated seconds."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[live]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or err_console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.count = 0
        self.total = 0
        self.running = False  # a cell started and has no outcome yet

    def start(self, manifest: Manifest, cells: list[Cell]) -> None:
        pending = [c for c in cells if manifest.status(c.id) != "done"]
        self.total = len(cells)
        self.count = self.total - len(pending)
        print_line(
            f"run {manifest.run_id}: {len(pending)} of {len(cells)} cells to run",
            to=self.progress.console,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "starting", total=sum(c.est_seconds for c in pending) or 1, live=""
        )
        self.running = True

    def _update(self, **fields: Any) -> None:
        if self.task is not None:  # nothing to show before start()
            self.progress.update(self.task, **fields)

    def status(self, cell: Cell, status: FioStatus) -> None:
        self.running = True
        self._update(
            description=f"[{self.count + 1}/{self.total}] {cell.id}", live=live_text(status)
        )

    def cell_done(self, cell: Cell, state: str) -> None:
        """The cell's outcome replaces its last fio sample (and a 'starting' never seen by fio)."""
        self.count += 1
        self.running = False
        self._update(
            description=f"[{self.count}/{self.total}] {cell.id}",
            live=state,
            advance=cell.est_seconds,
        )
        if state != "done":
            self.progress.console.print(f"[red]cell {cell.id} {state}[/]")

    def stop(self) -> None:
        """End the display; a cell still shown as running was stopped with the run."""
        if self.task is not None:
            if self.running:
                self._update(live="stopped")
            self.progress.stop()


class HostsProgress:
    """One progress bar per host on stderr (fio's client gives no live rates)."""

    def __init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[done]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self.run_id = "RUN_ID"
        self.tasks: dict[str, Any] = {}
        self.counts: dict[str, list[int]] = {}  # address -> [finished, to run]
        self.started = False

    def start(self, host: RemoteHost, manifest: Manifest, cells: list[Cell]) -> None:
        pending = [c for c in cells if manifest.status(c.id) != "done"]
        self.run_id = manifest.run_id.removesuffix(f"-{host.spec.label}")  # see run/remote.py
        print_line(
            f"{host.spec.address}: {len(pending)} of {len(cells)} cells to run"
            f" on {host.target.text}",
            to=err_console,
        )
        if not self.started:
            self.progress.start()
            self.started = True
        self.tasks[host.spec.address] = self.progress.add_task(
            host.spec.address,
            total=sum(c.est_seconds for c in pending) or 1,
            done=f"0/{len(pending)}",
        )
        self.counts[host.spec.address] = [0, len(pending)]

    def cell_done(self, host: RemoteHost, cell: Cell, state: str) -> None:
        task, count = self.tasks[host.spec.address], self.counts[host.spec.address]
        count[0] += 1
        self.progress.advance(task, cell.est_seconds)
        self.progress.update(
            task, description=f"{host.spec.address} {cell.id}", done=f"{count[0]}/{count[1]}"
        )
        if state != "done":
            self.progress.console.print(f"[red]{host.spec.address}: cell {cell.id} {state}[/]")

    def stop(self) -> None:
        if self.started:
            self.progress.stop()
            self.started = False


def interrupted(run_id: str | None, results_dir: Path) -> MeasurementFailed:
    """The one-line outcome of a run stopped by Ctrl-C or SIGTERM."""
    return MeasurementFailed(
        f"interrupted: finished cells are kept; resume with nvmeprobe run"
        f" --resume {run_id or 'RUN_ID'} --results {results_dir}"
    )


def run_with_progress(options: RunOptions) -> RunSummary:
    """Run a plan on one local target with a live progress display."""
    display = RunProgress()
    started: list[str] = []

    def on_start(manifest: Manifest, cells: list[Cell]) -> None:
        started.append(manifest.run_id)
        display.start(manifest, cells)

    try:
        return execute_run(options, display.status, display.cell_done, on_start)
    except KeyboardInterrupt:
        raise interrupted(started[0] if started else None, options.results_dir) from None
    finally:
        display.stop()


def host_options(hosts: tuple[str, ...], hosts_file: Path | None) -> tuple[HostSpec, ...]:
    """`--host` values and `--hosts FILE` lines, in that order, parsed."""
    specs = [parse_host_spec(value) for value in hosts]
    if hosts_file is not None:
        from_file = load_hosts_file(hosts_file)
        if not from_file:
            raise InputError(f"hosts file {hosts_file} names no host")
        specs += from_file
    return tuple(specs)


def run_remote_with_progress(options: RunOptions) -> RemoteSummary:
    """`run --host ...`: the plan on each host's fio --server, with a progress bar per host."""
    from nvmeprobe.run.remote import execute_remote_run  # only many-host runs need it

    display = HostsProgress()
    try:
        return execute_remote_run(
            options,
            display.start,
            display.cell_done,
            warn=lambda text: err_console.print(text, style="yellow", highlight=False),
        )
    except KeyboardInterrupt:
        raise interrupted(display.run_id, options.results_dir) from None
    finally:
        display.stop()


def run_remote(options: RunOptions, as_json: bool) -> None:
    """Run on many hosts and print the outcome."""
    summary = run_remote_with_progress(options)
    if as_json:
        print_json(summary.to_dict())
        return
    for host in summary.to_dict()["hosts"]:
        print_line(f"{host['host']}: {host['cells_done']} cells done", to=err_console)
        print_paths({"results": host["results"], "profile": host["profile"]})
    print_line(f"run {summary.run_id}", to=err_console)
    print_paths({"results": summary.run_dir})


@click.command("run")
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@plan_option
@set_option
@destroy_option
@results_option
@profiles_option
@click.option(
    "--on-error",
    type=click.Choice(["stop", "continue"]),
    default="stop",
    show_default=True,
    help="After a failed cell: stop the run, or record it and go on.",
)
@click.option(
    "--resume",
    "resume",
    multiple=True,
    metavar="RUN_ID",
    help="Finish an interrupted run: only cells not yet done are run (repeatable).",
)
@parallel_option
@click.option(
    "--engine",
    type=click.Choice(["io_uring", "libaio"]),
    default=None,
    help="fio engine for block devices and files (default io_uring).",
)
@click.option(
    "--stall-timeout",
    "stall_limit",
    default="2m",
    show_default=True,
    metavar="DURATION",
    help="Stop the run when the target completes no IO for this long (0: never).",
)
@host_option
@hosts_file_option
@click.option(
    "--facts",
    "facts_dirs",
    multiple=True,
    metavar="HOST=DIR",
    help="Facts of HOST's target from an `inspect --capture DIR` made on that host.",
)
@click.option(
    "--assume",
    "assume",
    multiple=True,
    metavar="KEY=SIZE",
    help="capacity=SIZE or lba=SIZE for remote targets without --facts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def command(
    targets: tuple[str, ...],
    plan_name: str,
    overrides: tuple[str, ...],
    destroy_data: tuple[str, ...],
    results_dir: Path,
    profiles_dir: Path,
    on_error: str,
    resume: tuple[str, ...],
    parallel: int | None,
    engine: str | None,
    stall_limit: str,
    hosts: tuple[str, ...],
    hosts_file: Path | None,
    facts_dirs: tuple[str, ...],
    assume: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run a plan on each TARGET: one fio process per cell, a profile after every cell.

    Several targets run at once (--parallel), each a run of its own."""
    if targets and resume:
        raise InputError("--resume takes the targets from the runs; drop the TARGETs")
    options = RunOptions(
        target=targets[0] if len(targets) == 1 else "",
        plan=plan_name,
        overrides=overrides,
        destroy_data=destroy_data,
        results_dir=results_dir,
        profiles_dir=profiles_dir,
        on_error=on_error,
        engine=engine,
        resume=resume[0] if len(resume) == 1 else None,
        hosts=host_options(hosts, hosts_file),
        facts_dirs=tuple(parse_facts_value(v) for v in facts_dirs),
        assume=parse_assumptions(assume),
        stall_timeout=stall_timeout(stall_limit),
    )
    if len(targets) > 1 or len(resume) > 1:
        if options.remote or facts_dirs or assume:
            raise InputError("--host runs one TARGET on many hosts; give one TARGET")
        run_several(options, list(targets), list(resume), parallel, as_json)
        return
    if resume and (options.remote or facts_dirs or assume):
        raise InputError(
            "--resume takes hosts and facts from the run; drop --host/--hosts/--facts/--assume"
        )
    if (facts_dirs or assume) and not options.remote and not resume:
        raise InputError("--facts and --assume are for remote hosts: add --host or --hosts")
    if options.remote or (resume and (results_dir / resume[0] / "hosts.json").is_file()):
        run_remote(options, as_json)
        return
    if not targets and not resume:
        raise InputError("run needs a TARGET (or --resume RUN_ID)")
    try:
        summary = run_with_progress(options)
    except RunFailed as err:
        report(err.summary, as_json)  # what was done, and which cells failed and why
        raise
    except ProbeError as err:  # refused, or stopped before its first cell was done
        if as_json:
            from nvmeprobe.run.parallel import DriveRun

            print_json(DriveRun(options, failure=err).to_dict())
        raise
    report(summary, as_json)


def run_several(
    options: RunOptions, targets: list[str], resume: list[str], parallel: int | None, as_json: bool
) -> None:
    """`run T1 T2 ...` (or `--resume A --resume B`): every target at once, one summary each."""
    from nvmeprobe.cli.run_many import (
        DrivesInterrupted,
        failure,
        print_outcomes,
        run_drives,
        summaries,
    )
    from nvmeprobe.run.parallel import drive_options

    try:
        drives = run_drives(drive_options(options, targets, resume), parallel)
    except DrivesInterrupted as stopped:
        if as_json:  # how far each target got, as when it ends
            print_json(summaries(stopped.drives))
        raise
    if as_json:
        print_json(summaries(drives))
    else:
        print_outcomes(drives, options.results_dir)
    error = failure(drives)
    if error is not None:
        raise error


def report(summary: RunSummary, as_json: bool) -> None:
    """Print a run's outcome."""
    if as_json:
        print_json(summary.to_dict())
    else:
        print_line(f"run {summary.run_id}: {summary.cells_done} cells done", to=err_console)
        print_paths({"results": summary.run_dir, "profile": summary.profile})


def print_paths(paths: dict[str, Any]) -> None:
    """`  label: PATH` lines on stderr, each path whole (never wrapped) for copying."""
    for label, path in paths.items():
        print_line(f"  {label}: {path}", to=err_console)
