"""Placement recommender: which workloads belong on which drive class, at what cost, and how
to write to it.

Pure core: `drive_class_from_profile` (cells + findings + facts + economics),
`parse_workloads` / `load_workloads` / `builtin_workloads` (TOML), `predict`
(one workload x one class), `recommend` (MILP over all classes, plus one
single-class fleet per class), `recommendation_frame` (Parquet rows).
"""

from nvmeprobe.recommend.engine import recommend
from nvmeprobe.recommend.model import DriveClass, Workload, drive_class_from_profile
from nvmeprobe.recommend.predict import Prediction, predict
from nvmeprobe.recommend.result import Recommendation, recommendation_frame
from nvmeprobe.recommend.workloads import (
    BUILTIN_NAMES,
    builtin_workloads,
    load_workloads,
    parse_workloads,
)

__all__ = [
    "BUILTIN_NAMES",
    "DriveClass",
    "Prediction",
    "Recommendation",
    "Workload",
    "builtin_workloads",
    "drive_class_from_profile",
    "load_workloads",
    "parse_workloads",
    "predict",
    "recommend",
    "recommendation_frame",
]
