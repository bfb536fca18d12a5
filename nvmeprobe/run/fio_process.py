"""The edge that runs one fio process for one cell, with live status.

fio runs on a pseudo-terminal so that it prints its status line every
250 ms (fio's minimum); each line is parsed and handed to `on_status`. When `on_status`
returns True (e.g. a confirmed bandwidth drop) fio gets SIGINT, which makes
it stop its jobs and still write its JSON results.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sh

from nvmeprobe.errors import ToolMissing
from nvmeprobe.run.fio_status import FioStatus, parse_status
from nvmeprobe.tools import have_tool


def stop_fio(proc: sh.RunningCommand) -> None:
    """Ask fio to stop (SIGINT keeps its results), then make sure it is gone."""
    try:
        if proc.is_alive():
            proc.signal(signal.SIGINT)
            proc.wait(timeout=10)
    except ProcessLookupError:
        return  # it ended on its own meanwhile
    except Exception:  # noqa: BLE001 - still running after 10 s: kill it
        try:
            proc.kill()
        except ProcessLookupError:
            return


@dataclass
class FioOutcome:
    """How a fio process ended."""

    returncode: int
    stderr: str
    stopped_early: bool


def run_fio(args: Sequence[str], on_status: Callable[[FioStatus], bool] | None = None,
            timeout: float | None = None,
            on_spawn: Callable[[sh.RunningCommand], None] | None = None) -> FioOutcome:
    """Run `fio args...`; returns its exit code and stderr, never raises on fio failure.

    `on_spawn` gets the running process (so another thread can `stop_fio` it).
    The status options come first: after `--client=...` fio reads job files.
    """
    if not have_tool("fio"):
        raise ToolMissing("fio is not installed (apt-get install fio)")
    pending = [""]
    stopped = [False]
    process: list[sh.RunningCommand] = []

    def feed(chunk: str) -> None:
        pending[0] += chunk
        *lines, pending[0] = pending[0].replace("\n", "\r").split("\r")
        for line in lines:
            status = parse_status(line)
            if status and on_status and on_status(status) and not stopped[0] and process:
                stopped[0] = True
                try:
                    process[0].signal(signal.SIGINT)
                except ProcessLookupError:
                    pass  # it had just finished

    # _in="": fio reads no input. Without it sh's stdin thread polls an empty queue
    # every 0.1 s and holds up the end of every cell by ~50 ms on average.
    proc = sh.fio("--eta=always", "--eta-interval=250ms", *[str(a) for a in args],
                  _in="", _out=feed, _tty_out=True, _out_bufsize=0, _bg=True, _ok_code=range(256),
                  _timeout=timeout, _bg_exc=False)
    process.append(proc)
    if on_spawn:
        on_spawn(proc)
    try:
        proc.wait()
    except BaseException:
        stop_fio(proc)
        raise
    stderr = proc.stderr.decode(errors="replace") if proc.stderr else ""
    return FioOutcome(proc.exit_code, stderr.strip(), stopped[0])
