"""smartctl JSON: `smartctl -j -a DEV` (identity, geometry, the NVMe SMART log) and `--scan -j`.

smartctl prints the NVMe SMART / Health log under `nvme_smart_health_information_log`
with temperature already in Celsius and keys `percentage_used`, `host_reads`, ...
An `--info`-only capture has no log: its `smart` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.smart_log import SmartLog, smart_from_pairs
from nvmeprobe.discover.values import clean_str, load_json, norm_key, to_int
from nvmeprobe.errors import InputError


@dataclass(frozen=True)
class SmartctlFacts:
    """What one `smartctl -j` device capture says."""

    device: str | None
    model: str | None
    serial: str | None
    firmware: str | None
    vendor_id: int | None
    size_bytes: int | None
    total_capacity_bytes: int | None
    logical_block_size: int | None
    smart: SmartLog | None


@dataclass(frozen=True)
class ScannedDevice:
    """One device from `smartctl --scan -j`."""

    name: str
    type: str | None
    protocol: str | None


def _doc(data: bytes | str) -> dict[str, Any]:
    doc = load_json(data, "smartctl")
    if not isinstance(doc, dict) or "smartctl" not in doc:
        raise InputError("smartctl: JSON has no 'smartctl' section (not smartctl -j output)")
    return doc


def _nested(doc: dict[str, Any], *path: str | int) -> Any:
    node: Any = doc
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and len(node) > step else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return node


def parse_smartctl(data: bytes | str) -> SmartctlFacts:
    """A `smartctl -j -a` (or `--info`) device capture."""
    doc = _doc(data)
    health = doc.get("nvme_smart_health_information_log")
    smart = None
    if isinstance(health, dict):
        smart = smart_from_pairs(
            {norm_key(k): v for k, v in health.items()}, to_int(health.get("temperature"))
        )
    return SmartctlFacts(
        device=clean_str(_nested(doc, "device", "name")),
        model=clean_str(doc.get("model_name")),
        serial=clean_str(doc.get("serial_number")),
        firmware=clean_str(doc.get("firmware_version")),
        vendor_id=to_int(_nested(doc, "nvme_pci_vendor", "id")),
        size_bytes=to_int(_nested(doc, "nvme_namespaces", 0, "size", "bytes"))
        or to_int(_nested(doc, "user_capacity", "bytes")),
        total_capacity_bytes=to_int(doc.get("nvme_total_capacity")),
        logical_block_size=to_int(doc.get("logical_block_size"))
        or to_int(_nested(doc, "nvme_namespaces", 0, "formatted_lba_size")),
        smart=smart,
    )


def parse_smartctl_scan(data: bytes | str) -> list[ScannedDevice]:
    """Devices listed by `smartctl --scan -j`."""
    devices = _doc(data).get("devices")
    if not isinstance(devices, list):
        raise InputError("smartctl --scan: no 'devices' list")
    return [
        ScannedDevice(
            name=str(d["name"]),
            type=clean_str(d.get("type")),
            protocol=clean_str(d.get("protocol")),
        )
        for d in devices
        if isinstance(d, dict) and d.get("name")
    ]
