"""JUnit XML validates against the Ant/Jenkins JUnit schema (tests/JUnit.xsd) and says what
failed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nvmeprobe.qualify import Qualification, Verdict, junit_error_xml, junit_xml

etree = pytest.importorskip("lxml.etree", reason="lxml is a test dependency (pip install lxml)")

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "JUnit.xsd")))
STARTED = datetime(2026, 11, 26, 18, 0, 5, tzinfo=UTC)


def valid(text: str):
    doc = etree.fromstring(text.encode())
    SCHEMA.assertValid(doc)
    return doc


def qualification(baseline: str | None = "base.parquet") -> Qualification:
    verdicts = [
        Verdict(
            "4 KiB random write IOPS",
            "criterion",
            "iops",
            True,
            51000.0,
            ">= 50,000",
            "1 cell: 51,000 meets >= 50,000",
            "1 cell",
            {"rw": "randwrite"},
            None,
            1,
        ),
        Verdict(
            "p99 <latency> & \x07 bell",
            "criterion",
            "lat_p99_us",
            False,
            2100.0,
            "<= 2,000",
            "1 cell: 2,100 fails <= 2,000",
            "1 cell",
            {"iodepth": 1},
            None,
            1,
        ),
        Verdict(
            "IU",
            "criterion",
            "iu.inferred_bytes",
            False,
            None,
            "== iu.reported_bytes (16,384)",
            "iu.inferred_bytes is unknown: no random-write cells",
            "",
            {},
            None,
            None,
        ),
        Verdict(
            "regression iops randwrite 4 KiB QD16 write",
            "regression",
            "iops",
            False,
            40000.0,
            ">= 45,000 (baseline -10%)",
            "40,000 fails >= 45,000; baseline 50,000 (-20.0%)",
            "baseline 50,000 (-20.0%)",
            {"rw": "randwrite"},
            None,
            1,
            50000.0,
        ),
    ]
    return Qualification(
        profile="p/x.parquet",
        criteria_file="c.toml",
        verdicts=verdicts,
        target="/dev/nullb0",
        run_id="r1",
        model="null_blk",
        serial=None,
        plan="smoke",
        baseline=baseline,
        notes=["iops randread 4 KiB QD1: not measured"],
        started=STARTED,
        seconds=12.5,
    )


def test_a_qualification_validates_and_counts_failures():
    doc = valid(junit_xml(qualification()))
    criteria, regression = doc.findall("testsuite")
    assert (
        criteria.get("tests") == "3"
        and criteria.get("failures") == "2"
        and criteria.get("errors") == "0"
    )
    assert criteria.get("timestamp") == "2026-11-26T18:00:05" and criteria.get("time") == "12.500"
    assert regression.get("tests") == "1" and regression.get("failures") == "1"
    names = [c.get("name") for c in criteria.findall("testcase")]
    assert names == ["4 KiB random write IOPS", "p99 <latency> &  bell", "IU"]
    failure = criteria.findall("testcase")[1].find("failure")
    assert (
        failure.get("message") == "1 cell: 2,100 fails <= 2,000" and "value: 2100.0" in failure.text
    )
    props = {p.get("name"): p.get("value") for p in criteria.find("properties")}
    assert props["target"] == "/dev/nullb0" and "serial" not in props
    assert "not measured" in regression.find("system-out").text


def test_without_a_baseline_there_is_one_suite():
    doc = valid(junit_xml(qualification(baseline=None)))
    assert len(doc.findall("testsuite")) == 1


def test_a_run_that_could_not_be_judged_is_an_error_case():
    doc = valid(
        junit_error_xml(
            "/dev/loop7",
            "target /dev/loop7 is in use: mounted",
            STARTED,
            0.25,
            {"target": "/dev/loop7", "criteria": "c.toml", "profile": None},
        )
    )
    suite = doc.find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0" and suite.get("tests") == "1"
    assert suite.find("testcase/error").get("message") == "target /dev/loop7 is in use: mounted"


@pytest.mark.parametrize(
    "breakage",
    [
        "drop hostname",
        "add skipped",
        "zone in timestamp",
        "failure without type",
        "system-out first",
    ],
)
def test_the_schema_rejects_what_ci_readers_reject(breakage):
    doc = etree.fromstring(junit_xml(qualification()).encode())
    suite = doc.find("testsuite")
    if breakage == "drop hostname":
        del suite.attrib["hostname"]
    elif breakage == "add skipped":
        etree.SubElement(suite.find("testcase"), "skipped")
    elif breakage == "zone in timestamp":
        suite.set("timestamp", "2026-11-26T18:00:05+00:00")
    elif breakage == "failure without type":
        del suite.find("testcase/failure").attrib["type"]
    else:
        suite.insert(0, suite.find("system-out"))
    assert not SCHEMA.validate(doc)
