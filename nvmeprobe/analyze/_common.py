"""Input checks shared by the analysis methods."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nvmeprobe.errors import InputError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise InputError naming the missing columns when `frame` lacks any of `columns`."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}")
