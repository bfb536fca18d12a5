"""One target syntax everywhere (docs/design.md "Targets"), validated before use.

A target string becomes a `Target`: a block device, a regular file, an NBD
export, or a simulated drive. Nothing from the string reaches fio or a command
line until it has passed `parse_target`: control characters, newlines and
fio's own separators are refused, and symlinks are resolved so the device
that is checked is the device that is written.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Literal

from nvmeprobe.errors import InputError

TargetKind = Literal["block", "file", "nbd", "sim"]

_NBD_RE = re.compile(r"^nbd(\+unix)?://[A-Za-z0-9._~:/?&=%+\[\]@-]*$")
_SIM_RE = re.compile(r"^sim:[A-Za-z0-9_.,=+-]+$")
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f:=,;\\]")


@dataclass(frozen=True)
class Target:
    """A validated target: `path` for block devices and files, `uri` for NBD."""

    text: str
    kind: TargetKind
    path: str | None = None
    uri: str | None = None
    sim_spec: str | None = None

    @property
    def name(self) -> str:
        """Short name for directories and tables: 'nvme0n1', 'loop3', 'sim-qlc-16k'."""
        if self.kind == "sim":
            return "sim-" + re.sub(r"[^A-Za-z0-9]+", "-", self.sim_spec or "").strip("-")
        if self.kind == "nbd":
            return "nbd-" + re.sub(r"[^A-Za-z0-9]+", "-", self.uri or "").strip("-")[-40:]
        return os.path.basename(self.path or self.text)

    @property
    def device_name(self) -> str | None:
        """The kernel name of a block device ('loop0'), else None."""
        return os.path.basename(self.path) if self.kind == "block" and self.path else None


def parse_target(text: str, must_exist: bool = True) -> Target:
    """Validate a target string and resolve it (symlinks followed)."""
    if not text or _has_control(text):
        raise InputError(f"invalid target {text!r}: empty or contains control characters")
    if text.startswith("sim:"):
        if not _SIM_RE.match(text):
            raise InputError(f"invalid simulated target {text!r}: use sim:PRESET or sim:iu=16k,slc=64m,...")
        return Target(text=text, kind="sim", sim_spec=text[4:])
    if text.startswith("nbd"):
        if not _NBD_RE.match(text):
            raise InputError(f"invalid NBD target {text!r}: use nbd+unix:///?socket=PATH or nbd://HOST:PORT/NAME")
        return Target(text=text, kind="nbd", uri=text)
    path = os.path.realpath(text)
    if _UNSAFE_PATH_CHARS.search(path):
        raise InputError(f"invalid target path {text!r}: ':', '=', ',', ';' and '\\' are not allowed in paths given to fio")
    if not os.path.exists(path):
        if must_exist or text.startswith("/dev/"):
            raise InputError(f"no such device or file: {text}")
        return Target(text=text, kind="file", path=path)
    try:
        mode = os.stat(path).st_mode
    except PermissionError:
        raise InputError(f"permission denied reading {text} (run as root?)") from None
    if stat.S_ISBLK(mode):
        return Target(text=text, kind="block", path=path)
    if stat.S_ISREG(mode):
        return Target(text=text, kind="file", path=path)
    raise InputError(f"{text} is neither a block device nor a regular file")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
