"""Is a block device in use? Mounted, partitioned, held, or carrying a signature.

`in_use_reasons` is pure (it takes what the edge read); `check_in_use` is the
edge that reads /proc and runs `wipefs --no-act`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from nvmeprobe.discover.blockdev import BlockDevice, partition_devs
from nvmeprobe.errors import ProbeError
from nvmeprobe.tools import run_tool


@dataclass
class InUse:
    """Verdict with reasons; `in_use` is None when it could not be decided."""

    in_use: bool | None
    reasons: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)  # where it (or a partition) is mounted


def mounted_devs(mountinfo: str) -> set[str]:
    """major:minor of every mounted device, from /proc/self/mountinfo text."""
    devs = set()
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) > 2:
            devs.add(parts[2])
    return devs


def mount_points(mountinfo: str, devs: set[str]) -> list[str]:
    """Where the devices `devs` (major:minor) are mounted, from /proc/self/mountinfo text."""
    points = []
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[2] in devs:  # mountinfo escapes spaces as \040
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), parts[4]))
    return points


def swap_devices(proc_swaps: str) -> set[str]:
    """Paths of active swap devices, from /proc/swaps text."""
    return {line.split()[0] for line in proc_swaps.splitlines()[1:] if line.strip()}


def parse_wipefs_json(text: str) -> list[str]:
    """Signature types ('ext4', 'gpt', 'linux_raid_member') from `wipefs -n -J`."""
    if not text.strip():
        return []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise ProbeError("wipefs printed malformed JSON") from None
    return [sig.get("type") or "unknown" for sig in doc.get("signatures", [])]


def in_use_reasons(
    device: BlockDevice,
    part_devs: list[str],
    mounted: set[str],
    swaps: set[str],
    signatures: list[str] | None,
) -> InUse:
    """Decide from facts already read; signatures None means the probe failed."""
    reasons = []
    if device.dev in mounted or any(d in mounted for d in part_devs):
        reasons.append("mounted")
    if device.path in swaps:
        reasons.append("active swap")
    if device.partitions:
        reasons.append("has partitions: " + ", ".join(device.partitions))
    if device.holders:
        reasons.append("held by: " + ", ".join(device.holders))
    if signatures:
        reasons.append("signature: " + ", ".join(signatures))
    if reasons:
        return InUse(True, reasons)
    if signatures is None:
        return InUse(None, ["could not probe for signatures (permission?)"])
    return InUse(False, [])


def _read_proc(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def probe_signatures(path: str) -> list[str] | None:
    """Filesystem/RAID/partition-table signatures on a device; None if unreadable."""
    try:
        return parse_wipefs_json(run_tool("wipefs", ["--no-act", "--json", path]))
    except ProbeError:
        return None


def check_in_use(device: BlockDevice, sys_root: str = "/sys") -> InUse:
    """The edge: read mounts, swaps and signatures, then decide."""
    parts = partition_devs(device, sys_root)
    mountinfo = _read_proc("/proc/self/mountinfo")
    verdict = in_use_reasons(
        device,
        parts,
        mounted_devs(mountinfo),
        swap_devices(_read_proc("/proc/swaps")),
        probe_signatures(device.path),
    )
    devs = {*parts, device.dev} if device.dev else set(parts)
    verdict.mounts = mount_points(mountinfo, devs)
    return verdict


def file_in_use(path: str) -> InUse:
    """The edge for a regular file: does it carry a filesystem or partition-table signature?"""
    signatures = probe_signatures(path)
    if signatures is None:
        return InUse(None, ["could not probe the file for signatures"])
    return InUse(bool(signatures), [f"signature: {', '.join(signatures)}"] if signatures else [])
