"""Which IU the drive reports: Identify Namespace OPTPERF fields first, then sysfs.

docs/field-notes.md section 1: npwg (0's based LBAs) is the preferred write granularity;
Linux maps it to queue/minimum_io_size (and may understate it in physical_block_size,
which is capped by the atomic write size), so sysfs minimum_io_size is the fallback,
never physical_block_size. With neither, the only granularity known is the LBA size.
"""

from __future__ import annotations

from typing import Any

from nvmeprobe.discover.facts import IuInfo
from nvmeprobe.discover.id_ns import NamespaceFacts

SOURCE_NPWG = "id-ns npwg"
SOURCE_SYSFS = "sysfs minimum_io_size"
SOURCE_LBA = "lba size (drive reports no IU)"


def _positive(sysfs: dict[str, int], key: str) -> int | None:
    value = sysfs.get(key)
    return value if value else None


def decode_iu(ns: NamespaceFacts | None, sysfs_queue: dict[str, int] | None) -> IuInfo:
    """The reported IU and its companions (alignment, deallocate granularity, optimal write)."""
    sysfs = sysfs_queue or {}
    lba = (ns.lba_size if ns else None) or _positive(sysfs, "logical_block_size")
    optimal = (ns.optimal_write_bytes if ns else None) or _positive(sysfs, "optimal_io_size")
    dealloc = (ns.deallocate_granularity_bytes if ns else None) or _positive(
        sysfs, "discard_granularity"
    )
    common: dict[str, Any] = {
        "deallocate_granularity_bytes": dealloc,
        "optimal_write_bytes": optimal,
        "deallocate_alignment_bytes": ns.deallocate_alignment_bytes if ns else None,
        "boundary_bytes": ns.boundary_bytes if ns else None,
    }
    if ns is not None and ns.write_granularity_bytes:
        return IuInfo(
            reported_bytes=ns.write_granularity_bytes,
            write_alignment_bytes=ns.write_alignment_bytes,
            source=SOURCE_NPWG,
            **common,
        )
    min_io = _positive(sysfs, "minimum_io_size")
    if min_io and lba and min_io > lba:
        return IuInfo(reported_bytes=min_io, source=SOURCE_SYSFS, **common)
    if lba:
        return IuInfo(reported_bytes=lba, write_alignment_bytes=lba, source=SOURCE_LBA, **common)
    return IuInfo(**common)
