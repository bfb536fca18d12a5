"""recommend(): predict every workload x drive class, solve the mixed and single-class fleets,
advise.
"""

from __future__ import annotations

from math import ceil, inf

from nvmeprobe.errors import InputError
from nvmeprobe.recommend.advice import advise
from nvmeprobe.recommend.fleets import fleet_summary
from nvmeprobe.recommend.model import DriveClass, Workload
from nvmeprobe.recommend.optimise import Assignment, assign
from nvmeprobe.recommend.predict import Prediction, predict, reasons
from nvmeprobe.recommend.result import Recommendation

LATENCY_PREFIX = "p99 latency"


def unplaced_reason(workload: Workload, preds: list[Prediction], scope: str) -> str:
    """Why a workload fits no class: one line naming the binding constraint."""
    if all(p.binding.startswith(LATENCY_PREFIX) for p in preds):
        best = min(preds, key=lambda p: p.p99_s if p.p99_s is not None else inf)
        assert best.p99_s is not None and workload.p99_target_s is not None  # a latency binding
        lowest = f" (lowest on {best.drive})" if len(preds) > 1 else ""
        return (
            f"p99 latency {best.p99_s * 1000:.1f} ms > "
            f"target {workload.p99_target_s * 1000:.1f} ms on {scope}{lowest}"
        )
    return "; ".join(f"{p.drive}: {p.binding}" for p in preds)


def _solve(
    name: str,
    workloads: list[Workload],
    drives: list[DriveClass],
    preds: dict[tuple[str, str], Prediction],
) -> tuple[dict, Assignment, list[dict]]:
    """One fleet over `drives`: its summary, assignment and unplaced workloads."""
    scope = "every class" if len(drives) > 1 else drives[0].model
    unplaced, placeable = [], []
    for work in workloads:
        pair = [preds[(work.name, d.model)] for d in drives]
        if any(p.feasible for p in pair):
            placeable.append(work)
        else:
            unplaced.append({"workload": work.name, "binding": unplaced_reason(work, pair, scope)})
    assignment = assign(placeable, drives, preds)
    summary = fleet_summary(
        name, assignment, {w.name: w for w in workloads}, drives, preds, unplaced
    )
    return summary, assignment, unplaced


def recommend(workloads: list[Workload], drives: list[DriveClass]) -> Recommendation:
    """Place `workloads` on `drives` at the lowest cost; compare with one single-class fleet
    per drive.
    """
    if not workloads:
        raise InputError("no workloads to place")
    if not drives:
        raise InputError("no drive classes (profiles) to place workloads on")
    models = [d.model for d in drives]
    if len(set(models)) != len(models):
        raise InputError(f"drive classes must have distinct model names, got {', '.join(models)}")
    preds = {(w.name, d.model): predict(w, d) for w in workloads for d in drives}
    mixed, assignment, unplaced = _solve("mixed", workloads, drives, preds)
    fleets = [mixed] + [_solve(f"all-{d.model}", workloads, [d], preds)[0] for d in drives]
    by_model = {d.model: d for d in drives}
    by_name = {w.name: w for w in workloads}
    placements = []
    for (work_name, model), share in assignment.shares.items():
        work, drive = by_name[work_name], by_model[model]
        pred = preds[(work_name, model)]
        own = max(1, ceil(share * max(pred.demand.values()) - 1e-9))
        advice, settings = advise(work, drive, own)
        placements.append(
            {
                "workload": work_name,
                "drive": model,
                "share": share,
                "reasons": reasons(pred, work, drive),
                "advice": advice,
                "drives": own,
                "class_drives": assignment.drives[model],
                "settings": settings,
            }
        )
    return Recommendation(
        placements=placements,
        fleets=fleets,
        unplaced=unplaced,
        predictions=[p.to_dict() for p in preds.values()],
        drive_classes=[_describe(d) for d in drives],
    )


def _describe(drive: DriveClass) -> dict:
    """What the recommender assumed about a drive class (economics with their sources)."""
    econ = drive.economics
    return {
        "drive": drive.model,
        "iu_bytes": drive.iu_bytes,
        "iu_source": drive.iu_source,
        "pool": drive.pool,
        "capacity_bytes": econ.capacity_bytes,
        "measured_bytes": drive.measured_bytes,
        "perf_scale": econ.perf_scale,
        "price": econ.price,
        "price_source": econ.price_source,
        "endurance_bytes": econ.endurance_bytes,
        "endurance_source": econ.endurance_source,
        "dwpd_aligned": econ.dwpd(),
        "warranty_years": econ.warranty_years,
        "power_active_w": econ.power_active_w,
        "power_active_source": econ.power_active_source,
        "power_idle_w": econ.power_idle_w,
        "slc_cache_bytes": drive.slc.cache_bytes,
        "slc_in_cache_bw": drive.slc.in_cache_bw,
        "slc_post_cache_bw": drive.slc.post_cache_bw,
    }
