"""Parsers for plan values; each returns a normalised, JSON-safe value or
raises `InputError` naming the value and where it was found.

Sizes: '16k', '0.5k', 4096 (binary multiples, as fio reads them).
Capacity-relative sizes (`region`, `size`): an absolute size, 'P%' (of the
stage's region, which defaults to the whole target) or 'Nx' (N times the
region, e.g. '2x' for a two-pass fill); kept as canonical strings until
`resolve_size` meets the target's facts.
Durations: '30s', '500ms', '2m' or a number of seconds, in whole
milliseconds for fio. The workload files of `recommend` use the same parsers.
"""

from __future__ import annotations

import re
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.units import parse_seconds, parse_size

_RELATIVE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|x)\s*$", re.IGNORECASE)


def _plain(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def size(value: Any, where: str, key: str, allow_zero: bool = False) -> int:
    """A size in bytes, positive (or zero if allowed)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(f"{where}: {key} = {_plain(value)} is not a size (use e.g. 4096, 16k, 1m)")
    try:
        result = parse_size(value)
    except InputError:
        raise InputError(
            f"{where}: {key} = {_plain(value)} is not a size (use e.g. 4096, 16k, 1m)"
        ) from None
    if result < 0 or (result == 0 and not allow_zero):
        raise InputError(
            f"{where}: {key} = {_plain(value)} must be {'>= 0' if allow_zero else 'positive'}"
        )
    return result


def relative_size(value: Any, where: str, key: str) -> int | str:
    """An absolute size (int bytes) or a canonical 'P%' / 'Nx' string."""
    if isinstance(value, str):
        match = _RELATIVE_RE.match(value)
        if match:
            number, unit = float(match.group(1)), match.group(2).lower()
            if number <= 0:
                raise InputError(f"{where}: {key} = {value!r} must be positive")
            return f"{number:g}{unit}"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(f"{where}: {key} = {_plain(value)} is not a size (use e.g. 1g, 25%, 2x)")
    try:
        result = parse_size(value)
    except InputError:
        raise InputError(
            f"{where}: {key} = {_plain(value)} is not a size (use e.g. 1g, 25%, 2x)"
        ) from None
    if result <= 0:
        raise InputError(f"{where}: {key} = {_plain(value)} must be positive")
    return result


def fraction_of_bs(value: str, where: str, key: str) -> str:
    """An alignment offset relative to the IO size: canonical 'P%', 0 < P < 100."""
    match = _RELATIVE_RE.match(value)
    if not match or match.group(2) != "%" or not 0 < float(match.group(1)) < 100:
        raise InputError(
            f"{where}: {key} = {value!r} must be a size or a percentage of bs"
            " between 0% and 100% (e.g. '50%')"
        )
    return f"{float(match.group(1)):g}%"


def resolve_size(spec: int | str, region_bytes: int) -> int:
    """Bytes for a normalised size spec, relative to `region_bytes`."""
    if isinstance(spec, int):
        return spec
    number, unit = float(spec[:-1]), spec[-1]
    factor = number / 100 if unit == "%" else number
    return int(region_bytes * factor)


def is_multiple(spec: int | str) -> bool:
    """True for an 'Nx' spec (may exceed its region on purpose)."""
    return isinstance(spec, str) and spec.endswith("x")


def seconds(
    value: Any, where: str, key: str, allow_zero: bool = False, whole_ms: bool = True
) -> float:
    """A duration in seconds, positive (or zero if allowed); in whole milliseconds (fio's
    resolution) unless `whole_ms` is False (e.g. a latency target of 0.25ms)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(
            f"{where}: {key} = {_plain(value)} is not a duration (use e.g. 30s, 500ms, 2m)"
        )
    try:
        result = parse_seconds(value)
    except InputError:
        raise InputError(
            f"{where}: {key} = {_plain(value)} is not a duration (use e.g. 30s, 500ms, 2m)"
        ) from None
    if result < 0 or (result == 0 and not allow_zero):
        raise InputError(
            f"{where}: {key} = {_plain(value)} must be {'>= 0' if allow_zero else 'positive'}"
        )
    if not whole_ms:
        return result
    if abs(result * 1000 - round(result * 1000)) > 1e-6:
        raise InputError(f"{where}: {key} = {_plain(value)} is finer than a millisecond")
    return round(result * 1000) / 1000


def integer(value: Any, where: str, key: str, low: int, high: int | None = None) -> int:
    """An int in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: {key} = {_plain(value)} is not a whole number")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InputError(f"{where}: {key} = {value} must be {bound}")
    return value


def boolean(value: Any, where: str, key: str) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise InputError(f"{where}: {key} = {_plain(value)} must be true or false")
    return value


def choice(value: Any, where: str, key: str, options: tuple[str, ...]) -> str:
    """One of `options`."""
    if value not in options:
        raise InputError(f"{where}: {key} = {_plain(value)} must be one of {', '.join(options)}")
    return value


def as_list(value: Any) -> list[Any]:
    """A dimension given as a scalar or a list, as a list."""
    return list(value) if isinstance(value, list) else [value]
