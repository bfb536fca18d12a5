"""A target made ready for a command: simulators started, facts read, counters.

The discover stage's live side: inspect, plan and run open a target here.

`open_session` is a context manager: it opens the target for the command's
duration (a `sim:` target starts its simulated drive and stops it on exit,
Ctrl-C and SIGTERM included), reads the inspect facts once, and offers
`counters()` to snapshot host and media bytes written around write cells
where the target has them, and `thermal()` to read its temperature and
throttling counters (NVMe and simulated drives; None for the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nvmeprobe.discover.collect import Capture
from nvmeprobe.discover.decode import decode_capture, used_bytes
from nvmeprobe.discover.thermal_log import ThermalCounters, temperature_limit_c, thermal_counters
from nvmeprobe.targets import OpenTarget, Target, parse_target


@dataclass
class Counters:
    """Cumulative counters as the drive reports them now; None when not exposed.

    `unaligned_io` is OCP C0h's Unaligned I/O (writes whose start is not
    IU-aligned); `used_bytes` the bytes the namespace reports holding data
    (Identify Namespace nuse x LBA size), read for the fill level.
    """

    host_bytes_written: int | None
    media_bytes_written: int | None
    unaligned_io: int | None = None
    used_bytes: int | None = None


@dataclass
class Session:
    """What commands need from a target while it is open."""

    target: Target  # as the user named it
    fio_target: Target  # what fio opens (the NBD export of a simulator)
    facts: dict[str, Any]  # the `inspect --json` report
    capture: Capture
    read_counters: Callable[[], Counters] = field(repr=False, default=lambda: Counters(None, None))
    sim_stats: Callable[[], dict[str, Any]] | None = field(repr=False, default=None)
    read_thermal: Callable[[], ThermalCounters | None] = field(repr=False, default=lambda: None)

    def counters(self) -> Counters:
        """Snapshot the drive's write counters now."""
        return self.read_counters()

    def thermal(self) -> ThermalCounters | None:
        """The drive's temperature and throttling counters now (None: it reports none)."""
        return self.read_thermal()

    @property
    def temperature_limit_c(self) -> int | None:
        """The drive's warning temperature threshold (Identify `wctemp`), None if unreported."""
        return temperature_limit_c(self.capture.get("id-ctrl.json"))


def inspect_report(capture: Capture, target_text: str) -> dict[str, Any]:
    """The `inspect --json` document decoded from a capture."""
    return decode_capture(capture, target_text).to_dict()


def _counters_from_report(report: dict[str, Any], used: int | None) -> Counters:
    endurance = report.get("endurance") or {}
    return Counters(
        endurance.get("host_bytes_written"),
        endurance.get("media_bytes_written"),
        endurance.get("unaligned_io"),
        used,
    )


def _read_capture(target: Target, live: OpenTarget) -> Capture:
    return {"target.txt": target.text.encode(), **live.capture()}


def _counter_reader(
    target: Target, live: OpenTarget, report: dict[str, Any]
) -> Callable[[], Counters]:
    """A simulator's counters as its logs show them; an NVMe drive's SMART/endurance counters;
    else none."""
    stats = live.stats
    if stats is not None:

        def sim_counters() -> Counters:
            now = stats()
            if now["params"]["report"] == "none":  # a drive without logs shows no counters
                return Counters(None, None)
            shown = now["reported"]  # as of the logs' last refresh
            lba, size = now["params"]["lba"], now["params"]["capacity"]
            used = min(size, -(-now["stored_bytes"] // lba) * lba)  # its Identify nuse x lba
            return Counters(
                shown["host_bytes_written"],
                shown["media_bytes_written"],
                shown["unaligned_starts"],
                used,
            )

        return sim_counters

    def device_counters() -> Counters:
        if report.get("kind") != "nvme":
            return Counters(None, None)
        capture = _read_capture(target, live)
        return _counters_from_report(inspect_report(capture, target.text), used_bytes(capture))

    return device_counters


def _thermal_reader(
    live: OpenTarget, report: dict[str, Any]
) -> Callable[[], ThermalCounters | None]:
    """A simulator's or an NVMe drive's thermal report from its SMART and OCP logs; else none."""
    if live.stats is None and report.get("kind") != "nvme":
        return lambda: None

    def read() -> ThermalCounters | None:
        capture = live.capture()
        counters = thermal_counters(
            capture.get("smart-log.json"), capture.get("ocp-smart-add-log.json")
        )
        return counters if counters.reports_anything else None

    return read


@contextmanager
def open_session(target_text: str, workdir: Path | None = None) -> Iterator[Session]:
    """Open a target for inspect/plan/run; simulators live exactly as long as this."""
    target = parse_target(target_text)
    with target.opened(workdir) as live:
        capture = _read_capture(target, live)
        report = inspect_report(capture, target.text)
        yield Session(
            target,
            live.fio_target,
            report,
            capture,
            _counter_reader(target, live, report),
            live.stats,
            _thermal_reader(live, report),
        )


def drive_identity(session: Session) -> tuple[str, str | None]:
    """(model, serial) that the drive's profiles are filed under: a device without a
    model (a loop device) is filed under its name."""
    identity = session.facts.get("identity") or {}
    return identity.get("model") or session.target.name, identity.get("serial")
