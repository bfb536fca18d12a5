"""Prediction for one workload on one drive class: rates, RMW, WAF, wear, burst, latency.

Every sizing constraint is expressed in drive-equivalents (how many drives of
the class the whole workload would need for it alone): capacity, load
(drive-seconds per second at the predicted per-drive rates: covers IOPS and
bandwidth at once), endurance (writes incl. WAF over the service life against
rated endurance) and burst (bytes one drive can absorb within the burst's
deadline, SLC cache first). The optimiser scales them by the share placed.

IO kinds: every (direction, IO size, random|sequential) of the workload. A
random write aligned to the workload's `alignment` starts at every multiple of
gcd(alignment, IU) inside an IU; aligned cells already carry the cost of
sub-IU sizes, and misalignment adds the ratio of the mean RMW factor over
those offsets to the aligned one (from the IU analysis when it measured those
offsets, else from IU geometry). Sequential writes are coalesced by the drive
and pay no RMW. The workload's p99 is the worst p99 over IO kinds carrying
>= 1% of its IOs (conservative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

import pandas as pd

from nvmeprobe.recommend.interpolate import Estimate, along_size, estimate
from nvmeprobe.recommend.iu import amplification, mean_amplification, start_offsets
from nvmeprobe.recommend.model import Burst, DriveClass, Workload
from nvmeprobe.units import format_bytes

SECONDS_PER_YEAR = 365.0 * 86400
LATENCY_SHARE = 0.01
CONSTRAINTS = ("capacity", "load", "endurance", "burst")


@dataclass(frozen=True)
class IoKind:
    """One kind of IO of a workload and its demand in IOs per second."""

    direction: str
    pattern: str
    bs: int
    iops: float
    alignment: int


@dataclass
class Prediction:
    """What one workload needs and gets on one drive class.

    `feasible` False says why in `binding`.
    """

    workload: str
    drive: str
    feasible: bool
    binding: str
    demand: dict[str, float] = field(default_factory=dict)
    p99_s: float | None = None
    iops_per_drive: float | None = None
    bw_per_drive: float | None = None
    rmw_factor: float | None = None
    waf: float | None = None
    waf_source: str | None = None
    rated_dwpd: float | None = None
    drives_alone: int | None = None
    dwpd_alone: float | None = None
    life_years_alone: float | None = None
    burst_bytes_per_drive: float | None = None
    burst_fits_cache: bool | None = None
    burst_seconds: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return dict(self.__dict__)


def io_kinds(workload: Workload) -> list[IoKind]:
    """Demand per IO kind; burst writes count in the average write rate."""
    kinds = []
    for direction, spec in (("read", workload.read), ("write", workload.write)):
        if spec is None:
            continue
        iops = workload.write_iops if direction == "write" else workload.read_iops
        for bs, share in spec.io_sizes:
            for pattern, part in (("random", spec.random), ("sequential", 1 - spec.random)):
                if part > 0:
                    kinds.append(
                        IoKind(direction, pattern, bs, iops * share * part, spec.alignment)
                    )
    return kinds


def rmw_factors(drive: DriveClass, bs: int, alignment: int) -> tuple[float, float, str]:
    """(mean RMW factor over the write's start offsets, aligned factor, source)."""
    offsets = start_offsets(alignment, drive.iu_bytes)
    by_offset: dict[int, float] = {}
    for offset in dict.fromkeys([0, *offsets]):
        points = pd.Series({b: f for b, o, f in drive.rmw if o == offset}, dtype=float).sort_index()
        factor = along_size(points, bs)
        if factor is None:
            break
        by_offset[offset] = factor
    else:
        return sum(by_offset[o] for o in offsets) / len(offsets), by_offset[0], "IU analysis"
    geometric = [amplification(bs, o, drive.iu_bytes) for o in offsets]
    return sum(geometric) / len(geometric), amplification(bs, 0, drive.iu_bytes), "IU geometry"


def _ms(seconds: float) -> str:
    """'2.1 ms'."""
    return f"{seconds * 1000:.1f} ms"


def predict(workload: Workload, drive: DriveClass) -> Prediction:
    """Predict `workload` on `drive`; an infeasible pair names its binding constraint."""
    pred = Prediction(workload=workload.name, drive=drive.model, feasible=True, binding="")
    kinds = io_kinds(workload)
    total_iops = sum(k.iops for k in kinds)
    load, write_bytes, write_time, waf_bytes, rmw_bytes = 0.0, 0.0, 0.0, 0.0, 0.0
    lat: list[float] = []
    lat_unknown = False
    waf_sources: set[str] = set()
    for kind in kinds:
        est = estimate(drive.rates, kind.direction, kind.pattern, kind.bs, workload.queue_depth)
        if est is None:
            pred.feasible = False
            pred.binding = f"no measured {kind.direction} cells on {drive.model}"
            return pred
        if kind.direction == "write":
            est, rmw, waf, source = _write_costs(drive, kind, est)
        pred.notes.extend(n for n in est.notes if n not in pred.notes)
        load += kind.iops / est.iops if kind.iops else 0.0
        if kind.direction == "write":
            bytes_s = kind.iops * kind.bs
            write_bytes += bytes_s
            write_time += kind.iops / est.iops
            waf_bytes += bytes_s * waf
            rmw_bytes += bytes_s * rmw
            waf_sources.add(source)
        if total_iops and kind.iops / total_iops >= LATENCY_SHARE:
            if est.p99_us is None:
                lat_unknown = True
            else:
                lat.append(est.p99_us / 1e6)
    pred.p99_s = max(lat) if lat else None
    if lat_unknown:
        pred.notes.append(
            "p99 latency not measured for every IO kind: the p99 shown covers the measured ones"
        )
    pred.iops_per_drive = total_iops / load if load else None
    pred.bw_per_drive = (sum(k.iops * k.bs for k in kinds) / load) if load else None
    if write_bytes:
        pred.waf, pred.rmw_factor = waf_bytes / write_bytes, rmw_bytes / write_bytes
        pred.waf_source = " and ".join(sorted(waf_sources))
        pred.rated_dwpd = drive.economics.dwpd(pred.waf)
    target = workload.p99_target_s
    if target is not None and pred.p99_s is not None and pred.p99_s > target:
        pred.feasible = False
        pred.binding = f"p99 latency {_ms(pred.p99_s)} > target {_ms(target)}"
        return pred
    _size(pred, workload, drive, load, write_bytes / write_time if write_time else None)
    return pred


def _write_costs(
    drive: DriveClass, kind: IoKind, est: Estimate
) -> tuple[Estimate, float, float, str]:
    """A write's estimate with misalignment applied, its RMW factor, its WAF and the WAF's
    source.
    """
    if kind.pattern == "sequential":
        measured = along_size(drive.waf_by_size["sequential"], kind.bs)
        return est, 1.0, measured or 1.0, "measured" if measured else "sequential (coalesced)"
    mean, aligned, source = rmw_factors(drive, kind.bs, kind.alignment)
    ratio = mean / aligned
    if ratio > 1:
        est = Estimate(
            iops=est.iops / ratio,
            p99_us=None if est.p99_us is None else est.p99_us * ratio,
            notes=(
                *est.notes,
                f"{format_bytes(kind.bs)} writes at {format_bytes(kind.alignment)} "
                f"alignment cost {ratio:.2f}x aligned ones ({source})",
            ),
        )
    geo_ratio = mean_amplification(kind.bs, kind.alignment, drive.iu_bytes) / amplification(
        kind.bs, 0, drive.iu_bytes
    )
    measured = along_size(drive.waf_by_size["random"], kind.bs)
    if measured is not None:
        return est, mean, measured * geo_ratio, "measured"
    return est, mean, amplification(kind.bs, 0, drive.iu_bytes) * geo_ratio, "IU geometry"


def _size(
    pred: Prediction, workload: Workload, drive: DriveClass, load: float, write_bw: float | None
) -> None:
    """Drive-equivalents per constraint, drives needed alone, wear and burst at that count."""
    econ = drive.economics
    yearly_media = workload.write_bytes_per_s * SECONDS_PER_YEAR * (pred.waf or 0.0)
    demand = {
        "capacity": workload.capacity_bytes / econ.capacity_bytes,
        "load": load,
        "endurance": yearly_media * workload.service_life_years / econ.endurance_bytes,
    }
    if workload.burst is not None:
        absorb = burst_capacity(drive, workload.burst, write_bw)
        if absorb <= 0:
            pred.feasible, pred.binding = (
                False,
                f"no write rate measured on {drive.model} for the burst",
            )
            return
        demand["burst"] = workload.burst.size_bytes / absorb
    pred.demand = demand
    pred.binding = max(demand, key=lambda name: demand[name])
    drives = max(1, ceil(demand[pred.binding] - 1e-9))
    pred.drives_alone = drives
    day_bytes = workload.write_bytes_per_s * 86400
    pred.dwpd_alone = day_bytes / (drives * econ.capacity_bytes)
    pred.life_years_alone = drives * econ.endurance_bytes / yearly_media if yearly_media else None
    if workload.burst:
        per_drive = workload.burst.size_bytes / drives
        pred.burst_bytes_per_drive = per_drive
        pred.burst_fits_cache = per_drive <= drive.slc.cache_bytes
        pred.burst_seconds = burst_seconds(drive, per_drive, write_bw)


def _burst_rates(drive: DriveClass, write_bw: float | None) -> tuple[float, float]:
    """(in-cache, post-cache) write rate for bursts: the SLC measurement, else the workload's
    write mix.
    """
    fallback = write_bw or 0.0
    slc = drive.slc
    return (slc.in_cache_bw or fallback), (slc.post_cache_bw or fallback)


def burst_capacity(drive: DriveClass, burst: Burst, write_bw: float | None) -> float:
    """Bytes one drive absorbs within the burst deadline: the SLC cache first, then the
    native rate.
    """
    in_bw, post_bw = _burst_rates(drive, write_bw)
    window = burst.within_s
    cache = drive.slc.cache_bytes
    if window * in_bw <= cache:
        return window * in_bw
    return cache + (window - cache / in_bw) * post_bw if in_bw else window * post_bw


def burst_seconds(drive: DriveClass, per_drive: float, write_bw: float | None) -> float | None:
    """Seconds one drive takes to write `per_drive` burst bytes."""
    in_bw, post_bw = _burst_rates(drive, write_bw)
    cache = drive.slc.cache_bytes
    if per_drive <= cache:
        return per_drive / in_bw if in_bw else None
    if not post_bw:
        return None
    return (cache / in_bw if in_bw else 0.0) + (per_drive - cache) / post_bw


def reasons(pred: Prediction, workload: Workload, drive: DriveClass) -> list[str]:
    """Human-readable reasons for a feasible pair (the why of a placement)."""
    out = []
    if pred.p99_s is not None and workload.p99_target_s is not None:
        out.append(f"p99 latency {_ms(pred.p99_s)} <= target {_ms(workload.p99_target_s)}")
    if pred.iops_per_drive:
        out.append(
            f"{pred.iops_per_drive:,.0f} IOPS ({format_bytes(pred.bw_per_drive)}/s) "
            f"per drive at this mix, QD {workload.queue_depth}"
        )
    if pred.waf is not None:
        out.append(
            f"RMW factor {pred.rmw_factor:.2f} on a {format_bytes(drive.iu_bytes)} IU, "
            f"effective WAF {pred.waf:.2f} ({pred.waf_source}): "
            f"rated {pred.rated_dwpd:.2f} DWPD for this write pattern"
        )
    sized = ", ".join(f"{name} {value:.2f}" for name, value in pred.demand.items())
    out.append(f"drive-equivalents needed alone: {sized}; binding: {pred.binding}")
    if pred.burst_bytes_per_drive is not None and workload.burst is not None:
        took = "-" if pred.burst_seconds is None else f"{pred.burst_seconds:.0f} s"
        cache = drive.slc.cache_bytes
        where = (
            f"{'fits' if pred.burst_fits_cache else 'exceeds'} the {format_bytes(cache)} SLC cache"
            if cache
            else "goes to a drive without SLC cache"
        )
        out.append(
            f"burst {format_bytes(workload.burst.size_bytes)} over {pred.drives_alone} drives = "
            f"{format_bytes(pred.burst_bytes_per_drive)} per drive {where}: {took} "
            f"(target {workload.burst.within_s:.0f} s)"
        )
    return out + pred.notes
