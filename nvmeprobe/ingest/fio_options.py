"""A fio job's parameters, read from the options fio echoes in its JSON.

fio prints only the options that were set; absent ones take fio's documented
defaults where fio has one for every platform (bs 4096, iodepth 1, numjobs 1,
rw read, rwmixread 50) and are unknown (None) otherwise (ioengine).
"""

from __future__ import annotations

from typing import Any, overload

from nvmeprobe.errors import InputError
from nvmeprobe.units import parse_size

DIRECTION_INDEX = {"read": 0, "write": 1, "trim": 2}
DEFAULT_BS = 4096


def merged_options(global_options: Any, job: dict[str, Any]) -> dict[str, str]:
    """ "global options" (a dict, or a one-item list in some outputs) overlaid by "job options"."""
    if isinstance(global_options, list):
        global_options = global_options[0] if global_options else {}
    return {**(global_options or {}), **(job.get("job options") or {})}


def mode(options: dict[str, str]) -> str:
    """fio's rw mode without a ':N' modifier ('randread:8' -> 'randread')."""
    return str(options.get("rw") or options.get("readwrite") or "read").split(":")[0]


def directions_of(rw: str) -> tuple[str, ...]:
    """IO directions a mode issues: randrw -> ('read', 'write'), trimwrite -> ('write', 'trim')."""
    if rw in ("rw", "readwrite", "randrw"):
        return ("read", "write")
    found = tuple(name for name in ("read", "write", "trim") if name in rw)
    return found or ("read",)


def block_size(options: dict[str, str], direction: str) -> int | None:
    """bs of one direction: '4k' -> 4096 for all; '4k,64k' -> read 4096, write 65536.

    None when the job mixes sizes (bssplit, bsrange).
    """
    if options.get("bssplit") or options.get("bsrange") or options.get("blocksize_range"):
        return None
    text = options.get("bs") or options.get("blocksize")
    if not text:
        return DEFAULT_BS
    parts = str(text).split(",")
    index = DIRECTION_INDEX[direction]
    # fio: a missing trailing value repeats the last one given; an empty one keeps the default
    part = parts[index] if index < len(parts) else parts[-1]
    return parse_size(part) if part.strip() else DEFAULT_BS


def alignment_offset(options: dict[str, str]) -> int | None:
    """fio's `offset` in bytes (0 when absent); None for a percentage offset.

    InputError for zone units ('10z') and anything else that is not a size.
    """
    text = str(options.get("offset", "0")).strip()
    if text.endswith("%"):
        return None
    if text.lower().endswith("z"):
        raise InputError(
            f"fio option offset={text!r} counts zones, whose size the results do not give"
        )
    return parse_size(text)


@overload
def integer(options: dict[str, str], name: str, default: int) -> int: ...
@overload
def integer(options: dict[str, str], name: str, default: None) -> int | None: ...
def integer(options: dict[str, str], name: str, default: int | None) -> int | None:
    """An integer option such as iodepth or numjobs; `default` when absent."""
    text = options.get(name)
    if text is None or str(text).strip() == "":
        return default
    try:
        return int(str(text).strip())
    except ValueError:
        raise InputError(f"fio option {name}={text!r} is not an integer") from None


def read_mix(options: dict[str, str], rw: str) -> int | None:
    """rwmixread (percent reads) for a mixed mode, None otherwise."""
    if directions_of(rw) != ("read", "write"):
        return None
    if options.get("rwmixread") is None and options.get("rwmixwrite") is not None:
        return 100 - integer(options, "rwmixwrite", 50)
    return integer(options, "rwmixread", 50)
