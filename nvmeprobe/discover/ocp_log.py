"""OCP Datacenter NVMe SSD SMART / Health extended log (C0h, `nvme ocp smart-add-log`).

Accepts the JSON with spaced keys ("Physical media units written": {"hi", "lo"}), the
snake_case JSON of `--output-format-version=2`, a single 128-bit number instead of a
hi/lo pair (nvme-cli PR #3949), and the nvme-cli 1.x text block "SMART Cloud Attributes"
(both its "label -  hi lo" and "label : hi lo" layouts).

Units: the OCP spec defines Physical Media Units Written/Read as a count of BYTES written
to / read from the media (not 512,000-byte data units); CacheLib's NAND-writes code reads
the same field as bytes. Media bytes over host bytes is the drive's WAF. "Endurance
estimate" is passed through as the drive reports it (drives disagree on its unit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.values import norm_key, parse_capture, u128
from nvmeprobe.errors import InputError


@dataclass(frozen=True)
class OcpSmartLog:
    """The OCP C0 counters nvmeprobe uses."""

    media_bytes_written: int | None
    media_bytes_read: int | None
    unaligned_io: int | None
    endurance_estimate: int | None
    max_erase_count: int | None
    min_erase_count: int | None
    percent_free_blocks: int | None
    log_page_version: int | None


# normalised key (spaced, snake_case and text labels) -> field
_FIELDS = {
    "physicalmediaunitswritten": "media_bytes_written",
    "physicalmediaunitsread": "media_bytes_read",
    "unalignedio": "unaligned_io",
    "enduranceestimate": "endurance_estimate",
    "maxuserdataerasecounts": "max_erase_count",
    "maxuserdataerasecount": "max_erase_count",
    "minuserdataerasecounts": "min_erase_count",
    "minuserdataerasecount": "min_erase_count",
    "percentfreeblocks": "percent_free_blocks",
    "logpageversion": "log_page_version",
}


def ocp_from_pairs(pairs: dict[str, Any]) -> OcpSmartLog:
    """An OcpSmartLog from {normalised key: raw value}; InputError if it holds no C0 field."""
    values = {_FIELDS[k]: u128(v) for k, v in pairs.items() if k in _FIELDS}
    if "media_bytes_written" not in values:
        raise InputError("OCP C0 log: no 'Physical media units written' field")
    return OcpSmartLog(**{name: values.get(name) for name in set(_FIELDS.values())})


def parse_ocp_smart_log(data: bytes | str) -> OcpSmartLog:
    """OCP C0 log from nvme-cli JSON (either key style) or the 1.x text block."""
    return parse_capture(
        data,
        "OCP C0 log",
        _ocp_json,
        lambda text: ocp_from_pairs(cloud_attribute_pairs(text)),
    )


def _ocp_json(doc: Any) -> OcpSmartLog:
    if not isinstance(doc, dict):
        raise InputError("OCP C0 log: JSON is not an object")
    return ocp_from_pairs({norm_key(k): v for k, v in doc.items()})


# "label [-|:] [hi] value" where value is decimal or (0x)+hex; the label is everything before
_TEXT_LINE = re.compile(
    r"^\s*(?P<label>[A-Za-z%][^\t]*?)[\s:\-]+(?P<hi>\d+\s+)?(?P<value>(?:0x)+[0-9a-f]+|\d+)\s*$",
    re.IGNORECASE,
)


def cloud_attribute_pairs(text: str) -> dict[str, Any]:
    """{normalised label: value} from "SMART Cloud Attributes" text; hi/lo pairs become one int."""
    pairs: dict[str, Any] = {}
    for line in text.splitlines():
        match = _TEXT_LINE.match(line)
        if not match:
            continue
        value = re.sub(r"^(0x)+", "0x", match["value"].lower())  # nvme-cli 1.x prints "0x0xafd5..."
        pairs.setdefault(
            norm_key(match["label"]),
            {"hi": match["hi"].strip(), "lo": value} if match["hi"] else value,
        )
    return pairs
