"""The `inspect --json` contract (docs/design.md "Output contracts"): one dataclass per section.

`InspectReport.to_dict()` gives exactly the documented shape: `target`, `kind`,
`identity`, `geometry`, `iu`, `endurance`, plus `warnings` and `gaps`. Sizes are
bytes; unknown values are None (JSON null), never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Identity:
    """Who the drive is. vendor_id is the PCI vendor id as '0x144d' (hex, as PCI ids are read)."""

    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    vendor_id: str | None = None
    power_states_w: list[float] | None = None
    max_power_w: float | None = None


@dataclass(frozen=True)
class Geometry:
    """Block device geometry in bytes."""

    size_bytes: int | None = None
    logical_block_size: int | None = None
    physical_block_size: int | None = None
    minimum_io_size: int | None = None
    optimal_io_size: int | None = None


@dataclass(frozen=True)
class IuInfo:
    """The indirection unit the drive (or the kernel) reports, and where that came from."""

    reported_bytes: int | None = None
    write_alignment_bytes: int | None = None
    deallocate_granularity_bytes: int | None = None
    optimal_write_bytes: int | None = None
    source: str | None = None
    deallocate_alignment_bytes: int | None = None
    boundary_bytes: int | None = None


@dataclass(frozen=True)
class Endurance:
    """Wear and health counters; host/media bytes written give the lifetime WAF."""

    percent_used: int | None = None
    host_bytes_written: int | None = None
    media_bytes_written: int | None = None
    lifetime_waf: float | None = None
    unaligned_io: int | None = None
    endurance_estimate: int | None = None
    power_on_hours: int | None = None
    available_spare: int | None = None
    media_errors: int | None = None
    critical_warning: int | None = None
    temperature_c: int | None = None
    available_spare_threshold: int | None = None
    host_bytes_read: int | None = None
    media_bytes_source: str | None = None
    endurance_groups: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class InspectReport:
    """Everything `nvmeprobe inspect` knows about one target."""

    target: str
    kind: str | None
    identity: Identity
    geometry: Geometry
    iu: IuInfo
    endurance: Endurance
    warnings: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `inspect --json` document (128-bit counters stay exact Python ints)."""
        return asdict(self)
