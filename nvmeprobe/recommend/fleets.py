"""Fleet figures: cost, capacity, $/TB, capacity per slot, IOPS per watt, wear-limited lifetime.

Power per class is idle power plus its utilisation (load drive-equivalents over
drives) times the active-idle difference; IOPS per watt is the IOPS the placed
workloads demand over that power. `lifetime_years` is wear-limited: the years
until the class that wears fastest has used its rated endurance (None without
writes). An infeasible fleet (some workload fits no class in it) still reports
the figures of the part it can carry, and lists the rest under `unplaced`.
"""

from __future__ import annotations

from nvmeprobe.recommend.model import DriveClass, Workload
from nvmeprobe.recommend.optimise import Assignment
from nvmeprobe.recommend.predict import SECONDS_PER_YEAR, Prediction

TB = 10**12


def fleet_summary(
    name: str,
    assignment: Assignment,
    workloads: dict[str, Workload],
    drives: list[DriveClass],
    preds: dict[tuple[str, str], Prediction],
    unplaced: list[dict],
) -> dict:
    """The `fleets` entry for one solved fleet."""
    cost = capacity = power = 0.0
    slots = 0
    lifetimes = []
    for drive in drives:
        count = assignment.drives.get(drive.model, 0)
        if not count:
            continue
        econ = drive.economics
        on_class = [
            (workloads[w], share)
            for (w, model), share in assignment.shares.items()
            if model == drive.model
        ]
        load = sum(preds[(w.name, drive.model)].demand["load"] * share for w, share in on_class)
        media = sum(
            w.write_bytes_per_s
            * SECONDS_PER_YEAR
            * (preds[(w.name, drive.model)].waf or 0.0)
            * share
            for w, share in on_class
        )
        cost += count * econ.price
        capacity += count * econ.capacity_bytes
        slots += count
        power += count * econ.power_idle_w + min(load, count) * (
            econ.power_active_w - econ.power_idle_w
        )
        if media:
            lifetimes.append(count * econ.endurance_bytes / media)
    placed = {w for w, _ in assignment.shares}
    demand_iops = sum(workloads[w].read_iops + workloads[w].write_iops for w in placed)
    return {
        "name": name,
        "feasible": not unplaced,
        "cost": cost if slots else None,
        "capacity_bytes": int(capacity) if slots else None,
        "iops_per_watt": demand_iops / power if power else None,
        "lifetime_years": min(lifetimes) if lifetimes else None,
        "drives": {model: n for model, n in assignment.drives.items() if n},
        "drive_slots": slots,
        "cost_per_tb": cost / (capacity / TB) if capacity else None,
        "capacity_per_slot_bytes": int(capacity / slots) if slots else None,
        "power_w": power if slots else None,
        "unplaced": unplaced,
    }
