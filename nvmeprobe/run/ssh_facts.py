"""A block device's inspect facts read over an SSH host's connection, decoded as locally.

`inspect` reads sysfs and runs nvme-cli or smartctl (discover/collect.py).
For a device on an `ssh://` host both happen there, over the run's one SSH
connection: one remote shell prints the sysfs files `read_block_device`
reads (`SYSFS_SCRIPT`), they are laid out here as a small sysfs tree, and
`collect_block` runs on that tree with nvme-cli and smartctl run on the
host. Block devices only: a file's or an NBD export's size comes from fio's
probe (run/remote_fio.py). The capture is the one `inspect --capture` would have made there, and
`inspect_report` decodes it exactly as it decodes a local one.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

from nvmeprobe.discover.blockdev import QUEUE_ATTRS
from nvmeprobe.discover.collect import Capture, Tools, collect_block
from nvmeprobe.errors import InputError, ToolFailed
from nvmeprobe.run.ssh import SshHost
from nvmeprobe.targets import Target

DEVICE_FILES = ("model", "serial", "firmware_rev", "rev")
"""Read from /sys/block/NAME/device/ (the controller or disk sysfs links to)."""
BLOCK_FILES = (
    "size",
    "dev",
    "serial",
    "hidden",
    "loop/backing_file",
    *(f"queue/{attr}" for attr in QUEUE_ATTRS),
)
"""Read from /sys/block/NAME/."""

SYSFS_SCRIPT = r"""
cd /sys/block/"$1" 2>/dev/null || { echo "no block device $1 in /sys/block" >&2; exit 3; }
shift
for f in "$@"; do [ -f "$f" ] && { printf 'F %s\0' "$f"; cat "$f" 2>/dev/null; printf '\0'; }; done
for p in */partition; do [ -e "$p" ] && printf 'P %s\0\0' "${p%/partition}"; done
for h in holders/*; do [ -e "$h" ] && printf 'H %s\0\0' "${h#holders/}"; done
[ -e device ] && printf 'L %s\0\0' "$(basename "$(readlink -f device)")"
exit 0
"""
"""Prints `KIND NAME\\0CONTENT\\0` records: F file, P partition, H holder, L device link."""


def parse_records(data: bytes) -> list[tuple[str, str, bytes]]:
    """SYSFS_SCRIPT's output -> (kind, name, content) records (pure)."""
    fields = data.split(b"\0")
    records = []
    for head, content in zip(fields[0::2], fields[1::2]):
        kind, _, name = head.decode(errors="replace").partition(" ")
        if kind in ("F", "P", "H", "L") and name and ".." not in name.split("/"):
            records.append((kind, name, content))
    return records


def build_sysfs(records: list[tuple[str, str, bytes]], name: str, root: Path) -> None:
    """Lay the records out as ROOT/block/NAME/... with `device` linking to ROOT/devices/CTRL."""
    base = root / "block" / name
    base.mkdir(parents=True)
    links = [n for kind, n, _ in records if kind == "L"]
    device = root / "devices" / (links[0] if links else "device")
    for kind, entry, content in records:
        if kind == "F" and entry.startswith("device/"):
            path = device / entry.removeprefix("device/")
        elif kind == "F":
            path = base / entry
        elif kind == "P":
            path = base / entry / "partition"
        elif kind == "H":
            path = base / "holders" / entry
        else:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if links:
        device.mkdir(parents=True, exist_ok=True)
        (base / "device").symlink_to(device)


def ssh_tools(host: SshHost) -> Tools:
    """nvme-cli and smartctl run on the host."""
    return Tools(run=host.run_program, have=host.has_program)


def ssh_capture(host: SshHost, target: Target) -> Capture | None:
    """The inspect capture of a block device on `host`, read over its SSH connection.

    None for other targets (their facts come from fio's probe).
    """
    name = target.sysfs_name
    if name is None:
        return None
    files = [*BLOCK_FILES, *(f"device/{f}" for f in DEVICE_FILES)]
    try:
        data = host.run(shlex.join(["sh", "-c", SYSFS_SCRIPT, "sysfs", name, *files]))
    except ToolFailed as err:
        said = err.stderr.strip().splitlines()
        raise InputError(
            f"{host.spec.address}: cannot read {target.text}'s facts there"
            f" ({said[-1] if said else err.returncode})"
        ) from None
    with tempfile.TemporaryDirectory(prefix="nvmeprobe-sysfs-") as tmp:
        build_sysfs(parse_records(data), name, Path(tmp))
        capture = collect_block(name, sys_root=tmp, tools=ssh_tools(host))
    return {"target.txt": target.text.encode(), **capture}
