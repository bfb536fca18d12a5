import os
import re
from pathlib import Path

import pytest

import nvmeprobe
from nvmeprobe.errors import InputError
from nvmeprobe.targets import (
    BlockTarget,
    FileTarget,
    HostTarget,
    NbdTarget,
    SimTarget,
    parse_target,
)


@pytest.mark.parametrize(
    "text",
    [
        "/dev/loop0\nexec_prerun=rm -rf /",  # a newline cannot add a fio option
        "/tmp/a=b",
        "/tmp/a:b",
        "",
        "sim:qlc-16k\nexec_prerun=x",
        "sim:iu=16k;rm",
        "nbd://h/x y",
    ],
)
def test_unsafe_targets_refused(text):
    with pytest.raises(InputError):
        parse_target(text, must_exist=False)


def test_missing_device_and_not_a_device(tmp_path):
    with pytest.raises(InputError, match="no such device"):
        parse_target("/dev/nvme99n9")
    with pytest.raises(InputError, match="neither a block device"):
        parse_target(str(tmp_path))


def test_symlink_resolved(tmp_path):
    real = tmp_path / "disk.img"
    real.write_bytes(b"\0" * 4096)
    link = tmp_path / "by-id"
    os.symlink(real, link)
    target = parse_target(str(link))
    assert isinstance(target, FileTarget) and target.path == str(real) and target.text == str(link)


def test_sim_and_nbd_targets():
    sim = parse_target("sim:iu=16k,slc=64m")
    assert isinstance(sim, SimTarget) and sim.spec == "iu=16k,slc=64m"
    assert sim.name == "sim-iu-16k-slc-64m"
    nbd = parse_target("nbd+unix:///?socket=/tmp/s.sock")
    assert isinstance(nbd, NbdTarget) and nbd.uri == "nbd+unix:///?socket=/tmp/s.sock"


def test_types_own_their_kind(tmp_path):
    """What differs between kinds is each type's own answer (fio engine, lock, names)."""
    disk = BlockTarget("/dev/disk/by-id/nvme-X", "/dev/nvme0n1")
    assert (disk.name, disk.lock_key, disk.fio_file()) == (
        "nvme0n1",
        "dev_nvme0n1",
        ("filename", "/dev/nvme0n1"),
    )
    assert disk.fio_engine(None) == "io_uring" and disk.fio_engine("libaio") == "libaio"
    with pytest.raises(InputError, match="unsupported ioengine"):
        disk.fio_engine("nbd")
    nbd = parse_target("nbd+unix:///?socket=/tmp/s.sock")
    assert nbd.fio_engine(None) == "nbd" and nbd.fio_file() == ("uri", nbd.uri)
    assert nbd.unknowable_use and not disk.unknowable_use and nbd.remote_kind == "nbd"
    sim = parse_target("sim:tlc-4k")
    assert sim.disposable and not nbd.disposable
    with pytest.raises(InputError, match="must be started first"):
        sim.fio_engine(None)
    remote = HostTarget.on("10.0.0.5-8765", parse_target("/dev/nvme0n1", remote=True))
    assert remote.text == "10.0.0.5-8765-/dev/nvme0n1"
    assert remote.lock_key == "10.0.0.5-8765-_dev_nvme0n1"
    assert remote.fio_engine(None) == "io_uring" and remote.names() == {remote.text}


def test_remote_targets_taken_literally():
    assert isinstance(parse_target("/dev/nvme0n1", remote=True), BlockTarget)
    assert parse_target("/srv/x.img", remote=True).path == "/srv/x.img"
    for text, message in (
        ("sim:tlc-4k", "run on this machine"),
        ("disk.img", "absolute path"),
        ("/srv/a:b", "not allowed"),
    ):
        with pytest.raises(InputError, match=message):
            parse_target(text, remote=True)


_KIND_TEST = re.compile(r"target\.kind\b")  # targets have no kind: any use is a kind test
_TYPE_TEST = re.compile(r"isinstance\([^)]*\b(Block|File|Nbd|Sim|Host)Target\b")


def test_no_code_outside_the_target_types_tests_a_targets_kind():
    """The rest of nvmeprobe asks the target; it never compares its kind or tests its type."""
    package = Path(nvmeprobe.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.parent.name == "targets":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _KIND_TEST.search(line) or _TYPE_TEST.search(line):
                found.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert not found, "kind tests outside nvmeprobe/targets:\n" + "\n".join(found)
