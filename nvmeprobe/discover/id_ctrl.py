"""Identify Controller: nvme-cli JSON, `nvme id-ctrl [-H]` text, or the raw 4096-byte page.

Raw page offsets (NVMe Base spec, Identify Controller): vid@0 u16, ssvid@2 u16, sn@4 (20
ASCII), mn@24 (40), fr@64 (8), npss@263 u8 (0's based), tnvmcap@280 (16 bytes),
endgidmax@340 u16; power state descriptors from @2048, 32 bytes each: max power u16 @+0,
flags @+3 (bit 0 MXPS: units of 0.0001 W instead of 0.01 W; bit 1 NOPS: non-operational).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.values import (
    ascii_field,
    clean_str,
    colon_pairs,
    le_uint,
    parse_capture,
    to_int,
)
from nvmeprobe.errors import InputError

PSD_OFFSET = 2048
PSD_BYTES = 32


@dataclass(frozen=True)
class PowerState:
    """One power state descriptor: its maximum power and whether I/O runs in it."""

    max_power_w: float
    operational: bool


@dataclass(frozen=True)
class ControllerFacts:
    """Identity and power facts from Identify Controller."""

    vendor_id: int | None
    subsystem_vendor_id: int | None
    serial: str | None
    model: str | None
    firmware: str | None
    total_capacity_bytes: int | None
    endgidmax: int | None
    power_states: tuple[PowerState, ...]

    @property
    def max_power_w(self) -> float | None:
        """The highest maximum power over the operational power states."""
        watts = [ps.max_power_w for ps in self.power_states if ps.operational]
        return max(watts) if watts else None


def psd_watts(max_power: int, scale_bit: int) -> float:
    """Max power field -> watts: centiwatts, or 0.0001 W units when MXPS is set."""
    return round(max_power * (0.0001 if scale_bit else 0.01), 4)


def parse_id_ctrl(data: bytes | str) -> ControllerFacts:
    """Identify Controller from any capture shape (JSON, text, raw page)."""
    return parse_capture(
        data, "id-ctrl", parse_id_ctrl_json, parse_id_ctrl_text, parse_id_ctrl_binary
    )


def parse_id_ctrl_json(doc: Any) -> ControllerFacts:
    """`nvme id-ctrl -o json` (1.x psd 'flags', 2.x 'max_power_scale'/'non-operational_state')."""
    if not isinstance(doc, dict) or "mn" not in doc:
        raise InputError("id-ctrl: JSON has no 'mn' (not an Identify Controller)")
    states = []
    for psd in doc.get("psds") or []:
        flags = to_int(psd.get("flags")) or 0
        scale = to_int(psd.get("max_power_scale"))
        nops = to_int(psd.get("non-operational_state"))
        states.append(
            PowerState(
                max_power_w=psd_watts(
                    to_int(psd.get("max_power")) or 0, scale if scale is not None else flags & 1
                ),
                operational=not (nops if nops is not None else flags & 2),
            )
        )
    return ControllerFacts(
        vendor_id=to_int(doc.get("vid")),
        subsystem_vendor_id=to_int(doc.get("ssvid")),
        serial=clean_str(doc.get("sn")),
        model=clean_str(doc.get("mn")),
        firmware=clean_str(doc.get("fr")),
        total_capacity_bytes=to_int(doc.get("tnvmcap")),
        endgidmax=to_int(doc.get("endgidmax")),
        power_states=tuple(states),
    )


_PS_LINE = re.compile(
    r"^\s*ps\s+\d+\s*:\s*mp:([\d.]+)W\s+(non-operational|operational)", re.IGNORECASE
)


def parse_id_ctrl_text(text: str) -> ControllerFacts:
    """`nvme id-ctrl` / `-H` / `--vendor-specific` text; a truncated capture gives what it holds."""
    pairs = colon_pairs(text)
    if "mn" not in pairs and "vid" not in pairs:
        raise InputError("id-ctrl: text has no vid/mn lines (not Identify Controller output)")
    states = tuple(
        PowerState(max_power_w=float(m[1]), operational=m[2].lower() == "operational")
        for m in map(_PS_LINE.match, text.splitlines())
        if m
    )
    return ControllerFacts(
        vendor_id=_hex(pairs.get("vid")),
        subsystem_vendor_id=_hex(pairs.get("ssvid")),
        serial=clean_str(pairs.get("sn")),
        model=clean_str(pairs.get("mn")),
        firmware=clean_str(pairs.get("fr")),
        total_capacity_bytes=to_int(pairs.get("tnvmcap")),
        endgidmax=to_int(pairs.get("endgidmax")),
        power_states=states,
    )


def _hex(value: str | None) -> int | None:
    """nvme-cli text prints vid/ssvid as hex ('0x1344')."""
    value = clean_str(value)
    return int(value, 16) if value else None


def parse_id_ctrl_binary(page: bytes) -> ControllerFacts:
    """The raw 4096-byte Identify Controller page."""
    if len(page) < PSD_OFFSET + PSD_BYTES:
        raise InputError(f"id-ctrl: raw page is {len(page)} bytes, expected 4096")
    states = []
    for i in range(page[263] + 1):
        base = PSD_OFFSET + PSD_BYTES * i
        flags = page[base + 3]
        states.append(
            PowerState(
                max_power_w=psd_watts(le_uint(page, base, 2), flags & 1), operational=not flags & 2
            )
        )
    return ControllerFacts(
        vendor_id=le_uint(page, 0, 2),
        subsystem_vendor_id=le_uint(page, 2, 2),
        serial=ascii_field(page, 4, 20),
        model=ascii_field(page, 24, 40),
        firmware=ascii_field(page, 64, 8),
        total_capacity_bytes=le_uint(page, 280, 16),
        endgidmax=le_uint(page, 340, 2),
        power_states=tuple(states),
    )
