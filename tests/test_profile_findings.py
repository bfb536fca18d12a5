"""Findings dict <-> finding rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.profile import findings_to_frame, frame_to_findings


def test_leaves_become_dotted_rows_with_kinds() -> None:
    frame = findings_to_frame({"iu": {"inferred_bytes": 16384, "agrees": True, "source": "npwg",
                                      "reported_bytes": None, "confidence": 0.5,
                                      "rmw_amplification": [{"bs": 4096, "offset": 0, "factor": 4.0}]}},
                              None, "v1")
    rows = frame.set_index("finding")
    assert list(rows.index) == ["iu.inferred_bytes", "iu.agrees", "iu.source", "iu.reported_bytes",
                                "iu.confidence", "iu.rmw_amplification"]
    assert list(rows["value_kind"]) == ["integer", "bool", "text", "null", "number", "json"]
    assert rows.loc["iu.inferred_bytes", "value"] == 16384.0
    assert rows.loc["iu.agrees", "value"] == 1.0
    assert rows.loc["iu.source", "value_text"] == "npwg"
    assert math.isnan(rows.loc["iu.reported_bytes", "value"])
    assert json.loads(rows.loc["iu.rmw_amplification", "value_text"]) == [
        {"bs": 4096, "offset": 0, "factor": 4.0}]
    assert (frame["method_version"] == "v1").all()


def test_round_trip_is_exact() -> None:
    findings = {"waf": {"measured": 1.37, "host_bytes": 2**70 + 1, "media_bytes": None},
                "qos": {"by_percentile": {"99.9": 120.5, "99.99": 800.0}, "empty": {}},
                "steady_state": {"reached": False, "rounds": [1.0, 2.0]}, "note": "ok"}
    assert frame_to_findings(findings_to_frame(findings, None, "v")) == findings


def test_numpy_values_are_accepted() -> None:
    frame = findings_to_frame({"a": {"n": np.int64(3), "x": np.float64(0.25), "b": np.bool_(True)}},
                              None, "v")
    assert frame_to_findings(frame) == {"a": {"n": 3, "x": 0.25, "b": True}}


def test_evidence_matches_the_longest_prefix() -> None:
    frame = findings_to_frame({"iu": {"inferred_bytes": 1, "confidence": 0.5}, "slc": {"detected": False}},
                              {"iu": {"all": 1}, "iu.confidence": {"fit": 2}}, "v")
    evidence = frame.set_index("finding")["evidence"]
    assert json.loads(evidence["iu.inferred_bytes"]) == {"all": 1}
    assert json.loads(evidence["iu.confidence"]) == {"fit": 2}
    assert evidence.isna()["slc.detected"]


def test_bad_findings_are_refused() -> None:
    with pytest.raises(InputError):
        findings_to_frame([1, 2], None, "v")  # type: ignore[arg-type]
    frame = findings_to_frame({"a": 1}, None, "v")
    frame.loc[0, "value_kind"] = "complex"
    with pytest.raises(InputError, match="value_kind"):
        frame_to_findings(frame)
