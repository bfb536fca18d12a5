"""What every target answers, whatever its kind (docs/design.md "Targets").

The rest of nvmeprobe asks a `Target` these questions and never looks at
which kind it is: each kind is its own type (`local`, `nbd`, `sim`, `host`)
and owns its answers. Reading facts or probing for use runs programs: a type
calls the edge modules of `discover` for that, it runs nothing itself.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nvmeprobe.discover.in_use import InUse
from nvmeprobe.errors import InputError

Capture = dict[str, bytes]
FioOption = tuple[str, str]


@dataclass(frozen=True)
class OpenTarget:
    """A target made ready to measure, for as long as its context lasts."""

    fio_target: Target  # what fio opens (a simulator's NBD export)
    capture: Callable[[], Capture]  # read every raw fact about it now
    stats: Callable[[], dict[str, Any]] | None = None  # a simulator's exact counters


def file_key(text: str) -> str:
    """A lock-file-safe form of a path or URI: '/dev/nvme0n1' -> 'dev_nvme0n1'."""
    return text.strip("/").replace("/", "_")


def short_name(prefix: str, text: str, keep: int | None = None) -> str:
    """'sim-iu-16k-slc-64m': `text` with every run of other characters turned into '-'."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    return prefix + (name[-keep:] if keep else name)


@dataclass(frozen=True)
class Target(ABC):
    """A validated target; `text` is what the user typed (made by `parse_target`)."""

    text: str

    @property
    def path(self) -> str | None:
        """The resolved file or device path fio opens, if it is one."""
        return None

    @property
    def uri(self) -> str | None:
        """The NBD URI fio opens, if it is one."""
        return None

    @property
    @abstractmethod
    def name(self) -> str:
        """Short name for directories and tables: 'nvme0n1', 'loop3', 'sim-qlc-16k'."""

    @property
    def lock_key(self) -> str:
        """What the per-device lock file is named after: the thing fio writes."""
        return file_key(self.text)

    # -- fio --------------------------------------------------------------------------
    @abstractmethod
    def fio_engine(self, engine: str | None) -> str:
        """The ioengine for this target; `engine` is the user's choice (None: default)."""

    @abstractmethod
    def fio_file(self) -> FioOption:
        """The job option naming what fio opens: ('filename', PATH) or ('uri', URI)."""

    def probe_job_lines(self) -> list[str]:
        """Engine and file lines of a read-only job file on a remote fio --server."""
        raise InputError(f"{self.text} cannot be probed on a remote fio --server")

    @property
    def probes_lba_size(self) -> bool:
        """True when a direct read of one LBA tells the LBA size (EINVAL below it)."""
        return True

    @property
    def remote_kind(self) -> str:
        """The `inspect --json` kind of this target on another host (only its name known)."""
        return "other"

    # -- facts ------------------------------------------------------------------------
    @property
    def sysfs_name(self) -> str | None:
        """The name under /sys/block where sysfs describes the target ('nvme0n1'), else None."""
        return None

    @abstractmethod
    def capture(self, sys_root: str = "/sys") -> Capture:
        """Every raw output about the target (sysfs, nvme-cli, ...) by capture file name."""

    def opened(self, workdir: Path | None = None) -> AbstractContextManager[OpenTarget]:
        """Make the target ready for a command (a simulator is started for its duration)."""
        return _as_is(self)

    # -- safety -----------------------------------------------------------------------
    def names(self) -> set[str]:
        """Every name by which the user may mean this target in --destroy-data."""
        return {name for name in (self.text, self.path, self.uri) if name}

    @property
    def disposable(self) -> bool:
        """True for a drive nvmeprobe made itself: writing it never needs --destroy-data."""
        return False

    @property
    def unknowable_use(self) -> str | None:
        """Why nobody can tell from here whether the target is in use; None if one can try."""
        return None

    def in_use(self) -> InUse:
        """Is it mounted, partitioned, held or carrying a signature? (None: cannot tell)."""
        return InUse(None, [])


@contextmanager
def _as_is(target: Target) -> Iterator[OpenTarget]:
    yield OpenTarget(target, target.capture)
