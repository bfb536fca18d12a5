"""Safety rules for writes (mounted, partitioned, signatures, --destroy-data) and the
per-device lock."""

import os

import pytest

from nvmeprobe.errors import EXIT_SAFETY, SafetyRefusal
from nvmeprobe.run.procs import has_open
from nvmeprobe.run.safety import WriteCheck, check_write_allowed, device_lock
from nvmeprobe.targets import BlockTarget, NbdTarget, SimTarget

DISK = BlockTarget("/dev/disk/by-id/nvme-X", "/dev/nvme0n1")


def test_blank_device_needs_no_flag():
    check_write_allowed(DISK, WriteCheck(False), [])


@pytest.mark.parametrize("name", ["/dev/nvme0n1", "/dev/disk/by-id/nvme-X", "S5XYZ"])
def test_in_use_device_named_by_path_link_or_serial(name):
    check_write_allowed(DISK, WriteCheck(True, ["signature: ext4"], serial="S5XYZ"), [name])


def test_in_use_device_refused_with_reason():
    with pytest.raises(SafetyRefusal, match="in use \\(mounted\\)") as err:
        check_write_allowed(DISK, WriteCheck(True, ["mounted"]), [])
    assert err.value.exit_code == EXIT_SAFETY


@pytest.mark.parametrize("named", [[], ["/dev/nvme0n1"]], ids=["unnamed", "named"])
def test_mounted_device_refused_even_when_named(named):
    check = WriteCheck(True, ["mounted"], mounts=["/mnt/scratch", "/srv/my data"])
    with pytest.raises(SafetyRefusal, match="mounted at /mnt/scratch, /srv/my data") as err:
        check_write_allowed(DISK, check, named)
    assert "umount /mnt/scratch && umount '/srv/my data'" in str(err.value)
    assert err.value.exit_code == EXIT_SAFETY


def test_other_targets_names_are_not_wrong_names():
    check = WriteCheck(True, ["signature: ext4"])
    check_write_allowed(DISK, check, ["/dev/nvme1n1", "/dev/nvme0n1"], elsewhere={"/dev/nvme1n1"})
    with pytest.raises(SafetyRefusal, match="in use"):  # naming another target names not this one
        check_write_allowed(DISK, check, ["/dev/nvme1n1"], elsewhere={"/dev/nvme1n1"})
    with pytest.raises(SafetyRefusal, match="does not name"):
        check_write_allowed(
            DISK, check, ["/dev/nvme2n1", "/dev/nvme0n1"], elsewhere={"/dev/nvme1n1"}
        )


def test_wrong_destroy_data_refused_even_for_blank_device():
    with pytest.raises(SafetyRefusal, match="does not name"):
        check_write_allowed(DISK, WriteCheck(False, serial="S5XYZ"), ["/dev/nvme1n1"])


def test_unknown_state_is_refused():
    with pytest.raises(SafetyRefusal, match="cannot tell"):
        check_write_allowed(DISK, WriteCheck(None, ["could not probe"]), [])


def test_nbd_export_needs_naming_sim_does_not():
    nbd = NbdTarget("nbd://127.0.0.1:10809/x", "nbd://127.0.0.1:10809/x")
    with pytest.raises(SafetyRefusal):
        check_write_allowed(nbd, WriteCheck(None), [])
    check_write_allowed(nbd, WriteCheck(None), [nbd.uri])
    check_write_allowed(SimTarget("sim:tlc-4k", "tlc-4k"), WriteCheck(None), [])


def test_lock_is_exclusive(tmp_path):
    with (
        device_lock(DISK, tmp_path),
        pytest.raises(SafetyRefusal, match="another nvmeprobe run"),
        device_lock(DISK, tmp_path),
    ):
        pass
    with device_lock(DISK, tmp_path):
        pass


def test_lock_file_is_removed_after_the_run(tmp_path):
    with device_lock(DISK, tmp_path) as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert list(tmp_path.iterdir()) == []


def test_lock_on_a_file_removed_meanwhile_is_taken_again(tmp_path, monkeypatch):
    """A run that opened the lock file just as the previous run removed it must not
    lock the orphan: it opens the path again."""
    real_open = open
    opened = []

    def open_then_lose_race(file, *args, **kwargs):
        handle = real_open(file, *args, **kwargs)
        opened.append(file)
        if len(opened) == 1:
            os.unlink(file)  # the previous holder removes it between our open and flock
        return handle

    monkeypatch.setattr("builtins.open", open_then_lose_race)
    with device_lock(DISK, tmp_path) as path:
        assert len(opened) == 2 and path.exists()


def test_has_open_tells_the_same_file_from_another(tmp_path):
    held, other = tmp_path / "held.img", tmp_path / "other.img"
    held.write_bytes(b"x")
    other.write_bytes(b"x")
    link = tmp_path / "link.img"
    link.symlink_to(held)
    with open(held, "rb"):
        assert has_open(os.getpid(), str(held)) and has_open(os.getpid(), str(link))
        assert not has_open(os.getpid(), str(other))
    assert not has_open(os.getpid(), str(held))
    assert not has_open(os.getpid(), str(tmp_path / "missing.img"))
