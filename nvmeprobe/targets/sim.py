"""A simulated drive (`sim:PRESET`, `sim:PRESET,slc=32m`, `sim:iu=16k,slc=64m,...`), truth known.

It exists only while a command runs: `opened` starts the simulator (served
over NBD on a private socket) and stops it when the command ends, Ctrl-C
and SIGTERM included. fio then writes the NBD export, never this target;
its facts and exact counters come from the simulator. It holds no one's
data, so writing it needs no --destroy-data.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.errors import InputError
from nvmeprobe.targets.base import Capture, FioOption, OpenTarget, Target, short_name
from nvmeprobe.targets.nbd import NbdTarget


@dataclass(frozen=True)
class SimTarget(Target):
    """A simulated drive, by its spec (the text after 'sim:')."""

    spec: str

    @property
    def name(self) -> str:
        return short_name("sim-", self.spec)

    def _not_started(self) -> InputError:
        return InputError(
            f"{self.text}: a simulated drive must be started first;"
            f" render the job for its NBD target"
        )

    def fio_engine(self, engine: str | None) -> str:
        raise self._not_started()

    def fio_file(self) -> FioOption:
        raise self._not_started()

    def capture(self, sys_root: str = "/sys") -> Capture:
        raise InputError("simulated targets need a running simulator")

    @contextmanager
    def opened(self, workdir: Path | None = None) -> Iterator[OpenTarget]:
        from nvmeprobe.sim import running_sim  # the simulator is only needed here

        with (
            tempfile.TemporaryDirectory(prefix="nvmeprobe-sim-", dir=workdir) as tmp,
            running_sim(self.spec, Path(tmp)) as handle,
        ):
            yield OpenTarget(NbdTarget.from_uri(handle.uri), handle.capture_files, handle.stats)

    @property
    def disposable(self) -> bool:
        return True
