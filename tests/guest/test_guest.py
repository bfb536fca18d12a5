"""The guest level: nvmeprobe inside a QEMU guest with real NVMe, null_blk and nvmet-tcp devices.

`guest/boot.sh` builds (or reuses) the Debian 6.1 kernel and initramfs and
boots the guest once for this module; `guest/guest-test.sh` runs inside it
and writes its results to a shared folder, judged here. A guest that does not
boot, or a script that does not finish, FAILS every test with the console or
log tail: this level never skips. Results stay in $NVMEPROBE_GUEST_OUT when
set (CI keeps them as artifacts), else in a pytest temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from nvmeprobe.profile import read_profile

pytestmark = pytest.mark.guest

REPO = Path(__file__).resolve().parents[2]
GUEST_TIMEOUT = int(os.environ.get("NVMEPROBE_GUEST_TIMEOUT", "540"))
EXPECTED_EXIT = {
    "setup-nvmet-tcp": 0,
    "detect": 0,
    "inspect-tcp": 0,
    "inspect-qemu": 0,
    "run-smoke": 0,
    "qualify-reachable": 0,
    "qualify-impossible": 1,
}


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def guest(tmp_path_factory) -> Path:
    """Boot the guest once; the folder its results came back to."""
    out = Path(os.environ.get("NVMEPROBE_GUEST_OUT") or tmp_path_factory.mktemp("guest"))
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results"
    shutil.rmtree(results, ignore_errors=True)  # results of an earlier boot must not count
    started = time.monotonic()
    try:
        boot = subprocess.run(
            [str(REPO / "guest" / "boot.sh"), str(out)],
            capture_output=True,
            text=True,
            timeout=GUEST_TIMEOUT + 300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"guest/boot.sh did not return; console:\n{_tail(out / 'console.log')}")
    wall = time.monotonic() - started
    (out / "boot.log").write_text(boot.stdout + boot.stderr)
    if not (results / "booted").exists():
        pytest.fail(
            f"the guest did not boot (boot.sh exit {boot.returncode}):\n{boot.stderr[-2000:]}\n"
            f"console:\n{_tail(out / 'console.log')}"
        )
    if not (results / "done").exists():
        pytest.fail(
            f"the guest test script did not finish (boot.sh exit {boot.returncode});"
            f" guest.log:\n{_tail(results / 'guest.log')}\nconsole:\n{_tail(out / 'console.log')}"
        )
    timings = {
        "wall_s": round(wall, 1),
        "root_ready_uptime_s": float((results / "booted").read_text()),
        "finished_uptime_s": float((results / "done").read_text()),
    }
    (out / "timings.json").write_text(json.dumps(timings) + "\n")
    print(f"guest timings: {timings}")
    return results


def _json(results: Path, name: str):
    text = (results / name).read_text()
    assert text.strip(), f"{name} is empty; guest.log:\n{_tail(results / 'guest.log')}"
    return json.loads(text)


def _device(results: Path, name: str) -> str:
    return (results / name).read_text().strip()


def _junit(path: Path):
    """A JUnit file, validated against tests/JUnit.xsd (lxml is imported here, so that
    collecting the default suite does not need it)."""
    from lxml import etree

    doc = etree.parse(str(path))
    etree.XMLSchema(etree.parse(str(REPO / "tests" / "JUnit.xsd"))).assertValid(doc)
    return doc


def test_every_step_ran_with_the_expected_exit_code(guest):
    steps = {
        name: int(rc)
        for name, rc, _ in (
            line.split("\t") for line in (guest / "steps.tsv").read_text().splitlines()
        )
    }
    assert steps == EXPECTED_EXIT, _tail(guest / "guest.log")


def test_the_guest_ran_its_own_debian_6_1_kernel(guest):
    first = (guest / "guest.log").read_text().splitlines()[0]
    assert first.startswith("guest kernel 6.1.0-") and first.split()[2] != os.uname().release


def test_detect_finds_the_emulated_nvme_null_blk_and_tcp_namespaces(guest):
    found = {d["target"]: d for d in _json(guest, "detect.json")}
    qemu, tcp = _device(guest, "qemu-device"), _device(guest, "tcp-device")
    assert found[qemu]["kind"] == "nvme" and found[qemu]["model"] == "QEMU NVMe Ctrl"
    assert found[qemu]["serial"] == "deadbeef" and found[qemu]["logical_block_size"] == 4096
    assert found["/dev/nullb0"]["kind"] == "null_blk"
    assert found[tcp]["kind"] == "nvme" and found[tcp]["model"] == "NVMEPROBE-IU16K"
    assert found[tcp]["reported_iu_bytes"] == 16384


def test_inspect_reports_the_16k_iu_of_the_tcp_namespace(guest):
    report = _json(guest, "inspect-tcp.json")
    assert report["iu"]["reported_bytes"] == 16384
    assert report["iu"]["source"] == "id-ns npwg"
    assert report["geometry"]["logical_block_size"] == 4096
    qemu = _json(guest, "inspect-qemu.json")
    assert qemu["identity"]["model"] == "QEMU NVMe Ctrl" and qemu["iu"]["reported_bytes"] == 4096


def test_run_smoke_on_null_blk_yields_a_profile(guest):
    summary = _json(guest, "run.json")
    assert summary["cells_done"] == 5 and summary["cells_failed"] == []
    profile = read_profile(guest / Path(summary["profile"]).relative_to("/nvmeprobe-results"))
    assert set(profile.cells["target"]) == {"/dev/nullb0"}
    assert sorted(profile.cells["rw"].unique()) == ["randread", "randwrite", "write"]
    assert (profile.cells["iops"] > 0).all()


def test_qualify_passes_a_reachable_criteria_file(guest):
    doc = _json(guest, "qualify-reachable.json")
    assert doc["passed"] and doc["target"] == "/dev/nullb0" and doc["plan"] == "smoke"
    assert [v["passed"] for v in doc["verdicts"]] == [True, True, True]
    junit = _junit(guest / "qualify-reachable.xml")
    assert junit.find("testsuite").get("failures") == "0"


def test_qualify_fails_an_impossible_criteria_file(guest):
    doc = _json(guest, "qualify-impossible.json")
    assert doc["passed"] is False and doc["summary"]["failed"] == 1
    assert doc["verdicts"][0]["value"] > 0
    junit = _junit(guest / "qualify-impossible.xml")
    assert junit.find("testsuite").get("failures") == "1"
