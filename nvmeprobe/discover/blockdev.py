"""The sysfs edge: what the kernel says about block devices.

Functions take `sys_root` so tests can point them at a fabricated tree; the
defaults read the running kernel. Nothing here writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

QUEUE_ATTRS = (
    "logical_block_size",
    "physical_block_size",
    "minimum_io_size",
    "optimal_io_size",
    "max_hw_sectors_kb",
    "chunk_sectors",
    "discard_granularity",
    "rotational",
    "nr_requests",
)

_KIND_BY_PREFIX = (
    ("nvme", "nvme"),
    ("loop", "loop"),
    ("nullb", "null_blk"),
    ("vd", "virtio"),
    ("sd", "scsi"),
    ("nbd", "nbd"),
)
_SKIPPED_PREFIXES = ("ram", "zram", "dm-", "md", "sr", "fd")


@dataclass
class BlockDevice:
    """One whole block device as sysfs describes it."""

    name: str
    kind: str
    size_bytes: int | None
    queue: dict[str, int] = field(default_factory=dict)
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    backing_file: str | None = None
    partitions: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    dev: str | None = None  # "major:minor"

    @property
    def path(self) -> str:
        return f"/dev/{self.name}"


def device_kind(name: str) -> str:
    """Kind of a block device from its kernel name (docs/design.md `detect` kinds)."""
    for prefix, kind in _KIND_BY_PREFIX:
        if name.startswith(prefix):
            return kind
    return "other"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _read_int(path: Path) -> int | None:
    text = _read(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def read_block_device(name: str, sys_root: str = "/sys") -> BlockDevice:
    """Everything sysfs says about /sys/block/NAME."""
    base = Path(sys_root) / "block" / name
    sectors = _read_int(base / "size")
    queue = {
        attr: value
        for attr in QUEUE_ATTRS
        if (value := _read_int(base / "queue" / attr)) is not None
    }
    device = base / "device"
    model = _read(device / "model")
    serial = _read(device / "serial") or _read(base / "serial")
    firmware = _read(device / "firmware_rev") or _read(device / "rev")
    partitions = (
        sorted(p.name for p in base.iterdir() if (p / "partition").exists())
        if base.is_dir()
        else []
    )
    holders_dir = base / "holders"
    holders = sorted(os.listdir(holders_dir)) if holders_dir.is_dir() else []
    return BlockDevice(
        name=name,
        kind=device_kind(name),
        size_bytes=sectors * 512 if sectors is not None else None,
        queue=queue,
        model=model or None,
        serial=serial or None,
        firmware=firmware or None,
        backing_file=_read(base / "loop" / "backing_file"),
        partitions=partitions,
        holders=holders,
        dev=_read(base / "dev"),
    )


def list_block_devices(sys_root: str = "/sys") -> list[BlockDevice]:
    """Whole block devices worth characterising: attached and non-empty."""
    block = Path(sys_root) / "block"
    devices = []
    for name in sorted(os.listdir(block)):
        if name.startswith(_SKIPPED_PREFIXES) or _read(block / name / "hidden") == "1":
            continue  # hidden: a multipath controller path (nvme1c1n1), no /dev node
        dev = read_block_device(name, sys_root)
        if dev.kind == "loop" and dev.backing_file is None:
            continue  # an unattached loop slot
        if not dev.size_bytes:
            continue
        devices.append(dev)
    return devices


def partition_devs(device: BlockDevice, sys_root: str = "/sys") -> list[str]:
    """major:minor of each partition of a device."""
    base = Path(sys_root) / "block" / device.name
    return [d for p in device.partitions if (d := _read(base / p / "dev"))]
