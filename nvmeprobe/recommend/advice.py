"""Advice for one placement: minimum write size and alignment, filesystem stripe settings, IU
pool.

The stripe unit is the workload's most common write size rounded up to a whole
number of IUs, kept within 64 KiB..1 MiB (and never below the IU), so every full
stripe-unit write is IU-aligned; the stripe width is the number of drives of
that class this placement needs for itself (its own volume). XFS's log stripe
unit is capped at 256 KiB (its maximum).
"""

from __future__ import annotations

from nvmeprobe.recommend.iu import mean_amplification
from nvmeprobe.recommend.model import DriveClass, Workload
from nvmeprobe.units import format_bytes, format_size_token

FS_BLOCK = 4096
SU_MIN, SU_MAX, XFS_LOG_SU_MAX = 64 * 1024, 1024 * 1024, 256 * 1024


def stripe_unit(workload: Workload, iu: int) -> int:
    """Stripe unit in bytes: the dominant write size (else read size) in whole IUs,
    64 KiB..1 MiB.
    """
    spec = workload.write or workload.read
    assert spec is not None  # workloads.py requires a read or a write table
    dominant = max(spec.io_sizes, key=lambda item: (item[1], item[0]))[0]
    unit = -(-dominant // iu) * iu
    return max(iu, min(max(unit, SU_MIN), max(SU_MAX, iu)))


def advise(workload: Workload, drive: DriveClass, drives: int) -> tuple[list[str], dict]:
    """(advice lines, settings) for `workload` on `drive` with `drives` drives of that class."""
    iu, pool = drive.iu_bytes, drive.pool
    iu_text = format_bytes(iu)
    lines = []
    write = workload.write
    if write is not None:
        small = [size for size, _ in write.io_sizes if size < iu]
        misaligned = write.random > 0 and write.alignment % iu != 0
        if small or misaligned:
            worst = min(size for size, _ in write.io_sizes)
            cost = mean_amplification(worst, write.alignment if write.random > 0 else iu, iu)
            lines.append(
                f"batch {workload.name} writes into {iu_text}-aligned writes of at least {iu_text} "
                f"(now {format_bytes(worst)} at {format_bytes(write.alignment)} alignment: "
                f"{cost:.1f}x media bytes per host byte)"
            )
        else:
            lines.append(
                f"{workload.name} writes are already whole, aligned {iu_text} IUs: keep them so"
            )
        lines.append(
            f"set the log-structured store's minimum write to {iu_text}, aligned to {iu_text}"
        )
    su = stripe_unit(workload, iu)
    stride = su // FS_BLOCK
    log_su = format_size_token(min(su, XFS_LOG_SU_MAX))
    xfs = f"mkfs.xfs -d su={format_size_token(su)},sw={drives} -l su={log_su}"
    ext4 = f"mkfs.ext4 -b {FS_BLOCK} -E stride={stride},stripe_width={stride * drives}"
    lines.append(f"XFS: {xfs}; ext4: {ext4}")
    lines.append(f"IU-aware storage: put these drives in the `{pool}` pool (IU {iu_text})")
    settings = {
        "pool": pool,
        "iu_bytes": iu,
        "min_write_bytes": iu,
        "alignment_bytes": iu,
        "stripe_unit_bytes": su,
        "stripe_width_drives": drives,
        "xfs": xfs,
        "ext4": ext4,
    }
    return lines, settings
