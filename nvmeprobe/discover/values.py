"""Coercing raw tool output: exact integers, 128-bit counters, key normalisation, byte fields.

Shared by every discover parser. Numbers are never routed through float: nvme-cli prints
128-bit counters as bare JSON numbers or decimal strings that can exceed 2**64.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from nvmeprobe.errors import InputError

DATA_UNIT_BYTES = 1000 * 512
"""One NVMe SMART 'data unit' (Data Units Read/Written): 1000 units of 512 bytes."""

T = TypeVar("T")

_NUMBER_RE = re.compile(r"^\s*(0x[0-9a-f]+|[0-9][0-9,_]*)", re.IGNORECASE)


def decode_text(data: bytes | str) -> str:
    """Text from captured bytes (UTF-8; undecodable bytes replaced, never fatal)."""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def sniff(data: bytes | str) -> Literal["json", "text", "binary", "empty"]:
    """What kind of capture this is: JSON, plain text, a raw binary page, or nothing."""
    raw = data.encode() if isinstance(data, str) else data
    stripped = raw.strip()
    if not stripped:
        return "empty"
    if b"\x00" in raw[:4096]:
        return "binary"
    if stripped[:1] in (b"{", b"["):
        return "json"
    return "text"


def parse_capture(
    data: bytes | str,
    what: str,
    json_doc: Callable[[Any], T],
    text: Callable[[str], T],
    binary: Callable[[bytes], T] | None = None,
) -> T:
    """Hand a capture to the parser for its shape (`sniff`): a JSON document, text, or a raw
    page where `binary` is given; InputError for an empty (or unparsable binary) capture."""
    kind = sniff(data)
    if kind == "json":
        return json_doc(load_json(data, what))
    if kind == "text":
        return text(decode_text(data))
    if binary is None:
        raise InputError(f"{what}: empty or binary output")
    if kind == "binary":
        return binary(data if isinstance(data, bytes) else data.encode())
    raise InputError(f"{what}: empty output")


def load_json(data: bytes | str, what: str) -> Any:
    """Parse JSON exactly (integers stay Python ints of any size); InputError if malformed."""
    try:
        return json.loads(decode_text(data))
    except ValueError as err:
        raise InputError(f"{what}: not valid JSON ({err})") from None


def to_int(value: Any) -> int | None:
    """An exact int from a JSON number, a decimal/hex string, or '1,234' text; None if absent.

    Raises InputError for anything that is not a whole number (a float with a fraction,
    a word): a silently wrong counter is worse than a gap.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise InputError(f"expected a whole number, got {value!r}")
    if isinstance(value, dict) and "value" in value:
        return to_int(value["value"])
    text = str(value).strip()
    if text in ("", "-"):
        return None
    match = _NUMBER_RE.match(text)
    if not match:
        raise InputError(f"expected a number, got {value!r}")
    token = match.group(1).replace(",", "").replace("_", "")
    return int(token, 16) if token.lower().startswith("0x") else int(token)


def u128(value: Any) -> int | None:
    """A 128-bit counter given as {"hi": h, "lo": l} (h << 64 | l) or as one number."""
    if isinstance(value, dict) and "hi" in value and "lo" in value:
        hi, lo = to_int(value["hi"]), to_int(value["lo"])
        if hi is None or lo is None:
            return None
        return (hi << 64) | lo
    return to_int(value)


def norm_key(label: str) -> str:
    """'Physical media units written' and 'physical_media_units_written' -> one key."""
    return re.sub(r"[^a-z0-9]", "", label.lower())


def le_uint(buf: bytes, offset: int, size: int) -> int:
    """Little-endian unsigned integer of `size` bytes at `offset`."""
    return int.from_bytes(buf[offset : offset + size], "little")


def ascii_field(buf: bytes, offset: int, size: int) -> str | None:
    """A space/NUL padded ASCII identify field, stripped; None when blank."""
    text = buf[offset : offset + size].decode("ascii", errors="replace").strip(" \x00")
    return text or None


def clean_str(value: Any) -> str | None:
    """A stripped string, None when absent or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def colon_pairs(text: str) -> dict[str, str]:
    """'key : value' lines -> {norm_key(key): value}. First occurrence wins.

    Lines whose key starts with '[' (nvme-cli -H bit breakdowns) are skipped.
    """
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key or key.startswith("["):
            continue
        pairs.setdefault(norm_key(key), value.strip())
    return pairs
