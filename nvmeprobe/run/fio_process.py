"""The edge that runs one fio process for one cell, with live status.

fio runs on a pseudo-terminal so that it prints its status line every
250 ms (fio's minimum); each line is parsed and handed to `on_status`. When `on_status`
returns True (e.g. a confirmed bandwidth drop) fio gets SIGINT, which makes
it stop its jobs and still write its JSON results. With a stall timeout, a
watchdog thread kills fio and its jobs once no IO has completed for that
long (run/stall.py): a hung target would otherwise hold the run forever, and
SIGINT would not help, as fio waits for the IO in flight before it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sh

from nvmeprobe.errors import ToolMissing
from nvmeprobe.run.fio_progress import STATUS_INTERVAL, DumpRates, ProgressTail
from nvmeprobe.run.fio_status import FioStatus, parse_status
from nvmeprobe.run.procs import command_line, fio_pids, is_running
from nvmeprobe.run.stall import StallWatch
from nvmeprobe.run.stop import stop_signals_deferred
from nvmeprobe.tools import have_tool


def stop_fio(proc: sh.RunningCommand) -> None:
    """Ask fio to stop (SIGINT keeps its results), then make sure it and its jobs are gone."""
    try:
        if proc.is_alive():
            proc.signal(signal.SIGINT)
            proc.wait(timeout=10)
    except ProcessLookupError:
        pass  # it ended on its own meanwhile
    except Exception:  # noqa: BLE001 - still running after 10 s: kill it
        kill_fio(proc)
        return
    kill_orphaned_jobs(proc.cmd)  # fio died by a signal (SIGHUP, SIGKILL): its jobs run on


def kill_fio(proc: sh.RunningCommand) -> None:
    """SIGKILL fio (no results), then its job processes, which a killed fio leaves running."""
    with contextlib.suppress(ProcessLookupError):  # it may have ended on its own meanwhile
        proc.kill()
    kill_orphaned_jobs(proc.cmd)


def kill_orphaned_jobs(command: Sequence[str]) -> list[int]:
    """SIGKILL what is left of a fio whose main process was killed; returns the pids.

    fio forks one process per job, each in a session of its own: when the main
    process is killed (the OOM killer, kill -9) the jobs run on, orphaned, to
    the end of their runtime and would overlap the next cell. A fork keeps the
    main process's command line, which names this cell's output file, so they
    are found by it (`command`: program and arguments as fio was started).
    """
    arguments = [str(a) for a in command[1:]]
    killed = []
    for pid in fio_pids():
        line = command_line(pid)
        if len(line) > len(arguments) and line[-len(arguments) :] == arguments:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                continue
    deadline = time.monotonic() + 10  # in-flight IO completes before a killed process ends
    while any(is_running(pid) for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.05)
    return killed


@dataclass
class FioOutcome:
    """How a fio process ended."""

    returncode: int
    stderr: str
    stopped_early: bool
    stalled_s: float | None = None  # set when the stall watchdog killed fio: seconds without IO


def _kill_when_stalled(proc: sh.RunningCommand, watch: StallWatch, done: threading.Event) -> None:
    while not done.wait(0.5):
        if watch.check():
            kill_fio(proc)
            return


def run_fio(
    args: Sequence[str],
    on_status: Callable[[FioStatus], bool] | None = None,
    on_spawn: Callable[[sh.RunningCommand], None] | None = None,
    stall_timeout: float | None = None,
    cwd: Path | None = None,
    dumps_to: Path | None = None,
) -> FioOutcome:
    """Run `fio args...` (in folder `cwd`); returns its exit code and stderr, never raises.

    `on_spawn` gets the running process (so another thread can `stop_fio` it).
    `stall_timeout`: kill fio and its jobs once no IO has completed for this many seconds.
    `dumps_to`: fio's `--output` file: fio then dumps its status there every
    50 ms instead of printing status lines (run/fio_progress.py), and each
    dump reaches `on_status` and the stall watch as a status with exact bytes.
    The status options come first: after `--client=...` fio reads job files.
    """
    if not have_tool("fio"):
        raise ToolMissing("fio is not installed (apt-get install fio)")
    pending = [""]
    stopped = [False]
    process: list[sh.RunningCommand] = []
    watch = StallWatch(stall_timeout) if stall_timeout else None
    watching = threading.Event()  # set: stop watching
    watcher: threading.Thread | None = None

    def handle(status: FioStatus | None) -> None:
        if status and watch:
            watch.feed(status)
        if status and on_status and on_status(status) and not stopped[0] and process:
            stopped[0] = True
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                process[0].signal(signal.SIGINT)

    def feed(chunk: str) -> None:
        pending[0] += chunk
        *lines, pending[0] = pending[0].replace("\n", "\r").split("\r")
        for line in lines:
            handle(parse_status(line))

    status_args: list[str] = ["--eta=always", "--eta-interval=250ms"]
    tail = None
    if dumps_to is not None:
        tail = ProgressTail(dumps_to, lambda t_s, written: handle(dumps.sample(t_s, written)))
        dumps = DumpRates()
        status_args.append(f"--status-interval={STATUS_INTERVAL}")

    # _in="": fio reads no input. Without it sh's stdin thread polls an empty queue
    # every 0.1 s and holds up the end of every cell (~18 ms on average, measured).
    # _ok_code: every exit code, and death by a signal (negative), is ours to judge.
    proc: sh.RunningCommand | None = None
    try:
        with stop_signals_deferred():  # Ctrl-C while fio starts is raised once proc is known
            proc = sh.fio(
                *status_args,
                *[str(a) for a in args],
                _in="",
                _out=feed,
                _tty_out=True,
                _out_bufsize=0,
                _bg=True,
                _ok_code=list(range(-64, 256)),
                _bg_exc=False,
                _cwd=str(cwd) if cwd else None,
            )
            process.append(proc)
        if on_spawn:
            on_spawn(proc)
        if tail is not None:
            tail.start()
        if watch:
            watcher = threading.Thread(
                target=_kill_when_stalled,
                args=(proc, watch, watching),
                name="fio-stall-watch",
                daemon=True,
            )
            watcher.start()
        proc.wait()
    except BaseException:
        if proc is not None:
            stop_fio(proc)
        raise
    finally:
        watching.set()
        if tail is not None:
            tail.finish()
        if watcher:
            watcher.join()  # at once, unless it is killing a stalled fio
    stderr = (proc.stderr.decode(errors="replace") if proc.stderr else "").strip()
    if proc.exit_code < 0:  # the OOM killer, a kill -9: fio left no results
        killed = f"fio was killed by {_signal_name(-proc.exit_code)}"
        orphans = kill_orphaned_jobs(proc.cmd)
        if orphans:
            killed += f"; stopped its {len(orphans)} orphaned job process(es)"
        stderr = f"{killed}; {stderr}" if stderr else killed
    return FioOutcome(proc.exit_code, stderr, stopped[0], watch.stalled_s if watch else None)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
