"""A target on another host, as seen from this one (`run --host HOST[:PORT]=TARGET`).

fio reaches it through that host's `fio --server`, so it runs the same job
as the target itself would; what differs is its name: two hosts may each
have a /dev/nvme0n1, and their locks and folders must not collide. Its facts
cannot be read from here (they come from --facts or fio's probe, see
run/remote_facts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from nvmeprobe.errors import InputError
from nvmeprobe.targets.base import Capture, FioOption, Target, file_key


@dataclass(frozen=True)
class HostTarget(Target):
    """`target` on the host labelled `host` ('127.0.0.1-8765'); `text` is 'LABEL-TARGET'."""

    host: str
    target: Target

    @classmethod
    def on(cls, host: str, target: Target) -> HostTarget:
        """`target` as reached on the host labelled `host`."""
        return cls(f"{host}-{target.text}", host, target)

    @property
    def name(self) -> str:
        return f"{self.host}-{self.target.name}"

    @property
    def lock_key(self) -> str:
        return file_key(self.text)

    def fio_engine(self, engine: str | None) -> str:
        return self.target.fio_engine(engine)

    def fio_file(self) -> FioOption:
        return self.target.fio_file()

    def probe_job_lines(self) -> list[str]:
        return self.target.probe_job_lines()

    @property
    def probes_lba_size(self) -> bool:
        return self.target.probes_lba_size

    @property
    def remote_kind(self) -> str:
        return self.target.remote_kind

    def capture(self, sys_root: str = "/sys") -> Capture:
        raise InputError(
            f"{self.target.text} is on host {self.host}: its facts come from"
            f" --facts or fio's probe, not from this machine"
        )
