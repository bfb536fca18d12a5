"""`nvme list`: the flat JSON of nvme-cli 1.x-2.3, the nested JSON of 2.11+, and the text table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.values import clean_str, parse_capture, to_int
from nvmeprobe.errors import InputError


@dataclass(frozen=True)
class ListedNamespace:
    """One namespace block device as `nvme list` shows it."""

    device: str
    model: str | None
    serial: str | None
    firmware: str | None
    size_bytes: int | None
    logical_block_size: int | None


def parse_nvme_list(data: bytes | str) -> list[ListedNamespace]:
    """Namespaces from `nvme list -o json` (either JSON shape) or the plain `nvme list` table."""
    return parse_capture(data, "nvme list", parse_nvme_list_json, parse_nvme_list_text)


def parse_nvme_list_json(doc: Any) -> list[ListedNamespace]:
    """Namespaces of `nvme list` JSON, flat or nested.

    Flat: "Devices": [{DevicePath, ...}]; nested: HostNQN/Subsystems/Controllers/Namespaces.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("Devices"), list):
        raise InputError("nvme list: no 'Devices' list in the JSON")
    found: dict[str, ListedNamespace] = {}
    for entry in doc["Devices"]:
        if not isinstance(entry, dict):
            continue
        if "Subsystems" in entry:
            for ns in _nested_namespaces(entry):
                found.setdefault(ns.device, ns)
        elif "DevicePath" in entry:
            ns = _flat_namespace(entry)
            found.setdefault(ns.device, ns)
    return list(found.values())


def _flat_namespace(entry: dict[str, Any]) -> ListedNamespace:
    return ListedNamespace(
        device=str(entry["DevicePath"]),
        model=clean_str(entry.get("ModelNumber")),
        serial=clean_str(entry.get("SerialNumber")),
        firmware=clean_str(entry.get("Firmware")),
        size_bytes=to_int(entry.get("PhysicalSize")),
        logical_block_size=to_int(entry.get("SectorSize")),
    )


def _nested_namespaces(host: dict[str, Any]) -> list[ListedNamespace]:
    out: list[ListedNamespace] = []
    for subsystem in host.get("Subsystems") or []:
        controllers = subsystem.get("Controllers") or []
        for ctrl in controllers:
            out.extend(_ns_entry(ns, ctrl) for ns in ctrl.get("Namespaces") or [])
        # multipath namespaces hang off the subsystem; identity comes from its first controller
        owner = controllers[0] if controllers else {}
        out.extend(_ns_entry(ns, owner) for ns in subsystem.get("Namespaces") or [])
    return out


def _ns_entry(ns: dict[str, Any], ctrl: dict[str, Any]) -> ListedNamespace:
    name = str(ns.get("NameSpace") or ns.get("Name") or "")
    if not name:
        raise InputError("nvme list: a namespace entry has no name")
    return ListedNamespace(
        device=name if name.startswith("/dev/") else f"/dev/{name}",
        model=clean_str(ctrl.get("ModelNumber")),
        serial=clean_str(ctrl.get("SerialNumber")),
        firmware=clean_str(ctrl.get("Firmware")),
        size_bytes=to_int(ns.get("PhysicalSize")),
        logical_block_size=to_int(ns.get("SectorSize")),
    )


_TEXT_ROW = re.compile(
    r"^\s*(?P<device>/dev/\S+)\s+(?:/dev/ng\S+\s+)?(?P<serial>\S+)\s+(?P<model>.+?)\s+"
    r"(?P<nsid>0x[0-9a-f]+|\d+)\s+[\d.]+\s+[kMGTP]?B\s+/\s+[\d.]+\s+[kMGTP]?B\s+"
    r"(?P<lba>\d+)\s+(?P<lba_unit>B|KiB|MiB)\s+\+\s+\d+\s+B\s+(?P<firmware>\S+)\s*$",
    re.IGNORECASE,
)
_LBA_UNIT = {"b": 1, "kib": 1024, "mib": 1024 * 1024}


def parse_nvme_list_text(text: str) -> list[ListedNamespace]:
    """Rows of the plain `nvme list` table.

    The table prints sizes rounded to three digits ("1.88 TB"), so size_bytes is None here:
    a rounded capacity is not the device's size.
    """
    rows = []
    for line in text.splitlines():
        match = _TEXT_ROW.match(line)
        if match:
            rows.append(
                ListedNamespace(
                    device=match["device"],
                    model=match["model"].strip(),
                    serial=match["serial"],
                    firmware=match["firmware"],
                    size_bytes=None,
                    logical_block_size=int(match["lba"]) * _LBA_UNIT[match["lba_unit"].lower()],
                )
            )
    if not rows:
        raise InputError("nvme list: no device rows in the text output")
    return rows


def pick_namespace(listed: list[ListedNamespace], target: str) -> ListedNamespace | None:
    """The entry for `target` (or the only entry when the capture lists one device)."""
    for ns in listed:
        if ns.device == target:
            return ns
    return listed[0] if len(listed) == 1 else None
