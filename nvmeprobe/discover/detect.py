"""`detect`: every NVMe namespace and every other block device on this machine.

NVMe namespaces come from `nvme list -o json` (both of nvme-cli's formats) and
are merged with sysfs; every other block device comes from sysfs alone.
`merge_detected` is pure; `detect_devices` is the edge.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict
from typing import Any

from nvmeprobe.discover.blockdev import BlockDevice, list_block_devices
from nvmeprobe.discover.in_use import InUse, check_in_use
from nvmeprobe.discover.nvme_list import parse_nvme_list
from nvmeprobe.errors import ProbeError
from nvmeprobe.tools import have_tool, run_tool

_MULTIPATH_PATH = re.compile(r"nvme\d+c\d+n\d+")


def _positive(size: int | None) -> int | None:
    """A size nvme-cli printed, or None when impossible (-2147483648: its 32-bit overflow)."""
    return size if size is not None and size > 0 else None


def merge_detected(
    devices: list[BlockDevice], nvme_entries: list[dict[str, Any]], in_use: dict[str, InUse]
) -> list[dict[str, Any]]:
    """One `detect --json` object per device (contract keys, docs/design.md section 6)."""
    by_path = {entry["device"]: entry for entry in nvme_entries}
    rows = []
    for dev in devices:
        nvme = by_path.pop(dev.path, {})
        verdict = in_use.get(dev.path, InUse(None, ["not checked"]))
        lbs = nvme.get("logical_block_size") or dev.queue.get("logical_block_size")
        rows.append(
            {
                "target": dev.path,
                "kind": dev.kind,
                "model": nvme.get("model") or dev.model or _default_model(dev),
                "serial": nvme.get("serial") or dev.serial,
                "firmware": nvme.get("firmware") or dev.firmware,
                "size_bytes": dev.size_bytes or _positive(nvme.get("size_bytes")),
                "logical_block_size": lbs,
                "reported_iu_bytes": dev.queue.get("minimum_io_size"),
                "in_use": verdict.in_use,
                "in_use_reasons": verdict.reasons,
                "backing_file": dev.backing_file,
            }
        )
    for path, nvme in by_path.items():  # listed by nvme-cli, absent from this sysfs
        if _MULTIPATH_PATH.fullmatch(os.path.basename(path)):
            continue  # a hidden controller path of a multipath namespace: no /dev node
        rows.append(
            {
                "target": path,
                "kind": "nvme",
                "model": nvme.get("model"),
                "serial": nvme.get("serial"),
                "firmware": nvme.get("firmware"),
                "size_bytes": _positive(nvme.get("size_bytes")),
                "logical_block_size": nvme.get("logical_block_size"),
                "reported_iu_bytes": None,
                "in_use": None,
                "in_use_reasons": ["not in sysfs"],
                "backing_file": None,
            }
        )
    return rows


def _default_model(dev: BlockDevice) -> str | None:
    return {"loop": "loop device", "null_blk": "null_blk"}.get(dev.kind)


def detect_devices(sys_root: str = "/sys") -> tuple[list[dict[str, Any]], list[str]]:
    """Detect devices; returns (rows, notes) where notes explain any fallback."""
    notes: list[str] = []
    devices = list_block_devices(sys_root)
    nvme_entries: list[dict[str, Any]] = []
    if any(d.kind == "nvme" for d in devices):
        if have_tool("nvme"):
            try:
                listed = parse_nvme_list(run_tool("nvme", ["list", "-o", "json"]))
                nvme_entries = [asdict(entry) for entry in listed]
            except ProbeError as err:
                notes.append(f"nvme list failed, using sysfs only: {err}")
        else:
            notes.append("nvme-cli is not installed: NVMe identity from sysfs only")
    in_use = {d.path: check_in_use(d, sys_root) for d in devices}
    return merge_detected(devices, nvme_entries, in_use), notes
