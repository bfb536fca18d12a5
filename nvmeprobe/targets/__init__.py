"""One target syntax everywhere (docs/design.md "Targets"), one type per kind.

`parse_target` validates a target string and returns its type: a
`BlockTarget` (a block device), `FileTarget` (a regular file), `NbdTarget`
(an NBD export) or `SimTarget` (a simulated drive); `HostTarget` is a target
reached through another host's fio --server. Each type owns what differs
between kinds: fio engine and options, facts collection, the in-use probe,
the lock key, its short name and what a command must start to use it
(`base.Target` lists the questions). The rest of nvmeprobe asks the target;
it never tests which kind it is.
"""

from nvmeprobe.targets.base import OpenTarget, Target
from nvmeprobe.targets.host import HostTarget
from nvmeprobe.targets.local import BlockTarget, FileTarget
from nvmeprobe.targets.nbd import NbdTarget
from nvmeprobe.targets.parse import parse_target
from nvmeprobe.targets.sim import SimTarget

__all__ = [
    "BlockTarget",
    "FileTarget",
    "HostTarget",
    "NbdTarget",
    "OpenTarget",
    "SimTarget",
    "Target",
    "parse_target",
]
