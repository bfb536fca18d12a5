"""Bad input from tools: options ingest cannot parse, impossible sizes from nvme-cli.

An option ingest cannot parse leaves its column null with a note; the file is
never dropped. An impossible size (nvme-cli's 32-bit overflow, -2147483648,
or a size beyond the namespace) is a gap with the reason, never a fact.
Inputs are real outputs (tests/fixtures/real) with the one value changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.discover.decode import decode_capture
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.resolve import resolve_profiles

REAL = Path(__file__).parent / "fixtures" / "real"
FIO = REAL / "fio-json" / "louwrentius__fio-plot__SAMSUNG_PM883__randwrite-1-1.json"
QEMU = Path(__file__).parent / "fixtures" / "emulated" / "qemu10-nvme-ocp"
NVME_LIST = (
    REAL
    / "nvme-list"
    / ("facebook__CacheLib__NandWritesTest.cpp__handlesSamsungDevice__kListOutput.json")
)


def _fio_with(tmp_path: Path, name: str, **options: str) -> Path:
    doc = json.loads(FIO.read_text())
    doc["jobs"][0]["job options"].update(options)
    path = tmp_path / "results" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def _ingest(tmp_path: Path, *paths: Path) -> dict:
    result = CliRunner().invoke(
        main, ["ingest", *map(str, paths), "--profiles", str(tmp_path / "profiles"), "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_fio_zone_units_never_drop_a_result(tmp_path):
    size = _fio_with(tmp_path, "size-in-zones.json", size="300z")
    offset = _fio_with(tmp_path, "offset-in-zones.json", size="300z", offset="10z")
    doc = _ingest(tmp_path, tmp_path / "results")
    assert doc["skipped"] == [] and doc["profiles"][0]["results"] == 2
    cells = read_profile(doc["profiles"][0]["profile"]).cells.set_index("source")
    kept = cells.loc[str(size)]
    assert (kept["bs"], kept["offset"], kept["iodepth"]) == (4096, 0, 1) and kept["iops"] > 0
    zoned = cells.loc[str(offset)]
    assert pd.isna(zoned["offset"])
    assert zoned["bs"] == 4096 and zoned["iops"] == kept["iops"]
    (note,) = doc["notes"]
    assert note["path"] == str(offset)
    assert "offset unknown" in note["note"] and "'10z'" in note["note"] and "zones" in note["note"]
    manifest = read_profile(doc["profiles"][0]["profile"]).manifest
    assert manifest["notes"] == [f"{offset}: {note['note']}"]


def test_an_unparseable_number_is_null_and_noted_and_the_rest_kept(tmp_path):
    bad = _fio_with(tmp_path, "depth.json", iodepth="deep", bs="4k,lots")
    doc = _ingest(tmp_path, bad)
    cells = read_profile(resolve_profiles([tmp_path / "profiles"])[0]).cells
    (row,) = cells.to_dict("records")
    assert pd.isna(row["iodepth"]) and pd.isna(row["bs"]) and row["iops"] > 0
    assert sorted(n["note"].split(":")[1].strip() for n in doc["notes"]) == [
        "bs unknown",
        "iodepth unknown",
    ]


def _capture(tmp_path: Path, physical_size: int) -> Path:
    doc = json.loads(NVME_LIST.read_text())
    doc["Devices"][0]["PhysicalSize"] = physical_size
    capture = tmp_path / "capture"
    capture.mkdir()
    (capture / "nvme-list.json").write_text(json.dumps(doc, indent=2))
    return capture


def test_nvme_cli_int32_physical_size_is_a_gap_not_a_fact(tmp_path):
    capture = _capture(tmp_path, -2147483648)
    result = CliRunner().invoke(main, ["inspect", "--from", str(capture), "/dev/nvme0n1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["geometry"]["size_bytes"] is None
    assert report["identity"]["model"] == "SAMSUNG MZ1LB1T9HALS-000FB"
    assert any("PhysicalSize -2147483648 is impossible" in gap for gap in report["gaps"])
    text = CliRunner().invoke(main, ["inspect", "--from", str(capture), "/dev/nvme0n1"])
    assert "-2147483648" not in text.stdout.split("not known")[0]


def test_a_size_beyond_the_namespace_is_a_gap(tmp_path):
    """QEMU's 1 GiB namespace (nsze 262144 x 4 KiB) with `nvme list` claiming four times that."""
    files = {path.name: path.read_bytes() for path in QEMU.iterdir() if path.is_file()}
    doc = json.loads(files["nvme-list.json"])
    assert decode_capture(files, "/dev/nvme0n1").geometry.size_bytes == 1 << 30
    for claimed in (4 << 30, -2147483648):
        doc["Devices"][0]["PhysicalSize"] = claimed
        claimed_files = {**files, "nvme-list.json": json.dumps(doc).encode()}
        report = decode_capture(claimed_files, "/dev/nvme0n1")
        assert report.geometry.size_bytes == 1 << 30  # Identify Namespace's, the plausible one
        reason = "beyond the namespace's 1073741824 bytes" if claimed > 0 else "must be positive"
        assert any(
            f"nvme list PhysicalSize {claimed} is impossible" in gap and reason in gap
            for gap in report.gaps
        ), report.gaps
