"""JUnit XML in the Apache Ant format that Jenkins, GitLab and GitHub test reporters read.

The strict reading of that format (the "JUnit.xsd" published for Ant's
XMLJUnitResultFormatter, which Jenkins also accepts): `<testsuites>` with no
attributes holds `<testsuite>` elements carrying name, timestamp (ISO 8601,
no zone, UTC here), hostname, tests, failures, errors, time, package and
id; each holds `<properties>`, its `<testcase>`s (name, classname, time, and
at most one `<failure>` or `<error>` with message and type), then
`<system-out>` and `<system-err>`. No `<skipped>`: that element is outside
the strict format, so what was not compared is written to system-out.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from nvmeprobe.qualify.report import Qualification
from nvmeprobe.qualify.verdict import Verdict

PACKAGE = "nvmeprobe.qualify"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    """Text safe for XML 1.0 (control characters dropped)."""
    return _INVALID_XML.sub("", str(value))


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _suite(
    parent: ET.Element,
    name: str,
    suite_id: int,
    started: datetime,
    seconds: float,
    properties: dict[str, Any],
) -> ET.Element:
    suite = ET.SubElement(
        parent,
        "testsuite",
        {
            "name": _text(name),
            "timestamp": _timestamp(started),
            "hostname": _text(socket.gethostname() or "localhost"),
            "tests": "0",
            "failures": "0",
            "errors": "0",
            "time": f"{seconds:.3f}",
            "package": PACKAGE,
            "id": str(suite_id),
        },
    )
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": _text(value)})
    return suite


def _close(suite: ET.Element, output: list[str], errors: list[str] | None = None) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    ET.SubElement(suite, "system-out").text = _text("\n".join(output))
    ET.SubElement(suite, "system-err").text = _text("\n".join(errors or []))


def _details(verdict: Verdict) -> str:
    lines = [
        f"metric: {verdict.metric}",
        f"value: {verdict.value}",
        f"expected: {verdict.expected}",
    ]
    if verdict.where:
        lines.append(f"where: {verdict.where}")
    if verdict.agg:
        lines.append(f"agg: {verdict.agg}")
    if verdict.cells is not None:
        lines.append(f"cells: {verdict.cells}")
    if verdict.baseline is not None:
        lines.append(f"baseline: {verdict.baseline}")
    return "\n".join(lines)


def _case(suite: ET.Element, verdict: Verdict) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {"name": _text(verdict.name), "classname": f"{PACKAGE}.{verdict.kind}", "time": "0"},
    )
    if not verdict.passed:
        failure = ET.SubElement(
            case, "failure", {"message": _text(verdict.message), "type": f"{verdict.kind}-failed"}
        )
        failure.text = _text(_details(verdict))


def _document(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_xml(result: Qualification) -> str:
    """The qualification as JUnit XML: suite 'criteria', plus suite 'regression' with a baseline."""
    root = ET.Element("testsuites")
    properties = {
        "target": result.target,
        "profile": result.profile,
        "run_id": result.run_id,
        "model": result.model,
        "serial": result.serial,
        "plan": result.plan,
        "criteria": result.criteria_file,
        "baseline": result.baseline,
    }
    title = result.target or result.profile
    suite = _suite(root, f"qualify {title}", 0, result.started, result.seconds, properties)
    for verdict in result.verdicts:
        if verdict.kind in ("criterion", "fleet"):
            _case(suite, verdict)
    _close(
        suite,
        [
            f"{'PASS' if v.passed else 'FAIL'} {v.name}: {v.message}"
            for v in result.verdicts
            if v.kind in ("criterion", "fleet")
        ],
    )
    if result.baseline is not None:
        suite = _suite(
            root, f"regression {title} vs {result.baseline}", 1, result.started, 0.0, properties
        )
        for verdict in result.verdicts:
            if verdict.kind == "regression":
                _case(suite, verdict)
        _close(suite, [f"not compared: {note}" for note in result.notes])
    return _document(root)


def junit_error_xml(
    title: str, message: str, started: datetime, seconds: float, properties: dict[str, Any]
) -> str:
    """JUnit XML for a qualification that could not judge: one test case with an error."""
    root = ET.Element("testsuites")
    suite = _suite(root, f"qualify {title}", 0, started, seconds, properties)
    case = ET.SubElement(
        suite,
        "testcase",
        {"name": _text(f"run {title}"), "classname": f"{PACKAGE}.run", "time": f"{seconds:.3f}"},
    )
    ET.SubElement(case, "error", {"message": _text(message), "type": "run-failed"}).text = _text(
        message
    )
    _close(suite, [], [message])
    return _document(root)


def junit_merge(documents: list[str]) -> str:
    """Several qualifications' JUnit documents as one (suite ids renumbered)."""
    if len(documents) == 1:
        return documents[0]
    root = ET.Element("testsuites")
    for document in documents:
        root.extend(ET.fromstring(document.split("\n", 1)[1]).findall("testsuite"))
    for number, suite in enumerate(root):
        suite.set("id", str(number))
    return _document(root)
