"""Safety rules for writing (docs/design.md "Safety").

A write plan never starts on a target that is mounted, partitioned, held or
carries a signature, unless the user named that exact device (its resolved
path, the name they typed, or an NVMe serial) in `--destroy-data`. A
`--destroy-data` value that names something else is refused too: the user
meant another device. Unknown state (the probe failed) counts as in use.
A mounted filesystem is never written, named or not (as `mkfs` refuses): the
kernel is using it, and the user who wants it gone unmounts it first.
"""

from __future__ import annotations

import fcntl
import os
import shlex
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from nvmeprobe.errors import SafetyRefusal
from nvmeprobe.run.procs import fio_holding
from nvmeprobe.targets import Target


@dataclass
class WriteCheck:
    """What the edge learned about a target before writing to it."""

    in_use: bool | None
    reasons: list[str] = field(default_factory=list)
    serial: str | None = None
    mounts: list[str] = field(default_factory=list)  # where it or a partition is mounted


def names_for(target: Target, serial: str | None) -> set[str]:
    """Every name by which the user may legitimately mean this target."""
    names = target.names()
    if serial:
        names.add(serial.strip())
    return names


def check_write_allowed(
    target: Target, check: WriteCheck, destroy_data: list[str], elsewhere: Collection[str] = ()
) -> None:
    """Raise SafetyRefusal unless writing to `target` is allowed.

    `elsewhere`: names of the other targets of the same command, whose
    `--destroy-data` values are theirs, not wrong names of this one.
    """
    if target.disposable:
        return
    if check.mounts:
        raise SafetyRefusal(
            f"{target.text} is mounted at {', '.join(check.mounts)}; nvmeprobe never writes a"
            f" mounted filesystem, --destroy-data or not: unmount it first"
            f" (umount {' && umount '.join(shlex.quote(m) for m in check.mounts)})"
        )
    names = names_for(target, check.serial)
    wrong = [value for value in destroy_data if value not in names and value not in elsewhere]
    destroy_data = [value for value in destroy_data if value in names]
    if wrong:
        raise SafetyRefusal(
            f"--destroy-data={wrong[0]} does not name {target.text}"
            f" (accepted: {', '.join(sorted(names))}); refusing to write"
        )
    if destroy_data:
        return
    if target.unknowable_use:
        raise SafetyRefusal(
            f"{target.text} is {target.unknowable_use}; name it in --destroy-data to write to it"
        )
    if check.in_use is None:
        raise SafetyRefusal(
            f"cannot tell whether {target.text} is in use"
            f" ({'; '.join(check.reasons)}); name it in --destroy-data to write to it"
        )
    if check.in_use:
        raise SafetyRefusal(
            f"{target.text} is in use ({'; '.join(check.reasons)});"
            f" name it in --destroy-data to overwrite it"
        )


def refuse_if_fio_running(target: Target) -> None:
    """SafetyRefusal when a fio process already has the target open.

    A second workload would spoil this run's measurements; and one left behind
    by a run that was killed (kill -9 and the OOM killer take nvmeprobe, not
    its fio) goes on writing until its runtime ends.
    """
    if not target.path:
        return
    busy = fio_holding(target.path)
    if busy:
        raise SafetyRefusal(
            f"fio (pid {', '.join(map(str, busy))}) is running on {target.text}: a second"
            f" workload would spoil the measurements; wait for it or stop it"
        )


LOCK_DIR = Path(os.environ.get("NVMEPROBE_LOCK_DIR", "/run/lock"))


@contextmanager
def device_lock(target: Target, lock_dir: Path = LOCK_DIR) -> Iterator[Path]:
    """Hold an exclusive per-device lock for the duration of a run.

    The lock file is removed when the run ends. A run that opened the file
    just before it was removed holds a lock on a file nobody else can find,
    so after locking it checks that the path still names the file it
    locked, and starts again if not.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"nvmeprobe-{target.lock_key}.lock"
    while True:
        handle = open(path, "a+")  # noqa: SIM115 - held open (locked) until the run ends
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SafetyRefusal(
                f"another nvmeprobe run holds {target.text} (lock {path})"
            ) from None
        if _same_file(handle, path):
            break
        handle.close()
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _same_file(handle: IO[str], path: Path) -> bool:
    """True when `path` still names the open file `handle`."""
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False
