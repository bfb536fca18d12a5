"""The `inspect` edge: gather every raw output about a target into a capture.

A capture is a dict of file name -> raw bytes, named as `decode_capture`
expects (`id-ns.json`, `smart-log.json`, `sysfs-queue.txt`, ...). A command
that fails leaves `<name>.err` with what it said, so the report can explain
the gap. `inspect --capture DIR` saves the dict; `inspect --from DIR` reads it
back, so the same decoding runs on a machine without the drive. Each
target type (nvmeprobe/targets) calls the collector for its kind:
`collect_block`, `collect_file` or `collect_nbd`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.discover.blockdev import BlockDevice, read_block_device
from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.tools import have_tool, run_tool

Capture = dict[str, bytes]


def _run_local(name: str, args: list[str]) -> bytes:
    return bytes(run_tool(name, args, binary=True))


@dataclass(frozen=True)
class Tools:
    """Where inspect's programs run: this machine, or another host (run/ssh_facts.py)."""

    run: Callable[[str, list[str]], bytes] = _run_local  # stdout; raises ProbeError
    have: Callable[[str], bool] = have_tool


LOCAL = Tools()


def _kv_lines(values: Mapping[str, object]) -> bytes:
    return "".join(f"{k}={v}\n" for k, v in values.items() if v is not None).encode()


def _sysfs_files(dev: BlockDevice) -> Capture:
    files = {
        "kind.txt": dev.kind.encode(),
        "sysfs-queue.txt": _kv_lines(dev.queue),
        "sysfs-identity.txt": _kv_lines(
            {
                "model": dev.model,
                "serial": dev.serial,
                "firmware": dev.firmware,
                "backing_file": dev.backing_file,
            }
        ),
    }
    if dev.size_bytes is not None:
        files["sysfs-size.txt"] = str(dev.size_bytes).encode()
    return files


def _run_into(
    capture: Capture, name: str, tool: str, args: list[str], tools: Tools = LOCAL
) -> bytes | None:
    """Run a tool; store stdout as `name` or its error as `name.err`."""
    try:
        out = tools.run(tool, args)
    except ProbeError as err:
        capture[f"{name}.err"] = str(err).encode()
        return None
    capture[name] = out
    return out


def _controller_of(namespace: str, sys_root: str) -> str:
    """/dev/nvme0 for nvme0n1: the controller sysfs links to, else the name's prefix."""
    controller = os.path.basename(os.path.realpath(Path(sys_root) / "block" / namespace / "device"))
    if not re.fullmatch(r"nvme\d+", controller):
        controller = re.sub(r"n\d+$", "", namespace)
    return "/dev/" + controller


def _endurance_groups(id_ns_json: bytes | None) -> list[int]:
    try:
        endgid = json.loads(id_ns_json or b"{}").get("endgid")
    except (json.JSONDecodeError, AttributeError):
        return []
    return [int(endgid)] if endgid else []


def _collect_nvme(capture: Capture, dev: BlockDevice, sys_root: str, tools: Tools) -> None:
    if not tools.have("nvme"):
        capture["nvme-cli.err"] = (
            b"nvme-cli is not installed: identity and logs from smartctl and sysfs"
        )
        _collect_smartctl(capture, dev.path, tools)
        return
    ctrl = _controller_of(dev.name, sys_root)
    _run_into(capture, "id-ctrl.json", "nvme", ["id-ctrl", "-o", "json", ctrl], tools)
    id_ns = _run_into(capture, "id-ns.json", "nvme", ["id-ns", "-o", "json", dev.path], tools)
    _run_into(capture, "smart-log.json", "nvme", ["smart-log", "-o", "json", ctrl], tools)
    _run_into(
        capture,
        "ocp-smart-add-log.json",
        "nvme",
        ["ocp", "smart-add-log", "-o", "json", ctrl],
        tools,
    )
    for group in _endurance_groups(id_ns):
        _run_into(
            capture,
            f"endurance-log-{group}.json",
            "nvme",
            ["endurance-log", ctrl, "-g", str(group), "-o", "json"],
            tools,
        )


def _collect_smartctl(capture: Capture, path: str, tools: Tools = LOCAL) -> None:
    if tools.have("smartctl"):
        _run_into(capture, "smartctl.json", "smartctl", ["-j", "-a", path], tools)
    else:
        capture["smartctl.err"] = b"smartctl is not installed"


def collect_nbd(uri: str) -> Capture:
    """An NBD export: its size from `nbdinfo` where installed."""
    capture: Capture = {"kind.txt": b"nbd"}
    if have_tool("nbdinfo"):
        info = _run_into(capture, "nbdinfo.json", "nbdinfo", ["--json", uri])
        if info:
            try:
                size = json.loads(info)["exports"][0]["export-size"]
                capture["sysfs-size.txt"] = str(size).encode()
            except (json.JSONDecodeError, KeyError, IndexError):
                capture["nbdinfo.json.err"] = b"nbdinfo printed malformed JSON"
    return capture


def collect_file(path: str) -> Capture:
    """A regular file: its size."""
    return {"kind.txt": b"other", "sysfs-size.txt": str(os.path.getsize(path)).encode()}


def collect_block(device_name: str, sys_root: str = "/sys", tools: Tools = LOCAL) -> Capture:
    """A block device: sysfs, then nvme-cli (NVMe) or smartctl (SCSI, virtio).

    `tools` runs nvme-cli and smartctl, `sys_root` is read for sysfs: another host's,
    mirrored here (run/ssh_facts.py), when both point there.
    """
    dev = read_block_device(device_name, sys_root)
    capture = _sysfs_files(dev)
    if dev.kind == "nvme":
        _collect_nvme(capture, dev, sys_root, tools)
    elif dev.kind in ("scsi", "virtio"):
        _collect_smartctl(capture, dev.path, tools)
    return capture


def save_capture(capture: Capture, directory: Path) -> None:
    """Write each raw output to DIR/<name>."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in capture.items():
            (directory / name).write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot write capture to {directory}: {err.strerror}") from None


def load_capture(directory: Path) -> Capture:
    """Read every file of a capture directory."""
    if not directory.is_dir():
        raise InputError(f"capture directory not found: {directory}")
    try:
        return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
    except OSError as err:
        raise InputError(f"cannot read capture {directory}: {err.strerror}") from None
