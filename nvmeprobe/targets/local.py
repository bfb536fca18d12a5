"""Targets on this machine's file system: a block device or a regular file.

fio opens them by path with io_uring (or libaio where io_uring is missing),
direct=1. Their facts come from sysfs and nvme-cli or smartctl (a device) or
the file's size (a file); whether they are in use, from mounts, holders and
`wipefs` signatures (discover/in_use.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from nvmeprobe.discover.blockdev import read_block_device
from nvmeprobe.discover.collect import collect_block, collect_file
from nvmeprobe.discover.in_use import InUse, check_in_use, file_in_use
from nvmeprobe.errors import InputError
from nvmeprobe.targets.base import Capture, FioOption, Target, file_key

ENGINES = ("io_uring", "libaio")


@dataclass(frozen=True)
class _PathTarget(Target):
    """A target fio opens by its resolved path."""

    resolved: str

    @property
    def path(self) -> str:
        return self.resolved

    @property
    def name(self) -> str:
        return os.path.basename(self.resolved)

    @property
    def lock_key(self) -> str:
        return file_key(self.resolved)

    def fio_engine(self, engine: str | None) -> str:
        if engine is None:
            return ENGINES[0]
        if engine not in ENGINES:
            raise InputError(
                f"unsupported ioengine {engine!r} for {self.text} (use {' or '.join(ENGINES)})"
            )
        return engine

    def fio_file(self) -> FioOption:
        return ("filename", self.resolved)

    def probe_job_lines(self) -> list[str]:
        return ["ioengine=psync", f"filename={self.resolved}", "direct=1"]


@dataclass(frozen=True)
class BlockTarget(_PathTarget):
    """A block device: an NVMe namespace, a loop device, null_blk, virtio, SCSI."""

    @property
    def device_name(self) -> str:
        """The kernel name: 'nvme0n1', 'loop0'."""
        return os.path.basename(self.resolved)

    @property
    def sysfs_name(self) -> str:
        return self.device_name

    def capture(self, sys_root: str = "/sys") -> Capture:
        return collect_block(self.device_name, sys_root)

    def in_use(self) -> InUse:
        return check_in_use(read_block_device(self.device_name))


@dataclass(frozen=True)
class FileTarget(_PathTarget):
    """A regular file (it may not exist yet when a plan is only shown)."""

    def capture(self, sys_root: str = "/sys") -> Capture:
        return collect_file(self.resolved)

    def in_use(self) -> InUse:
        return file_in_use(self.resolved)
