"""Many local targets at once: `run T1 T2 ...`, each target a complete run of its own.

Each target gets everything a single-target run has (run/execute.py): its
own session, safety check, device lock, run folder `results/<run-id>/`,
profile and manifest, and `run --resume RUN_ID` for each. At most `parallel`
targets run at a time, each in a thread of its own: a thread spends its time
waiting for fio (a process), so threads cost nothing the drives would feel,
and they keep the two things a run relies on intact: the stop signals are
taken by the main thread (Python delivers them there only), which stops every
target's fio, and the stall watchdog already runs per fio process
(run/fio_process.py), so a hung drive fails alone. Processes would need the
signals forwarded and the live status sent back to one display.

A target that fails (a refusal, a failed cell, a hung drive) does not stop
the others; its outcome says why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from queue import Empty, SimpleQueue
from typing import Any

import sh

from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError
from nvmeprobe.plan import Cell
from nvmeprobe.run.execute import RunFailed, RunOptions, RunSummary, execute_run
from nvmeprobe.run.fio_process import stop_fio
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.manifest import Manifest
from nvmeprobe.run.stop import stop_signals_as_interrupt, stop_signals_deferred, wait_for_threads
from nvmeprobe.targets import parse_target


class Interrupted(KeyboardInterrupt):
    """A stop signal ended the command; `drives` say how far each target got."""

    def __init__(self, drives: list[DriveRun]):
        super().__init__("interrupted")
        self.drives = drives


@dataclass
class DriveHooks:
    """What a display learns of the targets, each call naming the target (as given)."""

    on_start: Callable[[str, Manifest, list[Cell]], None] | None = None
    on_status: Callable[[str, Cell, FioStatus], None] | None = None
    on_cell: Callable[[str, Cell, str], None] | None = None
    on_end: Callable[[DriveRun], None] | None = None


@dataclass
class DriveRun:
    """One target's share of the command, and how it ended."""

    options: RunOptions
    summary: RunSummary | None = None
    failure: ProbeError | None = None  # why this target did not succeed
    run_id: str | None = None  # known once its manifest exists
    live: list[sh.RunningCommand] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.label = self.options.target or self.options.resume or ""  # names it to the hooks

    @property
    def error(self) -> str | None:
        """Why this target did not succeed, else None."""
        return str(self.failure) if self.failure is not None else None

    @property
    def exit_code(self) -> int:
        """As a run of this target alone would exit."""
        return self.failure.exit_code if self.failure is not None else 0

    @property
    def target(self) -> str:
        """The target as given (or, on resume, the run id until its manifest is read)."""
        return self.options.target or self.label

    def to_dict(self) -> dict[str, Any]:
        """The target's `run --json` summary; every key is there even when nothing ran."""
        if self.summary is not None:
            return {**self.summary.to_dict(), "target": self.target, "error": self.error}
        return {
            "run_id": self.run_id,
            "results": None,
            "profile": None,
            "cells_done": 0,
            "cells_failed": [],
            "target": self.target,
            "model": None,
            "findings": None,
            "errors": {},
            "error": self.error,
        }


def other_names(targets: list[str]) -> list[tuple[str, ...]]:
    """For each target, the names of the others (as given and resolved), for --destroy-data."""
    names = []
    for text in targets:
        target = parse_target(text)
        names.append(tuple(dict.fromkeys(n for n in (text, target.path, target.uri) if n)))
    return [
        tuple(n for j, own in enumerate(names) if j != i for n in own) for i in range(len(names))
    ]


def drive_options(base: RunOptions, targets: list[str], resumes: list[str]) -> list[RunOptions]:
    """One RunOptions per target (or per run to resume); InputError on a target given twice."""
    seen: set[str] = set()
    for text in targets:
        key = parse_target(text).path or text
        if key in seen:
            raise InputError(f"{text} is given twice: each target runs once per command")
        seen.add(key)
    if resumes:
        return [replace(base, target="", resume=run_id) for run_id in resumes]
    return [
        replace(base, target=text, elsewhere=others)
        for text, others in zip(targets, other_names(targets))
    ]


def _run_drive(drive: DriveRun, hooks: DriveHooks) -> None:
    label = drive.label

    def started(manifest: Manifest, cells: list[Cell]) -> None:
        drive.run_id = manifest.run_id
        if hooks.on_start:
            hooks.on_start(label, manifest, cells)

    def spawned(proc: sh.RunningCommand) -> None:
        drive.live[:] = [proc]

    on_status, on_cell = hooks.on_status, hooks.on_cell
    status = (lambda cell, st: on_status(label, cell, st)) if on_status else None
    cell_done = (lambda cell, state: on_cell(label, cell, state)) if on_cell else None
    try:
        drive.summary = execute_run(drive.options, status, cell_done, started, spawned)
    except RunFailed as err:
        drive.summary, drive.failure = err.summary, err
    except ProbeError as err:
        drive.failure = err
    except KeyboardInterrupt:
        drive.failure = MeasurementFailed("interrupted")
    except Exception as err:  # noqa: BLE001 - one target's crash must not lose the others
        drive.failure = MeasurementFailed(f"{type(err).__name__}: {err}")
    finally:
        drive.live.clear()
    if hooks.on_end:
        hooks.on_end(drive)


def _worker(queue: SimpleQueue[DriveRun], hooks: DriveHooks, cancel: threading.Event) -> None:
    while not cancel.is_set():
        try:
            drive = queue.get_nowait()
        except Empty:
            return
        _run_drive(drive, hooks)


def _stop_all(drives: list[DriveRun], threads: list[threading.Thread]) -> None:
    """Stop every target's fio until every thread has ended (a fio may start meanwhile)."""
    while any(thread.is_alive() for thread in threads):
        for drive in drives:
            for proc in list(drive.live):
                stop_fio(proc)
        for thread in threads:
            thread.join(0.2)


def execute_many(
    options: list[RunOptions], parallel: int | None = None, hooks: DriveHooks | None = None
) -> list[DriveRun]:
    """Run every target, `parallel` at a time (default all); one outcome per target, in order.

    Ctrl-C, SIGTERM or SIGHUP stop every target's fio (finished cells are kept)
    and raise Interrupted once every target has stopped.
    """
    drives = [DriveRun(o) for o in options]
    queue: SimpleQueue[DriveRun] = SimpleQueue()
    for drive in drives:
        queue.put(drive)
    cancel = threading.Event()
    count = min(parallel or len(drives), len(drives))
    threads = [
        threading.Thread(
            target=_worker,
            args=(queue, hooks or DriveHooks(), cancel),
            name=f"drive-{n}",
            daemon=True,
        )
        for n in range(count)
    ]
    with stop_signals_as_interrupt():
        for thread in threads:
            thread.start()
        try:
            wait_for_threads(threads)
        except KeyboardInterrupt:
            cancel.set()
            try:
                with stop_signals_deferred():  # another signal must not cut the stopping short
                    _stop_all(drives, threads)
            except KeyboardInterrupt:
                pass
            raise Interrupted(drives) from None
    return drives
