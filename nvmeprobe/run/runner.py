"""Run a plan's cells on a target: one fio process per cell, nothing lost.

The loop: for each pending cell, snapshot the drive's counters, run fio,
snapshot again, ingest the JSON and logs, rewrite the Parquet profile, then
mark the cell done in the manifest. A crash, Ctrl-C or SIGTERM at any point
leaves every finished cell in the profile and the manifest, and
`run --resume RUN_ID` runs only what is left.

Two plan features need the runner's eye while it works:
- `stop_on_drop` cells (sustained writes) are watched live: fio's status
  line feeds a `DropWatcher`, and fio is stopped shortly after the bandwidth
  drop is confirmed instead of filling the drive (run/sustained.py: when a
  burst stops, when a following burst runs at all, and how far it writes).
  The drive's temperature is sampled during sustained cells
  (run/thermal_watch.py).
- round-based stages (SNIA PTS) get another round until the tracked metric
  is steady by the PTS rule or `rounds_max` is reached; each closed round
  sets `steady` on the stage's cell rows (in the first steady window or not).
- adaptive stages (the IU search) choose their cells one at a time from what
  was measured: run/adaptive.py decides the next probe, the runner measures it.

A target that stops completing IO for `stall_timeout` seconds (run/stall.py)
ends the run whatever --on-error says: every later cell would hang too.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import sh

from nvmeprobe import __version__
from nvmeprobe.analyze.from_profile import bandwidth_series
from nvmeprobe.analyze.slc import DropWatcher
from nvmeprobe.analyze.steady import SteadyResult, steady_state
from nvmeprobe.discover.session import Counters, Session, drive_identity
from nvmeprobe.errors import MeasurementFailed, ProbeError
from nvmeprobe.ingest.fio_json import cells_from_fio, load_fio_json
from nvmeprobe.ingest.fio_logs import series_from_log, series_kind
from nvmeprobe.plan import Cell, Plan, TargetFacts, expand_round, fio_args
from nvmeprobe.profile import profile_path, read_profile, write_profile
from nvmeprobe.run import layout
from nvmeprobe.run.adaptive import insert_cell, next_step
from nvmeprobe.run.fio_process import FioOutcome, run_fio
from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.run.manifest import DONE, FAILED, Manifest, write_manifest
from nvmeprobe.run.results_files import separate_messages
from nvmeprobe.run.stop import raise_if_stopped
from nvmeprobe.run.sustained import DumpFeed, StopRule, leader_drop, prepare_follower, rate_limit
from nvmeprobe.run.thermal_watch import ThermalWatch
from nvmeprobe.tools import run_tool

StatusHook = Callable[[Cell, FioStatus], None]
CellHook = Callable[[Cell, str], None]
FioLauncher = Callable[[Cell, Path, "Path | None", Callable[[FioStatus], bool]], FioOutcome]
"""Runs one cell's fio: (cell, JSON output path, log prefix or None, status hook) -> outcome."""


class TargetLost(MeasurementFailed):
    """The target (or the host serving it) is gone: no later cell can run, whatever
    --on-error says.
    """


@dataclass
class CellResult:
    """What one finished cell produced."""

    rows: pd.DataFrame
    series: pd.DataFrame | None
    stopped_early: bool = False
    thermal: dict[str, Any] = field(default_factory=dict)  # a sustained cell's, for the manifest


@dataclass
class RunState:
    """Accumulated results of a run (rebuilt from the profile on resume)."""

    cells: list[pd.DataFrame] = field(default_factory=list)
    series: list[pd.DataFrame] = field(default_factory=list)

    def cell_rows(self) -> pd.DataFrame:
        """Every cell row so far (what mid-run decisions need: rounds, adaptive probes)."""
        return pd.concat(self.cells, ignore_index=True) if self.cells else pd.DataFrame()

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Cell rows and time series so far, for the profile."""
        series = pd.concat(self.series, ignore_index=True) if self.series else None
        return self.cell_rows(), series


def tool_versions() -> dict[str, Any]:
    """fio, kernel, Python and nvmeprobe versions for the manifest."""
    try:
        fio = str(run_tool("fio", ["--version"])).strip()
    except ProbeError:
        fio = None
    return {
        "fio": fio,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nvmeprobe": __version__,
    }


def _job_totals(rows: pd.DataFrame, logs: list[Path]) -> dict[str, float] | None:
    """Bytes per direction fio counted for the one job whose logs these are (None for
    several jobs' logs: the JSON does not say which log holds which bytes)."""
    bw_logs = [log for log in logs if series_kind(log) == "bw"]
    if len(bw_logs) != 1 or not rows["direction"].is_unique:
        return None
    return {str(row.direction): float(row.io_bytes) for row in rows.itertuples()}


def _delta(before: Counters | None, after: Counters | None, name: str) -> int | None:
    """How far the counter `name` moved over a cell; None when either snapshot lacks it."""
    first, last = getattr(before, name, None), getattr(after, name, None)
    return None if first is None or last is None else last - first


def _counter_columns(cell: Cell, before: Counters | None, after: Counters | None) -> dict:
    """The drive's own view of a write cell, for the WAF and IU cross-checks and the fill level."""
    return {
        "counter_host_bytes_written": _delta(before, after, "host_bytes_written"),
        "counter_unaligned_io": _delta(before, after, "unaligned_io"),
        "used_bytes": before.used_bytes if before else None,
        "ramp_s": cell.ramp_s,
    }


class _LiveBandwidth:
    """Integrates fio's status-line write bandwidth into bytes written."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.last = self.start
        self.bytes_written = 0.0

    def sample(self, status: FioStatus) -> tuple[float, float, float]:
        now = time.monotonic()
        bw = status.write_bw or 0.0
        self.bytes_written += bw * (now - self.last)
        self.last = now
        return now - self.start, bw, self.bytes_written


class Runner:
    """Runs the pending cells of one manifest against an open session."""

    def __init__(
        self,
        session: Session,
        manifest: Manifest,
        run_dir: Path,
        profiles_dir: Path,
        plan: Plan,
        facts: TargetFacts,
        on_error: str = "stop",
        engine: str | None = None,
        on_status: StatusHook | None = None,
        on_cell: CellHook | None = None,
        launch: FioLauncher | None = None,
        host: str | None = None,
        stall_timeout: float | None = None,
        on_spawn: Callable[[sh.RunningCommand], None] | None = None,
    ) -> None:
        """`launch` replaces running fio locally (a remote fio --server); `host` fills the host
        column.

        `stall_timeout`: seconds without a completed IO after which a local fio is killed.
        `on_spawn` gets each local fio process as it starts (so another thread can stop it).
        """
        self.session = session
        self.manifest = manifest
        self.run_dir = run_dir
        self.plan = plan
        self.facts = facts
        self.on_error = on_error
        self.engine = engine
        self.on_status = on_status
        self.on_cell = on_cell
        self.launch = launch or self._local_fio
        self.host = host
        self.stall_timeout = stall_timeout
        self.on_spawn = on_spawn
        self.model, self.serial = drive_identity(session)
        self.profile = profile_path(profiles_dir, self.model, self.serial, manifest.run_id)
        self.manifest.profile = str(self.profile.resolve())
        self.state = RunState()
        # The last write cell's closing counters open the next write cell: a drive whose logs
        # refresh on a period may refresh between cells (docs/field-notes.md section 9), and
        # those bytes must land in some cell's delta, not between two.
        self._counters: Counters | None = None
        self._watchers: dict[str, DropWatcher] = {}
        if self.profile.exists():  # resuming: keep what earlier attempts measured
            earlier = read_profile(self.profile)
            if not earlier.cells.empty:
                self.state.cells.append(earlier.cells)
            if earlier.series is not None and not earlier.series.empty:
                self.state.series.append(earlier.series)

    # -- one cell -----------------------------------------------------------------
    def _paths(self, cell: Cell) -> tuple[Path, Path]:
        output, prefix = layout.cell_files(self.run_dir, self.session.target.name, cell)
        output.parent.mkdir(parents=True, exist_ok=True)
        return output, prefix

    def _status_hook(self, cell: Cell) -> Callable[[FioStatus], bool]:
        """The hook for fio's status; a stop_on_drop cell's also decides when it stops.

        fio's status line comes every 250 ms (5 of them, 3 low, confirm a
        drop) and shows no rate in its first ~2 s; a local fio's status dumps
        (every 50 ms, exact bytes: run/fio_progress.py) replace it.
        """
        unit = (cell.bs or 0) * (cell.iodepth or 1) * (cell.numjobs or 1)
        rule = (
            StopRule(DropWatcher(confirm_samples=5, warmup_samples=1, min_reference=3), unit)
            if cell.stop_on_drop
            else None
        )
        if rule is not None:
            self._watchers[cell.id] = rule.watcher
        feed = DumpFeed(rule, unit) if rule is not None else None
        live = _LiveBandwidth()

        def hook(status: FioStatus) -> bool:
            if self.on_status:
                self.on_status(cell, status)
            if rule is None or feed is None:
                return False
            if status.written_bytes is not None:
                return feed(status.elapsed_s or 0.0, status.written_bytes)
            if not status.has_rates:  # no rates: fio is starting or ramping
                return False
            return rule.feed(*live.sample(status))

        return hook

    def _local_fio(
        self, cell: Cell, out_json: Path, logs: Path | None, hook: Callable[[FioStatus], bool]
    ) -> FioOutcome:
        return run_fio(
            fio_args(cell, self.session.fio_target, out_json, logs, self.engine),
            hook,
            on_spawn=self.on_spawn,
            stall_timeout=self.stall_timeout,
            dumps_to=out_json if cell.stop_on_drop else None,
        )

    def run_cell(self, cell: Cell) -> CellResult:
        """Run one fio cell and ingest it; raises MeasurementFailed when fio failed."""
        out_json, logs = self._paths(cell)
        out_json.unlink(missing_ok=True)  # a stale file from an interrupted attempt
        before = (self._counters or self.session.counters()) if cell.writes else None
        with ThermalWatch(
            self.session.thermal if cell.kind == "sustained" else lambda: None
        ) as heat:
            outcome = self.launch(
                cell, out_json, logs if cell.logs else None, self._status_hook(cell)
            )
        raise_if_stopped()  # fio stopped by a stop signal from another thread: not a finished cell
        if outcome.stalled_s is not None:  # before the counters: a hung drive may not answer them
            raise TargetLost(
                f"cell {cell.id}: no IO completed for {outcome.stalled_s:.0f} s"
                f" (--stall-timeout): the target stopped responding; fio was killed"
            )
        after = self.session.counters() if cell.writes else None
        self._counters = after or self._counters
        if outcome.returncode < 0 or not out_json.exists():  # killed: its JSON is partial if any
            raise MeasurementFailed(
                f"cell {cell.id}: fio wrote no results"
                f" (exit {outcome.returncode}: {outcome.stderr[:200]})"
            )
        separate_messages(out_json)
        try:
            doc = load_fio_json(out_json.read_bytes(), str(out_json))
        except ProbeError as err:
            raise MeasurementFailed(f"cell {cell.id}: {err}") from None
        rows = cells_from_fio(
            doc,
            run_id=self.manifest.run_id,
            cell=cell.id,
            model=self.model,
            serial=self.serial,
            target=self.session.target.text,
            media_bytes_written=_delta(before, after, "media_bytes_written"),
            stage=cell.stage,
            round=cell.round,
            steady=None,
        )
        rows["offset"] = cell.offset
        writes = rows["direction"] == "write"
        for column, value in _counter_columns(cell, before, after).items():
            rows[column] = None
            if value is not None:
                rows.loc[writes, column] = value
        if self.host is not None:
            rows["host"] = self.host
        fio_error = int(rows["error"].fillna(0).max()) if "error" in rows and len(rows) else 0
        if fio_error or (outcome.returncode != 0 and not outcome.stopped_early):
            detail = outcome.stderr.splitlines()[-1] if outcome.stderr else f"see {out_json}"
            raise MeasurementFailed(
                f"cell {cell.id}: fio failed (exit {outcome.returncode},"
                f" error {fio_error}): {detail[:200]}"
            )
        series = self._series(cell, logs, rows) if cell.logs else None
        thermal = {}
        if cell.kind == "sustained":
            thermal = {
                "throttling_reported": heat.throttling,
                "temperature_limit_c": self.session.temperature_limit_c,
                "rate_limit_bytes": rate_limit(cell),
            }
            temps = heat.series(cell.id)
            if temps is not None:
                series = temps if series is None else pd.concat([series, temps], ignore_index=True)
        return CellResult(rows, series, outcome.stopped_early, thermal)

    def _series(self, cell: Cell, prefix: Path, rows: pd.DataFrame) -> pd.DataFrame | None:
        logs = sorted(prefix.parent.glob(prefix.name + "_*.log"))
        totals = _job_totals(rows, logs)
        frames = [series_from_log(log, cell.id, cell.log_avg_msec, totals) for log in logs]
        return pd.concat(frames, ignore_index=True) if frames else None

    # -- the loop -----------------------------------------------------------------
    def save(self, findings: dict[str, Any] | None = None) -> Path:
        """Rewrite the profile from every cell measured so far."""
        cells, series = self.state.frames()
        return write_profile(
            self.profile,
            cells,
            series,
            findings,
            metadata={
                "facts": self.session.facts,
                "manifest": self.manifest.to_dict(),
                "run_id": self.manifest.run_id,
            },
        )

    def record(self, cell: Cell, status: str, **details: Any) -> None:
        """Mark a cell's new status in the manifest (written at once) and tell `on_cell`."""
        self.manifest.mark(cell.id, status, **details)
        write_manifest(self.run_dir, self.manifest)
        if self.on_cell:
            self.on_cell(cell, status)

    def measure(self, cell: Cell) -> bool:
        """Run one fio cell, keep its rows, save the profile and record the cell.

        False when it failed and --on-error says continue; raises otherwise.
        """
        started = time.time()
        try:
            result = self.run_cell(cell)
        except MeasurementFailed as err:
            self.record(cell, FAILED, error=str(err))
            if self.on_error == "stop" or isinstance(err, TargetLost):
                raise
            return False
        self.state.cells.append(result.rows)
        if result.series is not None:
            self.state.series.append(result.series)
        verdict = self._round_verdict(cell)
        if verdict is not None:
            self._mark_steady(cell.stage, verdict)
        self.manifest.state.setdefault(cell.id, {}).update(result.thermal)  # saved with the profile
        self.save()
        watcher = self._watchers.pop(cell.id, None)
        seen = (
            {"drop_bytes": watcher.drop_bytes, "in_cache_bw": watcher.reference_bw}
            if watcher is not None and watcher.confirmed
            else {}
        )
        self.record(
            cell,
            DONE,
            seconds=round(time.time() - started, 3),
            stopped_early=result.stopped_early,
            **seen,
        )
        return True

    def _follower(self, cell: Cell) -> tuple[Cell | None, str]:
        """A following burst as it is to run (see run/sustained.py), or None and why not."""
        leader = next((c["id"] for c in self.manifest.cells if c["stage"] == cell.follows), None)
        cells, series = self.state.frames()
        if leader is None or self.manifest.status(leader) != DONE or cells.empty:
            return None, f"the {cell.follows} burst did not run"
        temps = series is not None and bool(
            ((series["cell"] == leader) & (series["series"] == "temp")).any()
        )
        found = leader_drop(
            cells[cells["cell"] == leader],
            bandwidth_series(series, leader),
            temps,
            self.manifest.state.get(leader, {}),
        )
        return prepare_follower(cell, found, self.session.temperature_limit_c)

    def _skip(self, cell: Cell, reason: str) -> None:
        self.record(cell, DONE, seconds=0.0, skipped=reason)

    def _round_verdict(self, cell: Cell) -> SteadyResult | None:
        """The PTS verdict on a round-based stage's rounds so far, when `cell` closed a round."""
        if not cell.rounds_max or cell.round is None:
            return None
        same_round = [
            c
            for c in self.manifest.cells
            if c["stage"] == cell.stage and c.get("round") == cell.round
        ]
        if same_round[-1]["id"] != cell.id:
            return None
        stage = self.plan.stage(cell.stage)
        metric = stage.steady_metric or "iops"
        tracked = {
            c["id"]: c["round"]
            for c in self.manifest.cells
            if c["stage"] == cell.stage and c.get("steady_track")
        }
        cells = self.state.cell_rows()
        rows = cells[cells["cell"].isin(tracked)]
        per_round = rows.groupby(rows["cell"].map(tracked))[metric].sum().sort_index()
        return steady_state(
            per_round.tolist(), window=stage.steady_window or 5, max_rounds=cell.rounds_max
        )

    def _mark_steady(self, stage: str, verdict: SteadyResult) -> None:
        """`steady` on every cell row of the stage: is its round in the first steady window?"""
        rounds = {c["id"]: c["round"] for c in self.manifest.cells if c["stage"] == stage}
        window = verdict.steady_rounds()
        for frame in self.state.cells:
            rows = frame["cell"].isin(rounds)
            if rows.any():
                frame.loc[rows, "steady"] = frame.loc[rows, "cell"].map(rounds).isin(window)

    def _next_round(self, cell: Cell) -> list[Cell]:
        """Cells of the next round when `cell` closed a round that is not yet steady."""
        if not cell.rounds_max or cell.round is None or cell.round >= cell.rounds_max:
            return []
        verdict = self._round_verdict(cell)
        if verdict is None or verdict.steady:
            return []
        return expand_round(self.plan, cell.stage, self.facts, cell.round + 1)

    def _run_adaptive(self, marker: Cell) -> list[str]:
        """Measure the probes `marker`'s stage picks one at a time (run/adaptive.py); failed ids."""
        stage = self.plan.stage(marker.stage)
        started, spent = time.time(), 0.0
        tried: set[str] = set()
        while True:
            step = next_step(marker, stage, self.facts, self.manifest, self.state.cell_rows())
            cell = step.cell
            if cell is None:
                break
            if step.after is not None:
                insert_cell(self.manifest, cell, step.after)
                write_manifest(self.run_dir, self.manifest)
            if cell.id in tried:  # done, yet picked again: it measured no writes
                self.record(marker, FAILED, error=f"probe {cell.id} measured no write bandwidth")
                if self.on_error == "stop":
                    raise MeasurementFailed(f"cell {cell.id}: measured no write bandwidth")
                return [marker.id]
            tried.add(cell.id)
            spent += cell.est_seconds
            if not self.measure(cell):
                self.record(marker, FAILED, error=f"probe {cell.id} failed")
                return [cell.id, marker.id]
        # the marker's estimate covered every probe: report only what they left over
        rest = replace(marker, est_seconds=max(0.0, marker.est_seconds - spent))
        self.record(
            rest,
            DONE,
            seconds=round(time.time() - started, 3),
            probes=step.done,
            limit_reached=step.limit_reached,
        )
        return []

    def run(self, cells: list[Cell]) -> list[str]:
        """Run every pending cell in order (adding rounds as needed); returns failed ids."""
        failed: list[str] = []
        queue = list(cells)
        while queue:
            raise_if_stopped()
            cell = queue.pop(0)
            if self.manifest.status(cell.id) == DONE:
                continue
            upcoming = next((c for c in queue if c.kind != "idle"), None)
            if (
                cell.kind == "idle"
                and upcoming is not None
                and upcoming.follows
                and self._follower(upcoming)[0] is None  # the burst it waits for will not run
            ):
                self._skip(cell, "the burst after it does not run")
                continue
            if cell.follows:
                prepared, reason = self._follower(cell)
                if prepared is None:
                    self._skip(cell, reason)
                    continue
                cell = prepared
                ids = [c["id"] for c in self.manifest.cells]  # the manifest shows it as it runs
                self.manifest.cells[ids.index(cell.id)] = cell.to_dict()
            if cell.kind == "idle":
                started = time.time()
                time.sleep(cell.idle_s or 0)
                self.record(cell, DONE, seconds=round(time.time() - started, 3))
                continue
            if cell.kind == "adaptive":
                failed += self._run_adaptive(cell)
                continue
            if not self.measure(cell):
                failed.append(cell.id)
                continue
            more = self._next_round(cell)
            if more:
                self.manifest.cells.extend(c.to_dict() for c in more)
                write_manifest(self.run_dir, self.manifest)
                queue = more + queue
        return failed
