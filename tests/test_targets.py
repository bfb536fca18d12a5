import os

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.targets import parse_target


@pytest.mark.parametrize("text", [
    "/dev/loop0\nexec_prerun=rm -rf /",   # a newline cannot add a fio option
    "/tmp/a=b", "/tmp/a:b", "",
    "sim:qlc-16k\nexec_prerun=x", "sim:iu=16k;rm", "nbd://h/x y",
])
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
    assert target.kind == "file" and target.path == str(real) and target.text == str(link)


def test_sim_and_nbd_targets():
    sim = parse_target("sim:iu=16k,slc=64m")
    assert sim.kind == "sim" and sim.sim_spec == "iu=16k,slc=64m" and sim.name == "sim-iu-16k-slc-64m"
    nbd = parse_target("nbd+unix:///?socket=/tmp/s.sock")
    assert nbd.kind == "nbd" and nbd.uri == "nbd+unix:///?socket=/tmp/s.sock"
