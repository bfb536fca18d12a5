"""A verdict: one criterion or one baseline comparison, passed or failed, with its measured
value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check.

    `kind` is 'criterion' or 'regression'; `value` the measured value (None:
    unknown, which fails); `expected` the rule as text ('>= 50000');
    `basis` what the value rests on ('sum of 5 cells', 'baseline 8,789
    (+2.0%)') or why it is unknown; `cells` how many cell rows it rests on
    (None for analysis keys); `message` one line saying why it passed or failed.
    """

    name: str
    kind: str
    metric: str
    passed: bool
    value: Any
    expected: str
    message: str
    basis: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    agg: str | None = None
    cells: int | None = None
    baseline: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The `qualify --json` form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "metric": self.metric,
            "passed": self.passed,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
            "basis": self.basis,
            "where": self.where,
            "agg": self.agg,
            "cells": self.cells,
            "baseline": self.baseline,
        }
