"""`run T1 T2 ...` and `qualify T1 T2 ...`: several local targets at once, one display."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nvmeprobe.cli.live import live_text
from nvmeprobe.cli.output import err_console, print_line
from nvmeprobe.errors import EXIT_FAILED, MeasurementFailed, ProbeError
from nvmeprobe.plan import Cell
from nvmeprobe.run.execute import RunOptions
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.manifest import Manifest
from nvmeprobe.run.parallel import DriveHooks, DriveRun, Interrupted, execute_many


def drive_label(target: str) -> str:
    """A target's short name on its progress line: `/dev/loop3` -> `loop3`."""
    return target.rsplit("/", 1)[-1] or target


class DrivesProgress:
    """One progress line per target on stderr: cells done, the cell running, live IOPS."""

    def __init__(self, targets: list[str], console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[live]}"),
            TimeElapsedColumn(),
            console=console or err_console,
            transient=False,
        )
        self.tasks = {
            t: self.progress.add_task(f"{drive_label(t)} waiting", total=1, live="", start=False)
            for t in targets
        }
        self.counts: dict[str, list[int]] = {t: [0, 0] for t in targets}  # [finished, all]

    def __enter__(self) -> DrivesProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def hooks(self) -> DriveHooks:
        """The callbacks that feed this display."""
        return DriveHooks(self.start, self.status, self.cell_done, self.end)

    def start(self, target: str, manifest: Manifest, cells: list[Cell]) -> None:
        pending = [c for c in cells if manifest.status(c.id) != "done"]
        self.counts[target] = [len(cells) - len(pending), len(cells)]
        task = self.tasks[target]
        self.progress.reset(task, total=sum(c.est_seconds for c in pending) or 1)
        self.progress.update(task, description=self._describe(target, "starting"))
        self.progress.start_task(task)

    def _describe(self, target: str, what: str) -> str:
        done, total = self.counts[target]
        return f"{drive_label(target)} [{min(done + 1, total)}/{total}] {what}"

    def status(self, target: str, cell: Cell, status: FioStatus) -> None:
        self.progress.update(
            self.tasks[target], description=self._describe(target, cell.id), live=live_text(status)
        )

    def cell_done(self, target: str, cell: Cell, state: str) -> None:
        """The cell's outcome replaces its last fio sample (and a 'starting' never seen by fio)."""
        done, total = self.counts[target]
        self.counts[target][0] += 1
        self.progress.update(
            self.tasks[target],
            advance=cell.est_seconds,
            live=state,
            description=f"{drive_label(target)} [{done + 1}/{total}] {cell.id}",
        )
        if state != "done":
            self.progress.console.print(f"[red]{drive_label(target)}: cell {cell.id} {state}[/]")

    def end(self, drive: DriveRun) -> None:
        task = self.tasks[drive.label]
        outcome = "done" if drive.error is None else "[red]failed[/]"
        self.progress.update(
            task,
            description=f"{drive_label(drive.target)} {outcome}",
            live="",
            total=1,
            completed=1,
        )
        if drive.error is not None:
            self.progress.console.print(f"[red]{drive.target}: {drive.error}[/]")


class DrivesInterrupted(MeasurementFailed):
    """Ctrl-C or SIGTERM ended a several-target command: the message says how to resume;
    `drives` say how far each target got (an unfinished one fails as interrupted)."""

    def __init__(self, message: str, drives: list[DriveRun]):
        super().__init__(message)
        self.drives = drives


def run_drives(options: list[RunOptions], parallel: int | None) -> list[DriveRun]:
    """Run several targets with one display; raises DrivesInterrupted on Ctrl-C or SIGTERM."""
    labels = [o.target or o.resume or "" for o in options]
    with DrivesProgress(labels) as display:
        try:
            return execute_many(options, parallel, display.hooks())
        except Interrupted as stopped:
            drives = stopped.drives
    unfinished = [d for d in drives if d.summary is None or d.error is not None]
    run_ids = [d.run_id or d.options.resume for d in unfinished]
    never = [d.target for d in unfinished if not (d.run_id or d.options.resume)]
    message = (
        "interrupted: finished cells are kept; resume with nvmeprobe run"
        f" {resume_flags([r for r in run_ids if r])}"
        f" --results {options[0].results_dir}"
        + (f"; not started: {' '.join(never)}" if never else "")
    )
    for drive in unfinished:
        drive.failure = drive.failure or MeasurementFailed("interrupted before it finished")
    raise DrivesInterrupted(message, drives)


def resume_flags(run_ids: list[str]) -> str:
    """`--resume A --resume B` for the runs given."""
    return " ".join(f"--resume {run_id}" for run_id in run_ids) or "--resume RUN_ID"


def failure(drives: list[DriveRun]) -> ProbeError | None:
    """The command's error when any target failed: names each, with the exit code they share.

    Exit code: the failed targets' own code when they all have the same one
    (3 when all were refused for safety), else 1.
    """
    failed = [d for d in drives if d.error is not None]
    if not failed:
        return None
    codes = {d.exit_code for d in failed}
    error = ProbeError(
        f"{len(failed)} of {len(drives)} target(s) did not succeed: "
        + "; ".join(f"{d.target} ({d.error})" for d in failed)
    )
    error.exit_code = codes.pop() if len(codes) == 1 else EXIT_FAILED
    return error


def summaries(drives: list[DriveRun]) -> list[dict[str, Any]]:
    """`run --json` for several targets: one summary per target, in the order given."""
    return [d.to_dict() for d in drives]


def print_outcomes(drives: list[DriveRun], results_dir: Path) -> None:
    """The human view: one line per target (paths whole, never wrapped, for copying)."""
    for drive in drives:
        summary = drive.summary
        if summary is None:
            print_line(f"{drive.target}: nothing run", to=err_console)
            continue
        print_line(
            f"{drive.target}: {summary.cells_done} cells done,"
            f" {len(summary.cells_failed)} failed; profile {summary.profile}",
            to=err_console,
        )
    pending = [d.run_id for d in drives if d.error is not None and d.run_id]
    if pending:
        print_line(
            f"finish with: nvmeprobe run {resume_flags(pending)} --results {results_dir}",
            to=err_console,
        )
