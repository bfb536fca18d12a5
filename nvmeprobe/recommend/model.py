"""The recommender's inputs: workloads and drive classes, as plain frozen data.

A `DriveClass` is one drive model as measured (cells, analysis findings,
inspect facts) plus its economics (`economics.py`). `drive_class_from_profile`
takes the profile pieces as the other stages produce them: `cells` with the
docs/design.md cell columns, `findings` shaped like `analyze --json`, `facts` like
`inspect --json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.recommend.economics import Economics, resolve_economics
from nvmeprobe.recommend.interpolate import rate_table, waf_table
from nvmeprobe.recommend.iu import pool_name

CELL_COLUMNS = (
    "rw",
    "direction",
    "bs",
    "offset",
    "iodepth",
    "numjobs",
    "iops",
    "bw_bytes",
    "lat_p99_us",
    "lat_p99_99_us",
    "host_bytes_written",
    "media_bytes_written",
)
DEFAULT_IU = 4096


@dataclass(frozen=True)
class IoSpec:
    """One direction of a workload: average rate, IO size mix, random share, write alignment."""

    rate_bytes: float
    io_sizes: tuple[tuple[int, float], ...]
    random: float
    alignment: int

    @property
    def mean_size(self) -> float:
        """Mean IO size in bytes (IO sizes weighted by their share of IOs)."""
        return sum(size * share for size, share in self.io_sizes)

    @property
    def iops(self) -> float:
        """Average IOs per second."""
        return self.rate_bytes / self.mean_size


@dataclass(frozen=True)
class Burst:
    """`size_bytes` written every `every_s` seconds, to be finished within `within_s`."""

    size_bytes: int
    every_s: float
    within_s: float


@dataclass(frozen=True)
class Workload:
    """A named workload: what it stores, reads and writes, and the targets it must meet."""

    name: str
    capacity_bytes: int
    read: IoSpec | None
    write: IoSpec | None
    burst: Burst | None
    queue_depth: int
    p99_target_s: float | None
    service_life_years: float
    splittable: bool
    description: str = ""

    @property
    def write_bytes_per_s(self) -> float:
        """Average write rate, bursts included."""
        steady = self.write.rate_bytes if self.write else 0.0
        return steady + (self.burst.size_bytes / self.burst.every_s if self.burst else 0.0)

    @property
    def read_iops(self) -> float:
        """Average reads per second."""
        return self.read.iops if self.read else 0.0

    @property
    def write_iops(self) -> float:
        """Average writes per second, bursts included."""
        return self.write_bytes_per_s / self.write.mean_size if self.write else 0.0

    @property
    def read_fraction(self) -> float | None:
        """Share of IOs that are reads (None for a workload without IO)."""
        total = self.read_iops + self.write_iops
        return self.read_iops / total if total else None


@dataclass(frozen=True)
class SlcCache:
    """SLC cache at nominal capacity and performance scale; rates None when not measured."""

    detected: bool
    cache_bytes: float
    in_cache_bw: float | None
    post_cache_bw: float | None


@dataclass(frozen=True, eq=False)
class DriveClass:
    """One drive model, measured and priced."""

    model: str
    iu_bytes: int
    iu_source: str
    economics: Economics
    rates: pd.DataFrame
    waf_by_size: dict[str, pd.Series]
    rmw: tuple[tuple[int, int, float], ...]
    slc: SlcCache
    measured_bytes: int

    @property
    def pool(self) -> str:
        """IU pool name for IU-aware storage (`iu4k` or `iubig`)."""
        return pool_name(self.iu_bytes)


def _section(doc: dict | None, key: str) -> dict:
    """A sub-object of a JSON document, {} when absent or null."""
    value = (doc or {}).get(key)
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    """A usable positive number, else None (unknown values are None, never 0)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and number == number else None


def _iu(findings: dict, facts: dict) -> tuple[int, str]:
    """The IU the drive behaves with: inferred, else reported (analysis, inspect, kernel),
    else 4 KiB.
    """
    candidates = (
        (_section(findings, "iu").get("inferred_bytes"), "inferred by analysis"),
        (_section(findings, "iu").get("reported_bytes"), "reported by the drive"),
        (_section(facts, "iu").get("reported_bytes"), "reported by the drive"),
        (_section(facts, "geometry").get("minimum_io_size"), "kernel minimum_io_size"),
    )
    for value, source in candidates:
        number = _number(value)
        if number:
            return int(number), source
    return DEFAULT_IU, "unknown: 4 KiB assumed"


def _cells(cells: pd.DataFrame, model: str) -> pd.DataFrame:
    """The cell columns the recommender uses, numeric, checked."""
    missing = [c for c in CELL_COLUMNS if c not in cells.columns]
    if missing:
        raise InputError(f"profile {model}: cells lack column(s) {', '.join(missing)}")
    out = cells.loc[:, list(CELL_COLUMNS)].copy()
    for column in CELL_COLUMNS[2:]:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    bad = out["direction"].notna() & ~out["direction"].isin(["read", "write"])
    if bad.any():
        found = out.loc[bad, "direction"].iloc[0]
        raise InputError(f"profile {model}: direction must be 'read' or 'write', got {found!r}")
    return out.dropna(subset=["bs", "offset", "iodepth", "numjobs"])


def drive_class_from_profile(
    model: str, cells: pd.DataFrame, findings: dict, facts: dict, economics: dict | None
) -> DriveClass:
    """A drive class from one profile's cells, `analyze --json` findings and
    `inspect --json` facts.
    """
    if not model:
        raise InputError("a drive class needs a model name")
    table = _cells(cells, model)
    if table.empty:
        raise InputError(f"profile {model}: no measured cells")
    iu, iu_source = _iu(findings, facts)
    measured = _number(_section(facts, "geometry").get("size_bytes"))
    given_capacity = (economics or {}).get("capacity_bytes")
    if measured is None and given_capacity is None:
        raise InputError(f"profile {model}: size unknown; give economics capacity_bytes")
    identity = _section(facts, "identity")
    watts = [w for w in identity.get("power_states_w") or [] if _number(w)]
    max_power = _number(identity.get("max_power_w")) or (max(watts) if watts else None)
    estimate = _number(_section(facts, "endurance").get("endurance_estimate"))
    econ = resolve_economics(
        economics,
        pool_name(iu),
        int(measured) if measured else 0,
        int(estimate) if estimate and measured else None,
        max_power,
    )
    measured_bytes = int(measured) if measured else econ.capacity_bytes
    rates = rate_table(table)
    scale = econ.perf_scale
    rates["iops"] = rates["iops"] * scale
    rates["p99_us"] = rates["p99_us"] / scale
    return DriveClass(
        model=model,
        iu_bytes=iu,
        iu_source=iu_source,
        economics=econ,
        rates=rates,
        waf_by_size=waf_table(table),
        rmw=_rmw_points(findings),
        slc=_slc(findings, econ, measured_bytes),
        measured_bytes=measured_bytes,
    )


def _rmw_points(findings: dict) -> tuple[tuple[int, int, float], ...]:
    """(bs, offset, factor) points of the IU analysis, sorted."""
    points = []
    for point in _section(findings, "iu").get("rmw_amplification") or []:
        bs, factor = _number(point.get("bs")), _number(point.get("factor"))
        offset = point.get("offset")
        if bs and factor and isinstance(offset, (int, float)) and offset >= 0:
            points.append((int(bs), int(offset), factor))
    return tuple(sorted(points))


def _slc(findings: dict, econ: Economics, measured_bytes: int) -> SlcCache:
    """SLC cache at nominal capacity (the cache scales with it) and performance scale.

    A drive that throttles under sustained writes (the `thermal` finding)
    sustains its post-throttle rate: that is its rate past any cache.
    """
    slc = _section(findings, "slc")
    in_bw, post_bw = _number(slc.get("in_cache_bw")), _number(slc.get("post_cache_bw"))
    heat = _section(findings, "thermal")
    throttled = _number(heat.get("rate_after")) if heat.get("detected") else None
    if throttled:
        post_bw = min(post_bw, throttled) if post_bw else throttled
        in_bw = in_bw or _number(heat.get("rate_before"))
    cache = _number(slc.get("cache_bytes")) if slc.get("detected") else None
    recovered = slc.get("recovered_bytes")
    if (
        cache
        and isinstance(recovered, (int, float))
        and not isinstance(recovered, bool)
        and recovered >= 0
    ):
        cache = min(cache, recovered)  # between bursts only what idle time recovers is free again
    scale = econ.perf_scale
    return SlcCache(
        detected=bool(slc.get("detected")),
        cache_bytes=(cache or 0.0) * econ.capacity_bytes / measured_bytes,
        in_cache_bw=in_bw * scale if in_bw else None,
        post_cache_bw=post_bw * scale if post_bw else None,
    )
