"""Indirection-unit geometry: what a write of a given size and alignment costs a drive.

docs/field-notes.md section 8: one write of `length` bytes at `offset` on an IU of
`iu` bytes programs (roundup(offset+length, iu) - rounddown(offset, iu)) bytes,
i.e. amplifies by that over `length`. A stream of random writes aligned to
`alignment` bytes starts at every multiple of gcd(alignment, iu) inside an IU
equally often, so its expected amplification is the mean over those offsets.
"""

from __future__ import annotations

from math import gcd

from nvmeprobe.errors import InputError

SMALL_IU_POOL = "iu4k"
BIG_IU_POOL = "iubig"
SMALL_IU_MAX = 4096


def amplification(length: int, offset: int, iu: int) -> float:
    """Bytes programmed per byte written for one write of `length` at `offset` on an `iu` IU."""
    if length <= 0 or iu <= 0 or offset < 0:
        raise InputError(
            f"IU amplification needs positive sizes (length={length}, iu={iu}, offset={offset})"
        )
    start = offset // iu * iu
    end = -(-(offset + length) // iu) * iu
    return (end - start) / length


def start_offsets(alignment: int, iu: int) -> list[int]:
    """Offsets inside an IU at which writes aligned to `alignment` start, each equally often."""
    if alignment <= 0 or iu <= 0:
        raise InputError(f"alignment and IU must be positive (alignment={alignment}, iu={iu})")
    step = gcd(alignment, iu)
    return list(range(0, iu, step))


def mean_amplification(length: int, alignment: int, iu: int) -> float:
    """Expected amplification of random `length`-byte writes aligned to `alignment` bytes."""
    offsets = start_offsets(alignment, iu)
    return sum(amplification(length, off, iu) for off in offsets) / len(offsets)


def pool_name(iu: int) -> str:
    """IU-aware drive pool: `iu4k` for IU <= 4 KiB, `iubig` otherwise (WEKA's split)."""
    return SMALL_IU_POOL if iu <= SMALL_IU_MAX else BIG_IU_POOL
