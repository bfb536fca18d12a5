"""Findings dict <-> finding rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.profile import findings_to_frame, frame_to_findings


def test_leaves_become_dotted_rows_with_kinds() -> None:
    frame = findings_to_frame(
        {
            "iu": {
                "inferred_bytes": 16384,
                "agrees": True,
                "source": "npwg",
                "reported_bytes": None,
                "confidence": 0.5,
                "rmw_amplification": [{"bs": 4096, "offset": 0, "factor": 4.0}],
                "method_version": "iu-rule+fit/1",
            }
        }
    )
    rows = frame.set_index("finding")
    assert list(rows.index) == [
        "iu.inferred_bytes",
        "iu.agrees",
        "iu.source",
        "iu.reported_bytes",
        "iu.confidence",
        "iu.rmw_amplification",
    ]
    assert list(rows["value_kind"]) == ["integer", "bool", "text", "null", "number", "json"]
    assert rows.loc["iu.inferred_bytes", "value"] == 16384.0
    assert rows.loc["iu.agrees", "value"] == 1.0
    assert rows.loc["iu.source", "value_text"] == "npwg"
    assert math.isnan(rows.loc["iu.reported_bytes", "value"])
    assert json.loads(rows.loc["iu.rmw_amplification", "value_text"]) == [
        {"bs": 4096, "offset": 0, "factor": 4.0}
    ]
    assert (frame["method_version"] == "iu-rule+fit/1").all()
    assert frame["evidence"].isna().all()


def test_round_trip_is_exact() -> None:
    findings = {
        "waf": {"measured": 1.37, "host_bytes": 2**70 + 1, "media_bytes": None},
        "qos": {"by_percentile": {"99.9": 120.5, "99.99": 800.0}, "empty": {}},
        "steady_state": {"reached": False, "rounds": [1.0, 2.0]},
        "note": "ok",
    }
    assert frame_to_findings(findings_to_frame(findings)) == findings


def test_numpy_values_are_accepted() -> None:
    frame = findings_to_frame({"a": {"n": np.int64(3), "x": np.float64(0.25), "b": np.bool_(True)}})
    assert frame_to_findings(frame) == {"a": {"n": 3, "x": 0.25, "b": True}}


ANALYSIS = {
    "iu": {
        "inferred_bytes": 16384,
        "confidence": 0.9,
        "evidence": {"points": 7, "rule": {"knee_bs": 16384}},
        "method_version": "iu-rule+fit/1",
    },
    "slc": {"detected": False, "evidence": {"bins": 12}},
    "steady_state": {"measured": False, "method_version": "snia-pts-round-rule/1"},
    "method_version": "analyze/1",
}


def test_evidence_and_method_version_sit_on_each_row_of_their_section() -> None:
    frame = findings_to_frame(ANALYSIS).set_index("finding")
    assert list(frame.index) == [
        "iu.inferred_bytes",
        "iu.confidence",
        "slc.detected",
        "steady_state.measured",
        "method_version",
    ]
    assert not any(".evidence" in name or name.endswith(".method_version") for name in frame.index)
    for name in ("iu.inferred_bytes", "iu.confidence"):
        assert json.loads(frame.loc[name, "evidence"]) == {"points": 7, "rule": {"knee_bs": 16384}}
        assert frame.loc[name, "method_version"] == "iu-rule+fit/1"
    assert json.loads(frame.loc["slc.detected", "evidence"]) == {"bins": 12}
    assert frame.loc["slc.detected", "method_version"] == "analyze/1"  # the analysis's own
    assert pd.isna(frame.loc["steady_state.measured", "evidence"])
    assert frame.loc["steady_state.measured", "method_version"] == "snia-pts-round-rule/1"
    assert frame.loc["method_version", "value_text"] == "analyze/1"
    assert frame_to_findings(frame.reset_index()) == ANALYSIS


def test_a_section_of_only_evidence_keeps_it_as_rows() -> None:
    findings = {"x": {"evidence": {"a": 1}, "method_version": "x/1"}}
    frame = findings_to_frame(findings)
    assert sorted(frame["finding"]) == ["x.evidence.a", "x.method_version"]
    assert frame_to_findings(frame) == findings


def test_bad_findings_are_refused() -> None:
    with pytest.raises(InputError):
        findings_to_frame([1, 2])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="plain name"):
        findings_to_frame({"a.b": 1})
    frame = findings_to_frame({"a": 1})
    frame.loc[0, "value_kind"] = "complex"
    with pytest.raises(InputError, match="value_kind"):
        frame_to_findings(frame)
