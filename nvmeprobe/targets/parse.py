"""The one place a target string is validated and turned into its type.

Nothing from the string reaches fio or a command line until it has passed
`parse_target`: control characters, newlines and fio's own separators are
refused, and symlinks are resolved so the device that is checked is the
device that is written. A target on another host (`remote=True`) cannot be
resolved or stat'ed from here: it is taken literally and must be absolute
(or an NBD URI); simulated drives run on this machine only. The form of an
NBD URI is `NbdTarget.from_uri`'s to check (a simulator's export passes it
too).
"""

from __future__ import annotations

import os
import re
import stat

from nvmeprobe.errors import InputError
from nvmeprobe.targets.base import Target
from nvmeprobe.targets.local import BlockTarget, FileTarget
from nvmeprobe.targets.nbd import NbdTarget
from nvmeprobe.targets.sim import SimTarget

_SIM_RE = re.compile(r"^sim:[A-Za-z0-9_.,=+-]+$")
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f:=,;\\]")
_UNSAFE_PATH = "':', '=', ',', ';' and '\\' are not allowed in paths given to fio"


def parse_target(text: str, must_exist: bool = True, remote: bool = False) -> Target:
    """Validate a target string and resolve it (symlinks followed; not when `remote`)."""
    where = "remote target" if remote else "target"
    if not text or _has_control(text):
        raise InputError(f"invalid {where} {text!r}: empty or contains control characters")
    if text.startswith("sim:"):
        if remote:
            raise InputError(
                f"{text}: simulated drives run on this machine, not on a remote fio --server"
            )
        if not _SIM_RE.match(text):
            raise InputError(
                f"invalid simulated target {text!r}: use sim:PRESET or sim:iu=16k,slc=64m,..."
            )
        return SimTarget(text, text[4:])
    if text.startswith("nbd"):
        return NbdTarget.from_uri(text)
    if remote:
        return _remote_path(text)
    path = os.path.realpath(text)
    if _UNSAFE_PATH_CHARS.search(path):
        raise InputError(f"invalid target path {text!r}: {_UNSAFE_PATH}")
    if not os.path.exists(path):
        if must_exist or text.startswith("/dev/"):
            raise InputError(f"no such device or file: {text}")
        return FileTarget(text, path)
    try:
        mode = os.stat(path).st_mode
    except PermissionError:
        raise InputError(f"permission denied reading {text} (run as root?)") from None
    if stat.S_ISBLK(mode):
        return BlockTarget(text, path)
    if stat.S_ISREG(mode):
        return FileTarget(text, path)
    raise InputError(f"{text} is neither a block device nor a regular file")


def _remote_path(text: str) -> Target:
    """A path on another host, taken literally: a device under /dev/, else a file."""
    if not text.startswith("/"):
        raise InputError(f"invalid remote target {text!r}: give an absolute path on that host")
    if _UNSAFE_PATH_CHARS.search(text):
        raise InputError(f"invalid remote target {text!r}: {_UNSAFE_PATH}")
    return BlockTarget(text, text) if text.startswith("/dev/") else FileTarget(text, text)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
