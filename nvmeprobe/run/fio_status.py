"""Parse fio's live status line (`--eta=always`) into numbers.

fio prints, many times a second on a terminal, lines such as
``Jobs: 1 (f=1): [w(1)][40.0%][w=159MiB/s][w=40.7k IOPS][eta 00m:03s]``
(mixed jobs: ``[r=1MiB/s,w=2MiB/s][r=256,w=512 IOPS]``). The runner uses them
for live progress, to stop a sustained write once its bandwidth drops, and
to notice a target that stopped completing IO (run/stall.py). fio shows
rates only while IO completes: none in its first ~2 s (``Jobs: 1 (f=1)``),
during ramp time, or while the target completes nothing. The first bracket
holds each job's state: ``w(1)``, or ``/(2),w(1)`` while two ramp up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BW_RE = re.compile(r"\[((?:[rwt]=[\d.]+[KMGT]?i?B/s,?)+)\]")
_IOPS_RE = re.compile(r"\[((?:[rwt]=[\d.]+[kMG]?,?)+) IOPS\]")
_JOBS_RE = re.compile(r"Jobs: \d+ \(f=\d+\)(?:: \[([^\]]*)\])?")
_ETA_RE = re.compile(r"\[eta (?:(\d+)d:)?(?:(\d+)h:)?(\d+)m:(\d+)s\]")
_BW_UNITS = {
    "B": 1,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
}
_COUNT_UNITS = {"": 1, "k": 1000, "M": 1000**2, "G": 1000**3}


@dataclass(frozen=True)
class FioStatus:
    """One status sample: rates in bytes/s and IO/s, None where fio printed none; job states.

    `states`: fio's state letters, one per job ('' before fio shows them): P C I
    setting up, p laying out files, / ramp time, r R w W m M random or
    sequential IO, V verify, F fsync, f finishing, E exited, _ reaped, X
    error, K killed.
    """

    read_bw: float | None = None
    write_bw: float | None = None
    read_iops: float | None = None
    write_iops: float | None = None
    eta_s: int | None = None
    states: str | None = None
    elapsed_s: float | None = None  # from a status dump (run/fio_progress.py): seconds run
    written_bytes: float | None = None  # and bytes written since the start, exact

    @property
    def iops(self) -> float | None:
        values = [v for v in (self.read_iops, self.write_iops) if v is not None]
        return sum(values) if values else None

    @property
    def has_rates(self) -> bool:
        """True when fio printed rates in this line (it does only while IO completes)."""
        return any(
            v is not None for v in (self.read_bw, self.write_bw, self.read_iops, self.write_iops)
        )

    @property
    def completing(self) -> bool:
        """True when some IO completed in fio's last interval (a rate above zero)."""
        return any(v for v in (self.read_bw, self.write_bw, self.read_iops, self.write_iops))


def _pairs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


def _bw(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)([KMGT]?i?B)/s", value)
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * _BW_UNITS[match.group(2)]


def _count(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)([kMG]?)", value)
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * _COUNT_UNITS[match.group(2)]


def parse_status(line: str) -> FioStatus | None:
    """A FioStatus from one status line (rates or not), or None when the line is not one."""
    bw_match, iops_match, jobs = _BW_RE.search(line), _IOPS_RE.search(line), _JOBS_RE.search(line)
    if not bw_match and not iops_match and not jobs:
        return None
    bw = _pairs(bw_match.group(1)) if bw_match else {}
    iops = _pairs(iops_match.group(1)) if iops_match else {}
    eta = _ETA_RE.search(line)
    eta_s = None
    if eta:
        d, h, m, s = (int(x) if x else 0 for x in eta.groups())
        eta_s = ((d * 24 + h) * 60 + m) * 60 + s
    try:
        return FioStatus(
            read_bw=_bw(bw["r"]) if "r" in bw else None,
            write_bw=_bw(bw["w"]) if "w" in bw else None,
            read_iops=_count(iops["r"]) if "r" in iops else None,
            write_iops=_count(iops["w"]) if "w" in iops else None,
            eta_s=eta_s,
            states=re.sub(r"\(\d+\)|,", "", jobs.group(1) or "") if jobs else None,
        )
    except ValueError:
        return None
