"""Sizes and durations: parse what users type, print what people read."""

from __future__ import annotations

import re

from nvmeprobe.errors import InputError

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_TIME_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$", re.IGNORECASE)
_TIME_FACTOR = {"ms": 0.001, "s": 1.0, "": 1.0, "m": 60.0, "h": 3600.0}


def parse_size(text: str | int) -> int:
    """Bytes from '4096', '16k', '16KiB', '1.5g' (binary multiples, as fio reads them)."""
    if isinstance(text, int):
        return text
    match = _SIZE_RE.match(str(text))
    if not match:
        raise InputError(f"not a size: {text!r} (use e.g. 4096, 16k, 64m, 1g)")
    number, prefix, _ = match.groups()
    value = float(number) * 1024 ** _POWERS[prefix.lower()]
    if value != int(value):
        raise InputError(f"size {text!r} is not a whole number of bytes")
    return int(value)


def parse_seconds(text: str | int | float) -> float:
    """Seconds from '30', '30s', '500ms', '2m', '1h'."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _TIME_RE.match(str(text))
    if not match:
        raise InputError(f"not a duration: {text!r} (use e.g. 30s, 500ms, 2m)")
    number, unit = match.groups()
    return float(number) * _TIME_FACTOR[unit.lower()]


def format_bytes(value: int | float | None) -> str:
    """'16 KiB', '1.5 GiB'; '-' for unknown."""
    if value is None:
        return "-"
    value = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            if unit == "B" or value == int(value):
                return f"{int(value)} {unit}" if value == int(value) else f"{value:.1f} {unit}"
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_size_token(value: int) -> str:
    """Compact fio-style size: 4096 -> '4k', 131072 -> '128k', 1000 -> '1000'."""
    for suffix, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)
