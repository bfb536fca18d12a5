"""Drive economics: price, rated endurance, power, nominal capacity and performance scale.

Keys a caller may give (all optional; unknown keys are an InputError):

| key | meaning | default |
|---|---|---|
| `capacity_bytes` | nominal capacity for fleet sizing (int or size string) | the measured size |
| `perf_scale` | multiplies measured rates and SLC rates, divides latencies | 1.0 |
| `price` | US$ per drive | `price_per_tb` x nominal TB |
| `price_per_tb` | US$ per 10**12 bytes | 110 (iu4k, TLC-like), 65 (iubig, QLC-like) |
| `dwpd` | drive writes a day at IU-aligned writes over `warranty_years` | 1.0 (iu4k), 0.6 (iubig) |
| `tbw` | rated terabytes (10**12) written at IU-aligned writes | - |
| `pe_cycles` | rated program/erase cycles: rated bytes = cycles x capacity | - |
| `warranty_years` | period a DWPD rating covers | 5 |
| `power_active_w` | power while busy | id-ctrl max operational power, else 20 (iu4k) / 25 (iubig) |
| `power_idle_w` | power when idle | 5 |

Why these defaults (docs/field-notes.md section 8): TLC-class drives (4 KiB IU, D7-P5520,
CD8-R, 7450 PRO) are rated ~1 DWPD; QLC-class drives with 16-64 KiB IUs 0.26-1.0 DWPD
at IU-aligned writes (D5-P5336 0.58 at 16 KiB-aligned random, 6550 ION 1.0), so 0.6.
Street prices (2024-25) put high-capacity QLC at ~$55-80/TB and enterprise TLC at
~$90-130/TB: QLC is cheaper per TB, TLC cheaper per IOPS (that follows from the
measured rates). Datacenter QLC draws ~25 W writing, ~5 W idle; TLC drives of the same
class ~20 W active.

Rated endurance is held as the host bytes the drive may take as IU-aligned writes
(`endurance_bytes`); writes that are smaller than or misaligned to the IU use it up
faster by their effective WAF, which reproduces the pattern-dependent ratings (6550 ION:
1.0 DWPD at 16K random, 0.5 at 8K, 0.25 at 4K random = 1.0 / IU amplification).
Precedence: `dwpd`, `tbw` or `pe_cycles` given here; else the drive's own endurance
estimate (`facts.endurance.endurance_estimate`, bytes, scaled to the nominal capacity);
else the class default DWPD.

Tiny, time-scaled simulated drives: give `capacity_bytes` (e.g. 30.72 TB) and
`perf_scale` (the simulator's time scale); the SLC cache scales with capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.units import parse_size

TB = 10**12
DAYS_PER_YEAR = 365.0

CLASS_DEFAULTS: dict[str, dict[str, float]] = {
    "iu4k": {"price_per_tb": 110.0, "dwpd": 1.0, "power_active_w": 20.0, "power_idle_w": 5.0},
    "iubig": {"price_per_tb": 65.0, "dwpd": 0.6, "power_active_w": 25.0, "power_idle_w": 5.0},
}
"""Defaults by IU pool (see the module docstring for the sources)."""

DEFAULT_WARRANTY_YEARS = 5.0
KEYS = {
    "capacity_bytes",
    "perf_scale",
    "price",
    "price_per_tb",
    "dwpd",
    "tbw",
    "pe_cycles",
    "warranty_years",
    "power_active_w",
    "power_idle_w",
}


@dataclass(frozen=True)
class Economics:
    """Resolved economics of one drive class; `*_source` says where a value came from."""

    capacity_bytes: int
    perf_scale: float
    price: float
    price_source: str
    endurance_bytes: float
    endurance_source: str
    warranty_years: float
    power_active_w: float
    power_active_source: str
    power_idle_w: float

    def dwpd(self, amplification: float = 1.0) -> float:
        """Drive writes per day over the warranty for writes with this IU amplification."""
        days = DAYS_PER_YEAR * self.warranty_years
        return self.endurance_bytes / amplification / (self.capacity_bytes * days)


def _positive(given: dict[str, Any], key: str) -> float | None:
    """A positive number from `given`, or None when absent."""
    value = given.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputError(f"economics: {key} must be a positive number, got {value!r}")
    return float(value)


def resolve_economics(
    given: dict[str, Any] | None,
    pool: str,
    measured_bytes: int,
    endurance_estimate: int | None,
    max_power_w: float | None,
) -> Economics:
    """Economics from what the caller gave, the drive's own facts, then the pool defaults."""
    given = dict(given or {})
    unknown = sorted(set(given) - KEYS)
    if unknown:
        raise InputError(
            f"economics: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    defaults = CLASS_DEFAULTS[pool]
    raw_capacity = given.get("capacity_bytes")
    capacity = parse_size(raw_capacity) if raw_capacity is not None else measured_bytes
    if capacity <= 0:
        raise InputError(f"economics: capacity_bytes must be positive, got {raw_capacity!r}")
    warranty = _positive(given, "warranty_years") or DEFAULT_WARRANTY_YEARS
    price, price_source = _price(given, defaults, capacity)
    endurance, endurance_source = _endurance(
        given, defaults, capacity, warranty, measured_bytes, endurance_estimate
    )
    active = _positive(given, "power_active_w")
    active_source = "given"
    if active is None:
        active, active_source = (
            (max_power_w, "id-ctrl power states")
            if max_power_w
            else (defaults["power_active_w"], f"{pool} default")
        )
    idle = _positive(given, "power_idle_w") or defaults["power_idle_w"]
    return Economics(
        capacity_bytes=capacity,
        perf_scale=_positive(given, "perf_scale") or 1.0,
        price=price,
        price_source=price_source,
        endurance_bytes=endurance,
        endurance_source=endurance_source,
        warranty_years=warranty,
        power_active_w=active,
        power_active_source=active_source,
        power_idle_w=min(idle, active),
    )


def _price(given: dict[str, Any], defaults: dict[str, float], capacity: int) -> tuple[float, str]:
    """US$ per drive: given, else per-TB price x nominal TB."""
    if given.get("price") is not None and given.get("price_per_tb") is not None:
        raise InputError("economics: give price or price_per_tb, not both")
    price = _positive(given, "price")
    if price is not None:
        return price, "given"
    per_tb = _positive(given, "price_per_tb")
    source = "given price_per_tb" if per_tb is not None else "class default price_per_tb"
    per_tb = per_tb if per_tb is not None else defaults["price_per_tb"]
    return per_tb * capacity / TB, f"{source} ${per_tb:g}/TB"


def _endurance(
    given: dict[str, Any],
    defaults: dict[str, float],
    capacity: int,
    warranty: float,
    measured_bytes: int,
    estimate: int | None,
) -> tuple[float, str]:
    """Rated host bytes at IU-aligned writes, and where the figure came from."""
    ratings = [key for key in ("dwpd", "tbw", "pe_cycles") if given.get(key) is not None]
    if len(ratings) > 1:
        raise InputError(f"economics: give one endurance rating, not {' and '.join(ratings)}")
    days = DAYS_PER_YEAR * warranty
    if ratings:
        key = ratings[0]
        rated = _positive(given, key)
        assert rated is not None  # `ratings` lists only the keys given
        scale, label = {
            "dwpd": (capacity * days, "given DWPD"),
            "tbw": (TB, "given TBW"),
            "pe_cycles": (capacity, "given P/E cycles"),
        }[key]
        return rated * scale, label
    if estimate:
        return estimate * capacity / measured_bytes, "drive endurance estimate"
    return defaults["dwpd"] * capacity * days, f"class default {defaults['dwpd']:g} DWPD"
