"""Vendor extended SMART text (pre-OCP drives): media (NAND) bytes written where the log states it.

Formats and units, each from the file's own labels, cross-checked against the erase
counts printed beside them (and against CacheLib's NandWrites, which reads the same logs):

- Intel `intel smart-log-add`: nand_bytes_written / host_bytes_written count 32 MiB units
  (Intel's F4h/F5h attributes; nvme-cli prints the word "sectors", but 224,943,088 units
  x 32 MiB = 7.5 PB on a 1.6 TB drive with ~3,560 average erase cycles fits, 512 B does not).
- Samsung `samsung vs-smart-add-log`: PhysicallyWrittenBytes, bytes.
- Liteon/SSSTC `liteon vs-smart-add-log`: "Physical(NAND) bytes written", bytes.
- Seagate `seagate vs-smart-add-log`: "Physical (NAND) bytes written" is a hex count of
  512,000-byte units despite its label (0x2d0cdc01b units = 6.2 PB against 2,572-2,888
  erases of a 1.92 TB drive; as literal bytes it would be 12 GB).
- Toshiba `toshiba vs-smart-add-log`: "Total data written to NAND" with its own unit (GiB...).
- WDC `wdc vs-smart-add-log`: the OCP "SMART Cloud Attributes" block (bytes, see ocp_log).
- SK hynix `skhms vs-nand-stats`: "Physical Media Units Written - TLC/SLC" with no unit
  stated: media_bytes_written stays None; the raw counts are in `fields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from nvmeprobe.discover.ocp_log import cloud_attribute_pairs, ocp_from_pairs
from nvmeprobe.discover.values import DATA_UNIT_BYTES, decode_text, norm_key, to_int, u128
from nvmeprobe.errors import InputError

INTEL_UNIT_BYTES = 32 * 1024 * 1024
_BINARY_UNITS = {
    "B": 1,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
    "PiB": 1024**5,
}


@dataclass(frozen=True)
class VendorSmart:
    """A vendor log: its format, media/host bytes written where stated, and every key/value."""

    format: str
    media_bytes_written: int | None
    host_bytes_written: int | None
    fields: dict[str, str] = field(default_factory=dict)


_INTEL_ROW = re.compile(r"^\s*0x[0-9a-f]+\s+(\w+)\s+\d+\s+(\d+)\s*$", re.IGNORECASE)
_SEAGATE_ROW = re.compile(r"^\s*(\S.*?)\s{2,}\d+\s+(0x[0-9a-f]+)\s*$", re.IGNORECASE)
_BIT_RANGE = re.compile(r"^\s*\[\d+:\d+\]\s*")


def vendor_fields(text: str) -> dict[str, str]:
    """{normalised label: raw value} from any of the vendor layouts (first occurrence wins)."""
    if "SMART Cloud Attributes" in text:
        return {k: str(u128(v)) for k, v in cloud_attribute_pairs(text).items()}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        row = _INTEL_ROW.match(line) or _SEAGATE_ROW.match(line)
        if row:
            fields.setdefault(norm_key(row[1]), row[2])
            continue
        key, sep, value = _BIT_RANGE.sub("", line).partition(":")
        if sep and key.strip():
            fields.setdefault(norm_key(key), value.strip())
    return fields


def parse_vendor_smart(data: bytes | str) -> VendorSmart:
    """A vendor extended SMART text capture."""
    text = decode_text(data)
    fields = vendor_fields(text)
    if not fields:
        raise InputError("vendor SMART: no key/value lines")
    if "SMART Cloud Attributes" in text:
        ocp = ocp_from_pairs(fields)
        return VendorSmart("ocp-text", ocp.media_bytes_written, None, fields)
    if "nandbyteswritten" in fields:
        return VendorSmart(
            "intel",
            _scaled(fields["nandbyteswritten"], INTEL_UNIT_BYTES),
            _scaled(fields.get("hostbyteswritten"), INTEL_UNIT_BYTES),
            fields,
        )
    if "physicallywrittenbytes" in fields:
        return VendorSmart("samsung", to_int(fields["physicallywrittenbytes"]), None, fields)
    if "Seagate Extended SMART" in text:
        return VendorSmart(
            "seagate",
            _scaled(fields.get("physicalnandbyteswritten"), DATA_UNIT_BYTES),
            _scaled(fields.get("physicalhostbyteswritten"), DATA_UNIT_BYTES),
            fields,
        )
    if "physicalnandbyteswritten" in fields:
        return VendorSmart("liteon", to_int(fields["physicalnandbyteswritten"]), None, fields)
    if "totaldatawrittentonand" in fields:
        return VendorSmart("toshiba", _with_unit(fields["totaldatawrittentonand"]), None, fields)
    if "physicalmediaunitswrittentlc" in fields:
        return VendorSmart("skhms", None, None, fields)
    return VendorSmart("unknown", None, None, fields)


def _scaled(raw: str | None, unit: int) -> int | None:
    """The last number in `raw` ('100%  sectors: 224943088' -> 224943088) times `unit`."""
    if raw is None:
        return None
    count = to_int(raw.split()[-1])
    return count * unit if count is not None else None


def _with_unit(raw: str) -> int:
    """'1133997.9 GiB' -> bytes (the printed value is already rounded; we round to a byte)."""
    match = re.match(r"^\s*([\d.]+)\s*(B|KiB|MiB|GiB|TiB|PiB)\b", raw)
    if not match:
        raise InputError(f"vendor SMART: cannot read a size from {raw!r}")
    return int((Decimal(match[1]) * _BINARY_UNITS[match[2]]).to_integral_value())
