"""Live discovery on real loop devices, checked against sysfs (root)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from click.testing import CliRunner

from nvmeprobe.cli import main


def _sysfs(device: str, attr: str) -> int:
    return int(Path(f"/sys/block/{os.path.basename(device)}/{attr}").read_text())


def _detect() -> dict[str, dict]:
    result = CliRunner().invoke(main, ["detect", "--json"])
    assert result.exit_code == 0, result.output
    return {row["target"]: row for row in json.loads(result.stdout)}


def test_detect_finds_loop_devices_as_sysfs_describes_them(make_loop):
    small = make_loop(64)
    big_sector = make_loop(128, sector_size=4096)
    rows = _detect()
    for device, lbs in ((small, 512), (big_sector, 4096)):
        row = rows[device]
        assert row["kind"] == "loop"
        assert row["size_bytes"] == _sysfs(device, "size") * 512
        assert row["logical_block_size"] == lbs == _sysfs(device, "queue/logical_block_size")
        assert row["reported_iu_bytes"] == _sysfs(device, "queue/minimum_io_size")
        assert row["in_use"] is False
        assert row["backing_file"].endswith(".img")
    assert set(rows[small]) >= {
        "target",
        "kind",
        "model",
        "serial",
        "firmware",
        "size_bytes",
        "logical_block_size",
        "reported_iu_bytes",
        "in_use",
    }


def test_filesystem_signature_and_mount_make_a_device_in_use(make_loop, tmp_path):
    with_fs = make_loop(64)
    subprocess.run(["mkfs.ext4", "-q", with_fs], check=True)
    row = _detect()[with_fs]
    assert row["in_use"] is True
    assert any("ext4" in r for r in row["in_use_reasons"])
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    subprocess.run(["mount", with_fs, str(mountpoint)], check=True)
    try:
        row = _detect()[with_fs]
        assert row["in_use"] is True
        assert "mounted" in row["in_use_reasons"]
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_partition_table_makes_a_device_in_use(make_loop):
    device = make_loop(64)
    subprocess.run(
        ["sfdisk", "-q", device],
        input="label: gpt\n,32M\n",
        text=True,
        check=True,
        capture_output=True,
    )
    row = _detect()[device]
    assert row["in_use"] is True
    assert any("gpt" in r or "partitions" in r for r in row["in_use_reasons"])


def test_inspect_loop_device_with_4k_sectors(make_loop):
    device = make_loop(128, sector_size=4096)
    result = CliRunner().invoke(main, ["inspect", device, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "loop"
    assert report["geometry"]["logical_block_size"] == 4096
    assert report["geometry"]["size_bytes"] == 128 * 1024 * 1024
    assert report["geometry"]["minimum_io_size"] == _sysfs(device, "queue/minimum_io_size")
    assert report["iu"]["reported_bytes"] == 4096
    assert report["endurance"]["host_bytes_written"] is None
