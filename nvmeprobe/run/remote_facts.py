"""Facts about a remote target: from an inspect capture, assumptions, or a fio probe.

A plan needs the target's capacity and LBA size. For a target on another
host they come, in this order of preference, from:

1. `--facts HOST=DIR`: a folder made on that host by `nvmeprobe inspect
   TARGET --capture DIR`, decoded exactly as `inspect --from DIR` would
   (identity, geometry, IU, endurance). `facts_source` = "capture".
2. `--assume capacity=SIZE` / `--assume lba=SIZE`: stated by the user, for
   every host without a capture. `facts_source` = "assumed".
3. For a block device on an `ssh://` host: the same capture, read over the
   run's SSH connection (run/ssh_facts.py). `facts_source` = "ssh".
4. fio's own answer from the read-only probe (`remote_fio.probe_job`).
   `facts_source` = "fio-probe", or "assumed+fio-probe" when it filled
   what the assumptions left open.

The probe also runs beside a capture, and a capture whose size differs from
what fio sees on the host is refused: it describes another device. The
report has the shape of `inspect --json`, plus `facts_source`, `assumed`
(the keys the user stated), `host` and `fio_server`; what nobody measured
is None.
"""

from __future__ import annotations

from typing import Any

from nvmeprobe.discover.collect import Capture
from nvmeprobe.discover.session import inspect_report
from nvmeprobe.errors import InputError
from nvmeprobe.run.hosts import RemoteHost
from nvmeprobe.run.remote_fio import ProbedFacts
from nvmeprobe.units import parse_size

ASSUMABLE = ("capacity", "lba")


def parse_assumptions(values: tuple[str, ...] | list[str]) -> dict[str, int]:
    """`--assume KEY=SIZE` values -> {'capacity': bytes, 'lba': bytes}."""
    assumed: dict[str, int] = {}
    for value in values:
        key, sep, size = value.partition("=")
        if not sep or key not in ASSUMABLE:
            raise InputError(f"invalid --assume {value!r}: use capacity=SIZE or lba=SIZE")
        try:
            assumed[key] = parse_size(size)
        except (InputError, ValueError):
            raise InputError(f"invalid --assume {value!r}: {size!r} is not a size") from None
        if assumed[key] <= 0:
            raise InputError(f"invalid --assume {value!r}: must be positive")
    lba = assumed.get("lba")
    if lba is not None and (lba < 512 or lba & (lba - 1)):
        raise InputError(f"invalid --assume lba={lba}: a power of two, at least 512")
    return assumed


def needs_probe(assumed: dict[str, int]) -> bool:
    """False only when the assumptions give everything a plan needs."""
    return not all(key in assumed for key in ASSUMABLE)


def probed_report(
    host: RemoteHost, probed: ProbedFacts | None, assumed: dict[str, int], server: str | None
) -> dict[str, Any]:
    """An inspect-shaped report from assumptions and the probe (pure)."""
    size = assumed.get("capacity") or (probed.size_bytes if probed else None)
    lba = assumed.get("lba") or (probed.logical_block_size if probed else None)
    if size is None:
        raise InputError(
            f"{host.spec.address}: the size of {host.target.text} is unknown;"
            f" give --facts {host.spec.address}=DIR or --assume capacity=SIZE"
        )
    sources = [
        name
        for name, used in (("assumed", bool(assumed)), ("fio-probe", probed is not None))
        if used
    ]
    return {
        "target": host.target.text,
        "kind": host.target.remote_kind,
        "identity": {"model": None, "serial": None, "firmware": None, "vendor_id": None},
        "geometry": {
            "size_bytes": size,
            "logical_block_size": lba,
            "physical_block_size": None,
            "minimum_io_size": None,
            "optimal_io_size": None,
        },
        "iu": {"reported_bytes": None, "source": None},
        "endurance": {},
        "warnings": [],
        "gaps": ["identity, IU and endurance: no inspect capture from this host"],
        "facts_source": "+".join(sources),
        "assumed": sorted(assumed),
        "host": host.spec.address,
        "fio_server": server,
    }


def capture_report(
    host: RemoteHost, capture: Capture, source: str, probed: ProbedFacts | None, server: str | None
) -> dict[str, Any]:
    """The report decoded from a capture made on the host, checked against the probe.

    `source`: "capture DIR" for `--facts`, "ssh" for a capture read over SSH.
    """
    report = inspect_report(capture, host.target.text)
    captured_for = capture.get("target.txt", b"").decode(errors="replace").strip()
    if captured_for and captured_for != host.target.text:
        report.setdefault("warnings", []).append(
            f"{source} was made for {captured_for}, used for {host.target.text}"
        )
    size = (report.get("geometry") or {}).get("size_bytes")
    if probed is not None and probed.size_bytes is not None and size != probed.size_bytes:
        raise InputError(
            f"{host.spec.address}: {source} describes a {size}-byte device,"
            f" but fio sees {probed.size_bytes} bytes at {host.target.text};"
            f" wrong capture?"
        )
    report.update(
        facts_source="ssh" if source == "ssh" else "capture",
        assumed=[],
        host=host.spec.address,
        fio_server=server,
    )
    return report
