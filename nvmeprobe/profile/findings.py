"""Nested analysis findings (the `analyze --json` shape) <-> 'finding' rows.

Each leaf becomes one row named by its keys joined with '.' ('iu.inferred_bytes').
`value` holds numbers (bools as 1.0/0.0), `value_text` strings, lists and
JSON text; `value_kind` ('number', 'integer', 'bool', 'text', 'json', 'null')
makes the round trip exact. A dict whose keys cannot be joined with '.'
(a key holding '.', or not a string) and an empty dict are kept whole as
one 'json' leaf.

A section (a top-level dict such as `iu`) may carry `evidence` and
`method_version`: they are not rows of their own but columns of every row of
that section (`evidence` as JSON text). A section without its own
`method_version` gets the top-level one (`analyze/1`), which stays a row of its
own. A section with nothing but those two keys keeps them as rows, so nothing
is lost.
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
from nvmeprobe.unknown import jsonable

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


def _section_rows(name: str, section: Any, default_version: str | None) -> list[tuple]:
    """The rows of one top-level entry, with its section's evidence and method version."""
    meta = {}
    if (
        isinstance(section, dict)
        and _splittable(section)
        and set(section) - {"evidence", "method_version"}
    ):
        meta = {key: section[key] for key in ("evidence", "method_version") if key in section}
        section = {key: value for key, value in section.items() if key not in meta}
    evidence = to_json(meta["evidence"]) if "evidence" in meta else None
    version = meta.get("method_version", default_version)
    leaves: list[tuple[str, Any]] = []
    _flatten(section, name, leaves)
    return [(leaf, *_leaf(value), evidence, version) for leaf, value in leaves]


def findings_to_frame(findings: dict[str, Any]) -> pd.DataFrame:
    """One row per leaf: finding, value, value_text, value_kind, evidence (JSON), method_version."""
    if not isinstance(findings, dict):
        raise InputError("findings must be a dict of named results")
    top = findings.get("method_version")
    default_version = top if isinstance(top, str) else None
    rows = []
    for name, section in findings.items():
        if not isinstance(name, str) or not name or "." in name:
            raise InputError(f"finding name {name!r} is not a plain name")
        rows += _section_rows(name, section, default_version)
    frame = pd.DataFrame.from_records(rows, columns=FINDING_COLUMNS)
    return frame.astype(
        {
            "finding": STRING,
            "value": "float64",
            "value_text": STRING,
            "value_kind": STRING,
            "evidence": STRING,
            "method_version": STRING,
        }
    )


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
    raise InputError(
        f"finding value_kind {kind!r} is not one of number, integer, bool, text, json, null"
    )


def frame_to_findings(df: pd.DataFrame) -> dict[str, Any]:
    """The nested findings dict back from finding rows (inverse of `findings_to_frame`)."""
    missing = {"finding", "value", "value_text", "value_kind"} - set(df.columns)
    if missing:
        raise InputError(f"not a findings frame: missing {sorted(missing)}")
    result: dict[str, Any] = {}
    sections: dict[str, tuple[Any, Any]] = {}
    evidence = df["evidence"] if "evidence" in df else [None] * len(df)
    versions = df["method_version"] if "method_version" in df else [None] * len(df)
    for name, value, text, kind, proof, version in zip(
        df["finding"], df["value"], df["value_text"], df["value_kind"], evidence, versions
    ):
        keys = str(name).split(".")
        node = result
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise InputError(f"finding {name!r} lies under a leaf finding")
            node = child
        node[keys[-1]] = _restore(value, text, kind)
        if len(keys) > 1:
            sections.setdefault(keys[0], (jsonable(proof), jsonable(version)))
    default_version = result.get("method_version")
    for name, (proof, version) in sections.items():
        if proof is not None:
            result[name]["evidence"] = _json_text(proof, name)
        if version is not None and version != default_version:
            result[name]["method_version"] = version
    return result


def _json_text(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"finding section {name!r}: evidence is not valid JSON") from None
