"""The true parameters of a simulated drive: what the model does, not what it reports.

Sizes are bytes, rates bytes/s, times seconds. Every time below is *modelled*
time; `time_scale` turns it into real (wall-clock) time: real = modelled *
time_scale. Rates given in modelled time (`fold_rate`) are divided by it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from nvmeprobe.errors import InputError

MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_MAPPED_IUS = 2**25  # a drive with a dynamic cache keeps one byte per IU to track free space
REPORTS = ("all", "none")


@dataclass(frozen=True)
class DriveParams:
    """One drive's ground truth. Construct through `nvmeprobe.sim.spec.parse_spec`."""

    preset: str | None
    capacity: int
    lba: int
    iu: int
    reported_iu: int | None  # None: the drive does not report an IU (nsfeat bit 4 clear)
    slc_bytes: int
    fold_rate: float  # cache bytes recovered per modelled second of idle
    fold_delay: float  # modelled idle seconds before folding starts
    slc_program_time: float  # per IU programmed into the SLC cache
    program_time: float  # per IU programmed at the native rate
    rmw_time: float  # extra per partially covered IU (reading the old IU)
    read_time: float  # per IU read
    units: int  # parallel units: IU operations in service at once
    time_scale: float
    noise: float  # sigma of a mean-1 log-normal factor on every IU operation; 0 = exact
    seed: int
    eio_rate: float  # probability that a read or write fails with EIO
    eio_lbas: tuple[int, int] | None  # inclusive LBA range whose reads and writes fail
    store_bytes: int  # bound on the memory holding written data
    pe_cycles: int  # rated program/erase cycles (endurance)
    hang_lbas: tuple[int, int] | None = (
        None  # inclusive LBA range whose reads and writes never complete
    )
    # Later fields: each default is "off" and leaves the drive as it was (see `_LATER_FIELDS`).
    heat_rise: float = 0.0  # degrees C above ambient with every unit busy; 0 = no heat model
    heat_tau: float = 0.5  # thermal time constant (modelled seconds)
    ambient_c: float = 40.0  # temperature of an idle drive
    throttle_c: float = 77.0  # throttling starts at this temperature ...
    throttle_hyst_c: float = 2.0  # ... and ends this much below it
    throttle_factor: float = 3.0  # every operation's cost is multiplied by this while throttled
    wctemp_c: float = 70.0  # warning composite temperature threshold (Identify wctemp)
    cctemp_c: float = 80.0  # critical composite temperature threshold (Identify cctemp)
    slc_free_share: float = 0.0  # share of free (unwritten or trimmed) space run as cache
    folding_bytes: int = 0  # host bytes written at the folding rate after the cache fills
    fold_program_time: float = 0.0  # per IU programmed while folding
    refresh: float = 0.0  # modelled seconds between counter refreshes of the logs; 0 = live
    report: str = "all"  # "none": no SMART / OCP logs, no temperatures (as a foreign NBD export)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def model_name(self) -> str:
        """Identify Controller model number: 'nvmeprobe-sim qlc-16k' or 'nvmeprobe-sim custom'."""
        return f"nvmeprobe-sim {self.preset or 'custom'}"

    @property
    def serial(self) -> str:
        """A 20-character serial derived from every parameter (same params, same serial).

        Fields added after the first release (`_LATER_FIELDS`) count only when
        they differ from their default, so a drive that does not use them keeps
        the serial it always had.
        """
        items = {
            k: v for k, v in asdict(self).items() if k not in _LATER_FIELDS or v != _LATER_FIELDS[k]
        }
        text = repr(sorted(items.items()))
        return "NPS" + hashlib.sha256(text.encode()).hexdigest()[:17].upper()

    def to_dict(self) -> dict:
        """Plain JSON-able dict of the parameters (the ground truth)."""
        data = asdict(self)
        data["eio_lbas"] = list(self.eio_lbas) if self.eio_lbas else None
        data["hang_lbas"] = list(self.hang_lbas) if self.hang_lbas else None
        return data

    def truth(self) -> dict:
        """Derived real-time rates a measurement should recover (bytes/s, wall clock).

        Write rates assume IU-aligned writes of whole IUs with all units busy.
        """

        def rate(per_iu: float) -> float | None:
            return None if per_iu <= 0 else self.units * self.iu / (per_iu * self.time_scale)

        cached = self.slc_bytes > 0 or self.slc_free_share > 0
        return {
            "iu_bytes": self.iu,
            "reported_iu_bytes": self.reported_iu,
            "slc_bytes": self.slc_bytes,
            "in_cache_write_bw": rate(self.slc_program_time) if cached else None,
            "native_write_bw": rate(self.program_time),
            "read_bw": rate(self.read_time),
            "fold_bw": self.fold_rate / self.time_scale if cached else None,
            "endurance_bytes": self.pe_cycles * self.capacity,
            **self._later_truth(rate),
        }

    def _later_truth(self, rate: Callable[[float], float | None]) -> dict:
        """Truths of the later behaviours, present only on drives that use them."""
        truth: dict = {}
        if self.slc_free_share:
            truth["empty_cache_bytes"] = self.slc_bytes + self.dynamic_cache(self.capacity)
        if self.folding_bytes:
            truth["folding_write_bw"] = rate(self.fold_program_time)
            truth["folding_bytes"] = self.folding_bytes
        if self.heat_rise:
            truth["heat"] = {
                "tau_s": self.heat_tau * self.time_scale,
                "full_load_c": self.ambient_c + self.heat_rise,
                "throttle_c": self.throttle_c,
                "unthrottle_c": self.throttle_c - self.throttle_hyst_c,
                "throttle_factor": self.throttle_factor,
                "onset_at_full_load_s": self.onset_at(1.0),
                "throttling_load": (self.throttle_c - self.ambient_c) / self.heat_rise,
            }
        if self.refresh:
            truth["refresh_s"] = self.refresh * self.time_scale
        if self.report != "all":
            truth["reports"] = self.report
        return truth

    def dynamic_cache(self, free_bytes: int) -> int:
        """The cache's share of `free_bytes` of free space, in whole IUs."""
        return int(self.slc_free_share * free_bytes) // self.iu * self.iu

    def onset_at(self, load: float) -> float | None:
        """Real seconds from ambient to throttling at a steady `load` (share of units busy).

        None when that load never heats the drive to `throttle_c`.
        """
        target = self.ambient_c + self.heat_rise * load
        if not self.heat_rise or target <= self.throttle_c:
            return None
        ratio = (self.ambient_c - target) / (self.throttle_c - target)
        return self.heat_tau * math.log(ratio) * self.time_scale


def _check(p: DriveParams) -> None:
    """Raise InputError (one line) when the parameters cannot describe a drive."""

    def fail(key: str, why: str) -> None:
        raise InputError(f"invalid sim parameter {key}: {why}")

    if p.lba < 512 or p.lba > 65536 or p.lba & (p.lba - 1):
        fail("lba", f"{p.lba} is not a power of two from 512 to 65536")
    if p.iu < p.lba or p.iu % p.lba or p.iu > MAX_REQUEST_BYTES:
        fail("iu", f"{p.iu} must be a multiple of lba ({p.lba}) and at most 32 MiB")
    if p.reported_iu is not None and (p.reported_iu < p.lba or p.reported_iu % p.lba):
        fail(
            "report_iu", f"{p.reported_iu} must be 0 (not reported) or a multiple of lba ({p.lba})"
        )
    if p.capacity <= 0 or p.capacity % p.iu or p.capacity > 2**46:
        fail("capacity", f"{p.capacity} must be a positive multiple of iu ({p.iu}) up to 64 TiB")
    if not 0 <= p.slc_bytes <= p.capacity:
        fail("slc", f"{p.slc_bytes} must be between 0 and the capacity")
    for key, value in (
        ("fold", p.fold_rate),
        ("fold_delay_us", p.fold_delay),
        ("slc_prog_us", p.slc_program_time),
        ("prog_us", p.program_time),
        ("rmw_us", p.rmw_time),
        ("read_us", p.read_time),
    ):
        if value < 0:
            fail(key, "must not be negative")
    if not 1 <= p.units <= 256:
        fail("units", f"{p.units} must be from 1 to 256")
    if not 0 < p.time_scale <= 1e6:
        fail("scale", f"{p.time_scale} must be above 0 and at most 1e6")
    if not 0 <= p.noise <= 1:
        fail("noise", f"{p.noise} must be from 0 to 1")
    if not 0 <= p.eio_rate <= 1:
        fail("eio_rate", f"{p.eio_rate} must be from 0 to 1")
    for key, lbas in (("eio_lba", p.eio_lbas), ("hang_lba", p.hang_lbas)):
        if lbas is not None and not 0 <= lbas[0] <= lbas[1] < p.capacity // p.lba:
            fail(key, f"{lbas[0]}-{lbas[1]} must be an LBA range inside the drive")
    if not 0 <= p.store_bytes <= p.capacity:
        fail("store", f"{p.store_bytes} must be between 0 and the capacity")
    if p.pe_cycles <= 0:
        fail("pe", "must be positive")
    _check_later(p, fail)


def _check_later(p: DriveParams, fail: Callable[[str, str], None]) -> None:
    """The checks of the later fields (heat, dynamic cache, folding, refresh, report)."""
    if p.heat_rise < 0 or p.heat_rise > 200:
        fail("heat", f"{p.heat_rise} must be from 0 to 200 (degrees C at full load)")
    if p.heat_tau <= 0:
        fail("heat_tau_us", "must be positive")
    if not p.ambient_c < p.throttle_c - p.throttle_hyst_c:
        fail("throttle_c", f"{p.throttle_c} minus throttle_hyst_c must be above ambient_c")
    if p.throttle_hyst_c < 0:
        fail("throttle_hyst_c", "must not be negative")
    if not 1 <= p.throttle_factor <= 100:
        fail("throttle_x", f"{p.throttle_factor} must be from 1 to 100")
    if not p.ambient_c < p.wctemp_c <= p.cctemp_c:
        fail("wctemp_c", "ambient_c < wctemp_c <= cctemp_c does not hold")
    if not 0 <= p.slc_free_share <= 1:
        fail("slc_free", f"{p.slc_free_share} must be from 0 to 1")
    if p.slc_free_share and p.capacity // p.iu > MAX_MAPPED_IUS:
        fail("slc_free", f"needs capacity / iu <= {MAX_MAPPED_IUS} (free space is tracked per IU)")
    if p.folding_bytes < 0 or p.fold_program_time < 0:
        fail("folding", "folding and fold_prog_us must not be negative")
    if p.folding_bytes and not (p.slc_bytes or p.slc_free_share):
        fail("folding", "needs an SLC cache (slc or slc_free)")
    if p.refresh < 0:
        fail("refresh_us", "must not be negative")
    if p.report not in REPORTS:
        fail("report", f"{p.report!r} must be one of {', '.join(REPORTS)}")


_LATER_FIELDS = {
    f.name: f.default
    for f in fields(DriveParams)
    if f.name
    in (
        "hang_lbas",
        "heat_rise",
        "heat_tau",
        "ambient_c",
        "throttle_c",
        "throttle_hyst_c",
        "throttle_factor",
        "wctemp_c",
        "cctemp_c",
        "slc_free_share",
        "folding_bytes",
        "fold_program_time",
        "refresh",
        "report",
    )
}
"""Fields added after the first release -> their default (off) value."""
