"""Nested analysis findings (the `analyze --json` shape) <-> 'finding' rows.

Each leaf becomes one row named by its keys joined with '.' ('iu.inferred_bytes').
`value` holds numbers (bools as 1.0/0.0), `value_text` strings, lists and
JSON text; `value_kind` ('number', 'integer', 'bool', 'text', 'json', 'null')
makes the round trip exact. A dict whose keys cannot be joined with '.'
(a key holding '.', or not a string) and an empty dict are kept whole as
one 'json' leaf. Evidence is matched by finding name or by any dotted prefix
of it (the longest wins) and stored as JSON text.
"""

from __future__ import annotations

import json
import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.profile.columns import STRING

FINDING_COLUMNS = ["finding", "value", "value_text", "value_kind", "evidence", "method_version"]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any) -> str:
    """JSON text for metadata and evidence (numpy scalars and paths allowed)."""
    return json.dumps(value, default=_json_default, sort_keys=True)


def _splittable(node: dict) -> bool:
    return bool(node) and all(isinstance(key, str) and key and "." not in key for key in node)


def _flatten(node: Any, prefix: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(node, dict) and _splittable(node):
        for key, child in node.items():
            _flatten(child, f"{prefix}.{key}" if prefix else key, out)
    else:
        if not prefix:
            raise InputError("findings must be a dict of named results")
        out.append((prefix, node))


def _leaf(value: Any) -> tuple[float, str | None, str]:
    if value is None:
        return math.nan, None, "null"
    if isinstance(value, (bool, np.bool_)):
        return float(value), "true" if value else "false", "bool"
    if isinstance(value, Integral):
        return float(value), str(int(value)), "integer"
    if isinstance(value, Real):
        return float(value), None, "number"
    if isinstance(value, str):
        return math.nan, value, "text"
    return math.nan, to_json(value), "json"


def _evidence_for(name: str, evidence: dict[str, Any]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        if key in evidence:
            return to_json(evidence[key])
    return None


def findings_to_frame(findings: dict[str, Any], evidence: dict[str, Any] | None,
                      method_version: str) -> pd.DataFrame:
    """One row per leaf: finding, value, value_text, value_kind, evidence (JSON), method_version."""
    if not isinstance(findings, dict):
        raise InputError("findings must be a dict of named results")
    leaves: list[tuple[str, Any]] = []
    if findings:
        _flatten(findings, "", leaves)
    rows = []
    for name, value in leaves:
        number, text, kind = _leaf(value)
        rows.append((name, number, text, kind, _evidence_for(name, evidence or {}), method_version))
    frame = pd.DataFrame.from_records(rows, columns=FINDING_COLUMNS)
    return frame.astype({"finding": STRING, "value": "float64", "value_text": STRING,
                         "value_kind": STRING, "evidence": STRING, "method_version": STRING})


def _restore(value: Any, text: Any, kind: Any) -> Any:
    text = None if text is None or text is pd.NA else str(text)
    if kind == "null":
        return None
    if kind == "bool":
        return bool(value)
    if kind == "integer":
        return int(text) if text is not None else int(value)
    if kind == "number":
        return float(value)
    if kind == "text":
        return text
    if kind == "json":
        return json.loads(text) if text is not None else None
    raise InputError(f"finding value_kind {kind!r} is not one of number, integer, bool, text, json, null")


def frame_to_findings(df: pd.DataFrame) -> dict[str, Any]:
    """The nested findings dict back from finding rows (inverse of `findings_to_frame`)."""
    missing = {"finding", "value", "value_text", "value_kind"} - set(df.columns)
    if missing:
        raise InputError(f"not a findings frame: missing {sorted(missing)}")
    result: dict[str, Any] = {}
    for name, value, text, kind in zip(df["finding"], df["value"], df["value_text"], df["value_kind"]):
        keys = str(name).split(".")
        node = result
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise InputError(f"finding {name!r} lies under a leaf finding")
            node = child
        node[keys[-1]] = _restore(value, text, kind)
    return result
