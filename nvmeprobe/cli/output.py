"""Printing helpers shared by commands: one JSON document, or rich tables."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from nvmeprobe.unknown import jsonable

console = Console()
err_console = Console(stderr=True)


def print_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    print(json.dumps(jsonable(document), indent=2, default=str))
