"""Safety for targets on other hosts: stricter than the local rules, never looser.

From here nvmeprobe cannot see whether a remote target is mounted,
partitioned, held or carries a signature, and an `inspect --capture` folder
only says what the device was when the capture was made (and records no
mounts or signatures at all). So a write plan on remote hosts needs every
host's target named in `--destroy-data`, captures or not: as the target
itself (`/dev/nvme0n1`, which names it on every host that has that target)
or as `HOST[:PORT]=TARGET` (that host only). An NVMe serial is not accepted:
it would come from a capture, not from the device as it is now. A value that
names no host's target is refused, as locally.
"""

from __future__ import annotations

from nvmeprobe.errors import SafetyRefusal
from nvmeprobe.run.hosts import RemoteHost


def remote_names(host: RemoteHost) -> set[str]:
    """Every `--destroy-data` value that names this host's target."""
    target = host.target.text
    spec = host.spec
    return {
        target,
        f"{spec.address}={target}",
        f"{spec.host}:{spec.port}={target}",
        f"{spec.host}={target}",
    }


def check_remote_writes(
    hosts: list[RemoteHost], destroy_data: list[str], known: list[RemoteHost] | None = None
) -> None:
    """Raise SafetyRefusal unless every writing host's target is named and every value names one.

    `known` are all the run's hosts (on resume, hosts already finished are no
    longer written but may still be named); default `hosts`.
    """
    names = {host.spec.address: remote_names(host) for host in known or hosts}
    for value in destroy_data:
        if not any(value in accepted for accepted in names.values()):
            examples = ", ".join(
                sorted(f"{h.spec.address}={h.target.text}" for h in known or hosts)
            )
            raise SafetyRefusal(
                f"--destroy-data={value} does not name any host's target"
                f" (accepted: TARGET or HOST:PORT=TARGET, e.g. {examples}); refusing to write"
            )
    for host in hosts:
        if not any(value in names[host.spec.address] for value in destroy_data):
            raise SafetyRefusal(
                f"{host.spec.address}: {host.target.text} is on another host and cannot be checked"
                f" for use from here; name it in --destroy-data ({host.target.text} or"
                f" {host.spec.address}={host.target.text}) to write to it"
            )
