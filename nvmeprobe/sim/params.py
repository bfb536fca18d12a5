"""The true parameters of a simulated drive: what the model does, not what it reports.

Sizes are bytes, rates bytes/s, times seconds. Every time below is *modelled*
time; `time_scale` turns it into real (wall-clock) time: real = modelled *
time_scale. Rates given in modelled time (`fold_rate`) are divided by it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from nvmeprobe.errors import InputError

MAX_REQUEST_BYTES = 32 * 1024 * 1024
_LATER_FIELDS = frozenset({"hang_lbas"})


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
    hang_lbas: tuple[int, int] | None = None  # inclusive LBA range whose reads and writes never complete

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
        set, so a drive that does not use them keeps the serial it always had.
        """
        items = {k: v for k, v in asdict(self).items() if k not in _LATER_FIELDS or v is not None}
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

        return {
            "iu_bytes": self.iu,
            "reported_iu_bytes": self.reported_iu,
            "slc_bytes": self.slc_bytes,
            "in_cache_write_bw": rate(self.slc_program_time) if self.slc_bytes else None,
            "native_write_bw": rate(self.program_time),
            "read_bw": rate(self.read_time),
            "fold_bw": self.fold_rate / self.time_scale if self.slc_bytes else None,
            "endurance_bytes": self.pe_cycles * self.capacity,
        }


def _check(p: DriveParams) -> None:
    """Raise InputError (one line) when the parameters cannot describe a drive."""
    def fail(key: str, why: str) -> None:
        raise InputError(f"invalid sim parameter {key}: {why}")

    if p.lba < 512 or p.lba > 65536 or p.lba & (p.lba - 1):
        fail("lba", f"{p.lba} is not a power of two from 512 to 65536")
    if p.iu < p.lba or p.iu % p.lba or p.iu > MAX_REQUEST_BYTES:
        fail("iu", f"{p.iu} must be a multiple of lba ({p.lba}) and at most 32 MiB")
    if p.reported_iu is not None and (p.reported_iu < p.lba or p.reported_iu % p.lba):
        fail("report_iu", f"{p.reported_iu} must be 0 (not reported) or a multiple of lba ({p.lba})")
    if p.capacity <= 0 or p.capacity % p.iu or p.capacity > 2**46:
        fail("capacity", f"{p.capacity} must be a positive multiple of iu ({p.iu}) up to 64 TiB")
    if not 0 <= p.slc_bytes <= p.capacity:
        fail("slc", f"{p.slc_bytes} must be between 0 and the capacity")
    for key, value in (("fold", p.fold_rate), ("fold_delay_us", p.fold_delay),
                       ("slc_prog_us", p.slc_program_time), ("prog_us", p.program_time),
                       ("rmw_us", p.rmw_time), ("read_us", p.read_time)):
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
