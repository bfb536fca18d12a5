"""Printing helpers shared by commands: one JSON document, or rich tables."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN becomes null (unknown), tuples become lists."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def print_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    print(json.dumps(_clean(document), indent=2, default=str))
