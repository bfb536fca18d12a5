"""SMART / Health Information log (log page 02h): nvme-cli JSON and text, or the raw 512-byte page.

JSON shapes: nvme-cli 1.x (the 'critical_warrning' typo), 2.3 (critical_warning an int),
2.11 (critical_warning an object with 'value'); counters as bare numbers or decimal
strings, kept as exact ints. Temperature is in Kelvin (converted: K - 273).
Data units are 1000 * 512 bytes (NVMe Base spec; docs/field-notes.md section 2).

Raw page (little-endian): critical_warning@0, temperature@1 (u16 K), avail_spare@3,
spare_thresh@4, percent_used@5, then 16-byte counters: data_units_read@32,
data_units_written@48, host_read_cmds@64, host_write_cmds@80, ctrl_busy_time@96,
power_cycles@112, power_on_hours@128, unsafe_shutdowns@144, media_errors@160,
num_err_log_entries@176.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.values import (
    DATA_UNIT_BYTES,
    colon_pairs,
    le_uint,
    norm_key,
    parse_capture,
    to_int,
)
from nvmeprobe.errors import InputError

SMART_PAGE_BYTES = 512
KELVIN_OFFSET = 273


@dataclass(frozen=True)
class SmartLog:
    """The health counters nvmeprobe uses; None where the capture did not carry one."""

    critical_warning: int | None
    temperature_c: int | None
    available_spare: int | None
    available_spare_threshold: int | None
    percent_used: int | None
    data_units_read: int | None
    data_units_written: int | None
    host_read_commands: int | None
    host_write_commands: int | None
    power_on_hours: int | None
    power_cycles: int | None
    unsafe_shutdowns: int | None
    media_errors: int | None
    error_log_entries: int | None

    @property
    def host_bytes_written(self) -> int | None:
        """Data units written * 512,000 bytes."""
        return (
            self.data_units_written * DATA_UNIT_BYTES
            if self.data_units_written is not None
            else None
        )

    @property
    def host_bytes_read(self) -> int | None:
        """Data units read * 512,000 bytes."""
        return self.data_units_read * DATA_UNIT_BYTES if self.data_units_read is not None else None


# normalised key -> SmartLog field; covers nvme-cli JSON/text (1.x, 2.x) and smartctl JSON
_ALIASES = {
    "criticalwarning": "critical_warning",
    "criticalwarrning": "critical_warning",
    "availspare": "available_spare",
    "availablespare": "available_spare",
    "sparethresh": "available_spare_threshold",
    "availablesparethreshold": "available_spare_threshold",
    "percentused": "percent_used",
    "percentageused": "percent_used",
    "dataunitsread": "data_units_read",
    "dataunitswritten": "data_units_written",
    "hostreadcommands": "host_read_commands",
    "hostreads": "host_read_commands",
    "hostwritecommands": "host_write_commands",
    "hostwrites": "host_write_commands",
    "poweronhours": "power_on_hours",
    "powercycles": "power_cycles",
    "unsafeshutdowns": "unsafe_shutdowns",
    "mediaerrors": "media_errors",
    "mediaanddataintegrityerrors": "media_errors",
    "numerrlogentries": "error_log_entries",
    "errorinformationlogentries": "error_log_entries",
}


def smart_from_pairs(pairs: dict[str, Any], temperature_c: int | None) -> SmartLog:
    """A SmartLog from {normalised key: raw value}; the caller converts temperature."""
    values: dict[str, int | None] = {}
    for key, raw in pairs.items():
        name = _ALIASES.get(key)
        if name and name not in values:
            values[name] = to_int(raw)
    if not values:
        raise InputError("smart-log: none of the SMART/Health fields are present")
    return SmartLog(
        temperature_c=temperature_c, **{f: values.get(f) for f in set(_ALIASES.values())}
    )


def parse_smart_log(data: bytes | str) -> SmartLog:
    """A SMART log from any capture shape; a text capture holding several logs gives the last."""
    return parse_capture(
        data,
        "smart-log",
        parse_smart_log_json,
        lambda text: parse_smart_log_text(text)[-1],
        parse_smart_log_binary,
    )


def parse_smart_log_json(doc: Any) -> SmartLog:
    """`nvme smart-log -o json` (temperature in Kelvin)."""
    if not isinstance(doc, dict):
        raise InputError("smart-log: JSON is not an object")
    kelvin = to_int(doc.get("temperature"))
    return smart_from_pairs({norm_key(k): v for k, v in doc.items()}, _celsius(kelvin))


def _celsius(kelvin: int | None) -> int | None:
    return kelvin - KELVIN_OFFSET if kelvin else None


_BLOCK_START = re.compile(r"^\s*Smart Log for NVME device", re.IGNORECASE | re.MULTILINE)
_KELVIN = re.compile(r"(\d+)\s*K\b")
_CELSIUS = re.compile(r"^\s*(-?\d+)\s*°?\s*C\b")


def parse_smart_log_text(text: str) -> list[SmartLog]:
    """Every `nvme smart-log` text block in `text`, in order.

    Values read like '1,234 (1.2 TB)' or '26 C'.
    """
    starts = [m.start() for m in _BLOCK_START.finditer(text)] or [0]
    blocks = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    return [_text_block(block) for block in blocks]


def _text_block(block: str) -> SmartLog:
    pairs = colon_pairs(block)
    temp = pairs.get("temperature", "")
    kelvin, celsius = _KELVIN.search(temp), _CELSIUS.match(temp)
    temperature_c = (
        int(kelvin[1]) - KELVIN_OFFSET if kelvin else int(celsius[1]) if celsius else None
    )
    return smart_from_pairs(pairs, temperature_c)


_COUNTERS = {
    "data_units_read": 32,
    "data_units_written": 48,
    "host_read_commands": 64,
    "host_write_commands": 80,
    "power_cycles": 112,
    "power_on_hours": 128,
    "unsafe_shutdowns": 144,
    "media_errors": 160,
    "error_log_entries": 176,
}


def parse_smart_log_binary(page: bytes) -> SmartLog:
    """The raw 512-byte SMART / Health log page."""
    if len(page) < SMART_PAGE_BYTES:
        raise InputError(f"smart-log: raw page is {len(page)} bytes, expected {SMART_PAGE_BYTES}")
    return SmartLog(
        critical_warning=page[0],
        temperature_c=_celsius(le_uint(page, 1, 2)),
        available_spare=page[3],
        available_spare_threshold=page[4],
        percent_used=page[5],
        **{name: le_uint(page, offset, 16) for name, offset in _COUNTERS.items()},
    )
