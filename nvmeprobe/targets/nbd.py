"""An NBD export (`nbd+unix:///?socket=PATH`, `nbd://HOST:PORT/NAME`).

fio opens it with `ioengine=nbd` and `uri=`. Its size comes from `nbdinfo`;
whether it holds data cannot be checked from here, so writing it always
needs --destroy-data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nvmeprobe.discover.collect import collect_nbd
from nvmeprobe.errors import InputError
from nvmeprobe.targets.base import Capture, FioOption, Target, file_key, short_name

ENGINE = "nbd"
_NBD_RE = re.compile(r"^nbd(\+unix)?://[A-Za-z0-9._~:/?&=%+\[\]@-]*$")


@dataclass(frozen=True)
class NbdTarget(Target):
    """An NBD export, by its URI."""

    export: str

    @classmethod
    def from_uri(cls, text: str) -> NbdTarget:
        """The export at URI `text`, refused unless it has the plain form fio's uri= takes."""
        if not _NBD_RE.match(text):
            raise InputError(
                f"invalid NBD target {text!r}: use nbd+unix:///?socket=PATH or nbd://HOST:PORT/NAME"
            )
        return cls(text, text)

    @property
    def uri(self) -> str:
        return self.export

    @property
    def name(self) -> str:
        return short_name("nbd-", self.export, keep=40)

    @property
    def lock_key(self) -> str:
        return file_key(self.export)

    def fio_engine(self, engine: str | None) -> str:
        if engine not in (None, ENGINE):
            raise InputError(f"{self.text}: NBD targets use ioengine={ENGINE}, not {engine}")
        return ENGINE

    def fio_file(self) -> FioOption:
        return ("uri", self.export)

    def probe_job_lines(self) -> list[str]:
        return [f"ioengine={ENGINE}", f"uri={self.export}"]

    @property
    def probes_lba_size(self) -> bool:
        return False

    @property
    def remote_kind(self) -> str:
        return "nbd"

    def capture(self, sys_root: str = "/sys") -> Capture:
        return collect_nbd(self.export)

    @property
    def unknowable_use(self) -> str:
        return "a remote export whose contents cannot be checked"
