"""Unknown is None: the one place where NaN, NA and numpy scalars become plain Python.

pandas and pyarrow mark a missing value as NaN, `pd.NA` or `pd.NaT`; the
output contracts say an unknown value is `null`, never 0 and never NaN
(docs/design.md section 6). Every stage converts through these two functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """Plain-Python copy of `value`: numpy scalars unwrapped, NaN/inf/NA/NaT -> None.

    Dicts (keys become strings), lists, tuples and arrays are copied as lists, recursively.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def optional_float(value: Any) -> float | None:
    """float(value), or None when it is None/NA/NaN/not finite."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
