"""Start or resume a run: the whole `run` command minus argument parsing.

Order matters for safety: the target is resolved and opened, its facts read,
the write check made against `--destroy-data`, the per-device lock taken, and
only then does anything write. A resumed run repeats every check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sh

from nvmeprobe.analyze.store import analyze_and_store
from nvmeprobe.discover.session import Session, open_session
from nvmeprobe.errors import MeasurementFailed, ToolMissing
from nvmeprobe.plan import Cell, Plan, expand_plan, load_plan, plan_facts
from nvmeprobe.run import layout
from nvmeprobe.run.hosts import FactsCapture, HostSpec
from nvmeprobe.run.manifest import DONE, FAILED, Manifest, now_iso, read_manifest, write_manifest
from nvmeprobe.run.runner import CellHook, Runner, StatusHook, tool_versions
from nvmeprobe.run.safety import WriteCheck, check_write_allowed, device_lock, refuse_if_fio_running
from nvmeprobe.run.stall import DEFAULT_STALL_TIMEOUT_S
from nvmeprobe.run.stop import stop_signals_as_interrupt
from nvmeprobe.targets import Target
from nvmeprobe.tools import have_tool


@dataclass
class RunOptions:
    """Everything `run` was asked to do, parsed at the CLI edge into typed values."""

    target: str
    plan: str = "smoke"
    overrides: tuple[str, ...] = ()
    destroy_data: tuple[str, ...] = ()
    results_dir: Path = Path("results")
    profiles_dir: Path = Path("profiles")
    on_error: str = "stop"
    engine: str | None = None
    resume: str | None = None
    hosts: tuple[HostSpec, ...] = ()  # `--host` and `--hosts FILE` (run/remote.py)
    facts_dirs: tuple[FactsCapture, ...] = ()  # `--facts HOST=DIR`
    assume: dict[str, int] = field(default_factory=dict)  # `--assume capacity=SIZE|lba=SIZE`
    stall_timeout: float | None = (
        DEFAULT_STALL_TIMEOUT_S  # None: never stop a fio that completes no IO
    )
    elsewhere: tuple[str, ...] = ()  # the other targets of the same command (run/parallel.py)

    @property
    def remote(self) -> bool:
        """True when the plan runs on remote fio servers."""
        return bool(self.hosts)


@dataclass
class RunSummary:
    """What a run produced, for printing and for `--json`."""

    run_id: str
    run_dir: Path
    profile: Path
    cells_done: int
    cells_failed: list[str]
    facts: dict[str, Any]
    findings: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)  # failed cell -> why
    error: str | None = None  # why the run did not succeed

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "results": str(self.run_dir),
            "profile": str(self.profile),
            "cells_done": self.cells_done,
            "cells_failed": self.cells_failed,
            "target": self.facts.get("target"),
            "model": (self.facts.get("identity") or {}).get("model"),
            "findings": self.findings,
            "errors": self.errors,
            "error": self.error,
        }


class RunFailed(MeasurementFailed):
    """Cells failed (or a failure stopped the run); `summary` says what was done and what failed."""

    def __init__(self, message: str, summary: RunSummary):
        super().__init__(message)
        self.summary = summary


def write_check(target: Target, facts: dict[str, Any]) -> WriteCheck:
    """The edge: is the target in use right now?"""
    serial = (facts.get("identity") or {}).get("serial")
    verdict = target.in_use()
    return WriteCheck(verdict.in_use, verdict.reasons, serial, verdict.mounts)


def _new_manifest(options: RunOptions, plan: Plan, cells: list[Cell], session: Session) -> Manifest:
    run_id = layout.new_run_id(session.target.name)
    return Manifest(
        run_id=run_id,
        target=options.target,
        plan={
            "name": plan.name,
            "source": options.plan,
            "overrides": list(options.overrides),
            "plan": plan.to_dict(),
        },
        cells=[c.to_dict() for c in cells],
        facts=session.facts,
        versions=tool_versions(),
        host=layout.host_name(),
    )


def execute_run(
    options: RunOptions,
    on_status: StatusHook | None = None,
    on_cell: CellHook | None = None,
    on_start: Callable[[Manifest, list[Cell]], None] | None = None,
    on_spawn: Callable[[sh.RunningCommand], None] | None = None,
) -> RunSummary:
    """Run (or resume) a plan; raises RunFailed, with the summary, if any cell failed."""
    if not have_tool("fio"):
        raise ToolMissing("fio is not installed (apt-get install fio)")
    manifest = None
    if options.resume:
        run_dir = options.results_dir / options.resume
        manifest = read_manifest(run_dir)
        options.target = manifest.target
        overrides = tuple(manifest.plan.get("overrides", ()))
        plan = Plan.from_dict(manifest.plan["plan"])
    else:
        overrides = options.overrides
        plan = load_plan(options.plan, list(overrides))
    with open_session(options.target) as session:
        facts = plan_facts(session.facts)
        if manifest is None:
            cells = expand_plan(plan, facts)
            manifest = _new_manifest(options, plan, cells, session)
            run_dir = options.results_dir / manifest.run_id
        else:
            cells = [Cell.from_dict(c) for c in manifest.cells]
        if any(c.writes for c in cells):
            check_write_allowed(
                session.target,
                write_check(session.target, session.facts),
                list(options.destroy_data),
                options.elsewhere,
            )
        # lock what fio writes: the device, or a simulator's own private socket
        with device_lock(session.fio_target), stop_signals_as_interrupt():
            refuse_if_fio_running(session.fio_target)
            if not options.resume:  # two targets of one command may share a name
                manifest.run_id, run_dir = layout.claim_run_dir(
                    options.results_dir, manifest.run_id
                )
            write_manifest(run_dir, manifest)
            if on_start:
                on_start(manifest, cells)
            runner = Runner(
                session,
                manifest,
                run_dir,
                options.profiles_dir,
                plan,
                facts,
                options.on_error,
                options.engine,
                on_status,
                on_cell,
                stall_timeout=options.stall_timeout,
                on_spawn=on_spawn,
            )
            try:
                runner.run(cells)
            except MeasurementFailed as err:  # --on-error stop, or the target was lost
                raise RunFailed(
                    str(err), _summary(manifest, run_dir, runner, session, None, str(err))
                ) from None
            manifest.finished = now_iso()
            write_manifest(run_dir, manifest)
    findings = analyze_and_store(runner.profile) if runner.profile.exists() else None
    summary = _summary(manifest, run_dir, runner, session, findings, None)
    if summary.cells_failed:
        summary.error = (
            f"{len(summary.cells_failed)} cell(s) failed:"
            f" {', '.join(summary.cells_failed)}; see {run_dir}/manifest.json"
        )
        raise RunFailed(summary.error, summary)
    return summary


def _summary(
    manifest: Manifest,
    run_dir: Path,
    runner: Runner,
    session: Session,
    findings: dict[str, Any] | None,
    error: str | None,
) -> RunSummary:
    """What the run did so far: cells done, and every failed cell with why."""
    errors = {
        cid: str(entry.get("error") or "failed")
        for cid, entry in manifest.state.items()
        if entry.get("status") == FAILED
    }
    done = sum(1 for entry in manifest.state.values() if entry.get("status") == DONE)
    return RunSummary(
        manifest.run_id,
        run_dir,
        runner.profile,
        done,
        list(errors),
        session.facts,
        findings,
        errors,
        error,
    )
