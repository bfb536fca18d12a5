"""The recommendation: the `recommend --json` document and the Parquet `recommendation` frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FRAME_COLUMNS = (
    "kind",
    "name",
    "workload",
    "drive",
    "share",
    "drives",
    "pool",
    "reasons",
    "advice",
    "feasible",
    "cost",
    "capacity_bytes",
    "iops_per_watt",
    "lifetime_years",
    "cost_per_tb",
    "drive_slots",
    "capacity_per_slot_bytes",
)


@dataclass
class Recommendation:
    """Placements of the mixed fleet, every fleet compared, unplaced workloads and all
    predictions.
    """

    placements: list[dict]
    fleets: list[dict]
    unplaced: list[dict] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)
    drive_classes: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON document (docs/design.md section 6: `placements`, `fleets`; the rest added)."""
        return {
            "placements": self.placements,
            "fleets": self.fleets,
            "unplaced": self.unplaced,
            "drive_classes": self.drive_classes,
            "predictions": self.predictions,
        }


def recommendation_frame(result: Recommendation) -> pd.DataFrame:
    """One row per placement (`kind` = 'placement') and per fleet (`kind` = 'fleet'), for
    Parquet.
    """
    rows = [
        {
            "kind": "placement",
            **{k: p.get(k) for k in FRAME_COLUMNS if k != "kind"},
            "pool": p["settings"]["pool"],
        }
        for p in result.placements
    ]
    rows += [
        {"kind": "fleet", **{k: f.get(k) for k in FRAME_COLUMNS if k not in ("kind", "drives")}}
        for f in result.fleets
    ]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for column in ("share", "cost", "iops_per_watt", "lifetime_years", "cost_per_tb"):
        frame[column] = frame[column].astype("float64")
    for column in ("drives", "capacity_bytes", "drive_slots", "capacity_per_slot_bytes"):
        frame[column] = frame[column].astype("Int64")
    frame["feasible"] = frame["feasible"].astype("boolean")
    return frame
