"""Fleet assignment as a mixed-integer linear programme (`scipy.optimize.milp`).

Variables: n_j, an integer count of drives per class j, and x_ij, the share of
workload i on class j (continuous in [0, 1]; binary when the workload may not
be split). Minimise sum_j price_j n_j subject to
  sum_j x_ij = 1                             every workload placed in full,
  sum_i d^k_ij x_ij <= n_j                   for every class j and constraint k,
where d^k_ij are the drive-equivalents of `predict.py` (capacity, load,
endurance, burst), and x_ij = 0 for an infeasible pair (e.g. p99 over target).
Workloads with no feasible class are left out and reported as unplaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from nvmeprobe.errors import MeasurementFailed
from nvmeprobe.recommend.model import DriveClass, Workload
from nvmeprobe.recommend.predict import CONSTRAINTS, Prediction

SHARE_EPS = 1e-9


@dataclass(frozen=True)
class Assignment:
    """A solved fleet: drive counts per class and shares per (workload, class)."""

    drives: dict[str, int]
    shares: dict[tuple[str, str], float]


def assign(
    workloads: list[Workload], drives: list[DriveClass], preds: dict[tuple[str, str], Prediction]
) -> Assignment:
    """The cheapest fleet of `drives` classes that carries every workload (each has a
    feasible class).
    """
    n_classes, n_work = len(drives), len(workloads)
    if n_work == 0:
        return Assignment(drives={d.model: 0 for d in drives}, shares={})
    size = n_classes + n_work * n_classes

    def x(i: int, j: int) -> int:
        return n_classes + i * n_classes + j

    cost = np.zeros(size)
    cost[:n_classes] = [d.economics.price for d in drives]
    upper = np.full(size, np.inf)
    integrality = np.zeros(size)
    integrality[:n_classes] = 1
    rows, lower_b, upper_b = [], [], []
    for i, work in enumerate(workloads):
        row = np.zeros(size)
        for j, drive in enumerate(drives):
            pred = preds[(work.name, drive.model)]
            upper[x(i, j)] = 1.0 if pred.feasible else 0.0
            integrality[x(i, j)] = 0 if work.splittable else 1
            row[x(i, j)] = 1.0
        rows.append(row)
        lower_b.append(1.0)
        upper_b.append(1.0)
    for j, drive in enumerate(drives):
        for constraint in CONSTRAINTS:
            row = np.zeros(size)
            row[j] = -1.0
            for i, work in enumerate(workloads):
                pred = preds[(work.name, drive.model)]
                if pred.feasible:
                    row[x(i, j)] = pred.demand.get(constraint, 0.0)
            if np.any(row[n_classes:]):
                rows.append(row)
                lower_b.append(-np.inf)
                upper_b.append(0.0)
    result = milp(
        cost,
        constraints=LinearConstraint(np.array(rows), lower_b, upper_b),
        integrality=integrality,
        bounds=Bounds(np.zeros(size), upper),
    )
    if result.x is None:
        raise MeasurementFailed(f"placement optimiser found no solution: {result.message}")
    counts = {d.model: int(round(result.x[j])) for j, d in enumerate(drives)}
    shares = {}
    for i, work in enumerate(workloads):
        for j, drive in enumerate(drives):
            value = float(result.x[x(i, j)])
            if value > SHARE_EPS:
                shares[(work.name, drive.model)] = value
    return Assignment(drives=counts, shares=shares)
