"""Stop signals stop a run even where Python would drop the KeyboardInterrupt they raise."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

import pytest

from nvmeprobe.run.fio_process import run_fio
from nvmeprobe.run.procs import fio_holding
from nvmeprobe.run.stop import raise_if_stopped, stop_signals_as_interrupt

_ARMED: list[bool] = []


def _signal_self_after_fork() -> None:
    """SIGTERM to this process from the at-fork hook, once, when armed (as if it came right
    then)."""
    if _ARMED:
        _ARMED.clear()
        os.kill(os.getpid(), signal.SIGTERM)


os.register_at_fork(after_in_parent=_signal_self_after_fork)


def test_a_dropped_interrupt_is_raised_at_the_next_check():
    before = signal.getsignal(signal.SIGTERM)
    with stop_signals_as_interrupt():
        with contextlib.suppress(KeyboardInterrupt):  # dropped, as in an at-fork hook or a __del__
            os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match=f"signal {int(signal.SIGTERM)}"):
            raise_if_stopped()
    assert signal.getsignal(signal.SIGTERM) == before
    with stop_signals_as_interrupt():
        raise_if_stopped()  # a new run starts with no stop recorded


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_a_stop_signal_while_fio_starts_stops_that_fio(tmp_path: Path):
    target = tmp_path / "disk.img"
    target.write_bytes(b"\0" * (16 << 20))
    args = [
        "--name=c",
        f"--filename={target}",
        "--rw=randread",
        "--bs=4k",
        "--time_based",
        "--runtime=60",
        "--output-format=json",
        f"--output={tmp_path / 'out.json'}",
    ]
    with stop_signals_as_interrupt():
        _ARMED.append(True)
        with pytest.raises(KeyboardInterrupt):
            run_fio(args)
    assert not _ARMED  # the signal came while fio was being started
    assert not fio_holding(str(target))  # and that fio is gone
