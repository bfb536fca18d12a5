"""Helpers shared by the analysis methods: input checks and JSON-safe values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from nvmeprobe.errors import InputError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise InputError naming the missing columns when `frame` lacks any of `columns`."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}")


def jsonable(value: Any) -> Any:
    """Plain-Python copy of `value`: numpy scalars unwrapped, NaN/inf -> None."""
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
    """float(value), or None when it is None/NaN/not finite."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
