from nvmeprobe.discover.blockdev import BlockDevice, device_kind
from nvmeprobe.discover.in_use import (
    in_use_reasons,
    mount_points,
    mounted_devs,
    parse_wipefs_json,
    swap_devices,
)

MOUNTINFO = """22 27 0:21 / /proc rw,relatime - proc proc rw
29 27 7:3 / /mnt rw,relatime - ext4 /dev/loop3 rw
30 27 259:2 / /data rw - xfs /dev/nvme0n1p1 rw
"""


def _dev(**kw):
    base = dict(name="loop3", kind="loop", size_bytes=1 << 30, dev="7:3")
    base.update(kw)
    return BlockDevice(**base)


def test_mountinfo_and_swaps_parse():
    assert mounted_devs(MOUNTINFO) == {"0:21", "7:3", "259:2"}
    assert swap_devices("Filename Type Size Used Priority\n/dev/sdb2 partition 1 0 -2\n") == {
        "/dev/sdb2"
    }


def test_mount_points_of_a_device_and_its_partitions():
    spaced = MOUNTINFO + "31 27 259:3 / /srv/my\\040data rw - xfs /dev/nvme0n1p2 rw\n"
    assert mount_points(spaced, {"7:3"}) == ["/mnt"]
    assert mount_points(spaced, {"259:0", "259:2", "259:3"}) == ["/data", "/srv/my data"]
    assert mount_points(spaced, {"7:4"}) == []


def test_wipefs_json():
    assert parse_wipefs_json('{"signatures": []}') == []
    assert parse_wipefs_json('{"signatures": [{"type": "linux_raid_member"}]}') == [
        "linux_raid_member"
    ]
    assert parse_wipefs_json("") == []


def test_verdicts():
    assert in_use_reasons(_dev(), [], {"7:3"}, set(), []).reasons == ["mounted"]
    assert in_use_reasons(_dev(dev="7:4"), [], {"7:3"}, set(), []).in_use is False
    partitioned = in_use_reasons(
        _dev(name="nvme0n1", dev="259:0", partitions=["nvme0n1p1"]),
        ["259:2"],
        mounted_devs(MOUNTINFO),
        set(),
        ["gpt"],
    )
    assert partitioned.in_use is True and "mounted" in partitioned.reasons
    assert any("gpt" in r for r in partitioned.reasons)
    held = in_use_reasons(_dev(holders=["dm-0"]), [], set(), set(), [])
    assert held.in_use is True and held.reasons == ["held by: dm-0"]
    unknown = in_use_reasons(_dev(), [], set(), set(), None)
    assert unknown.in_use is None


def test_kinds():
    assert [
        device_kind(n) for n in ("nvme0n1", "loop0", "nullb0", "vdb", "sdc", "nbd0", "xvda")
    ] == ["nvme", "loop", "null_blk", "virtio", "scsi", "nbd", "other"]


def test_hidden_multipath_paths_are_not_listed():
    from nvmeprobe.discover.detect import merge_detected

    listed = [
        {
            "device": "/dev/nvme1c1n1",
            "model": "Linux",
            "serial": "x",
            "firmware": "6.1",
            "size_bytes": 1 << 28,
            "logical_block_size": 4096,
        },
        {
            "device": "/dev/nvme1n1",
            "model": "Linux",
            "serial": "x",
            "firmware": "6.1",
            "size_bytes": 1 << 28,
            "logical_block_size": 4096,
        },
    ]
    rows = merge_detected([], listed, {})
    assert [r["target"] for r in rows] == ["/dev/nvme1n1"]
