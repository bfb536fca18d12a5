"""sysfs captures: "key=value" lines (queue limits) and a bare size file."""

from __future__ import annotations

from nvmeprobe.discover.values import decode_text, to_int
from nvmeprobe.errors import InputError


def parse_key_values(data: bytes | str) -> dict[str, int]:
    """{'logical_block_size': 4096, ...} from "key=value" lines.

    Lines without '=' (an `ls -l` line before the values) and keys whose value is empty
    (a sysfs file that could not be read) are skipped; InputError if nothing is left.
    """
    out: dict[str, int] = {}
    for line in decode_text(data).splitlines():
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or " " in key.strip():
            continue
        number = to_int(value)
        if number is not None:
            out[key.strip()] = number
    if not out:
        raise InputError("sysfs: no key=value lines")
    return out


def parse_size(data: bytes | str) -> int:
    """A device size in bytes from a file holding one integer."""
    size = to_int(decode_text(data).strip())
    if size is None:
        raise InputError("sysfs size: empty")
    return size


def parse_text_values(data: bytes | str) -> dict[str, str]:
    """{'model': 'QEMU HARDDISK', ...} from "key=value" lines, values kept as stripped text."""
    out: dict[str, str] = {}
    for line in decode_text(data).splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and value.strip():
            out[key.strip()] = value.strip()
    return out
