"""decode_capture: captured tool output (file name -> bytes) -> the `inspect --json` report.

Canonical capture names (what the edge writes): nvme-list.json; id-ctrl.{json,txt,bin};
id-ns.{json,txt,bin}; smart-log.{json,txt,bin}; ocp-smart-add-log.{json,txt};
endurance-log-<N>.json; vendor-smart.txt; smartctl.json; sysfs-queue.txt (key=value);
sysfs-size.txt (bytes); sysfs-identity.txt (model=, serial=, firmware= lines); kind.txt;
`<name>.err` (stderr of a failed command, or a note such as nvme-cli.err). The names
used by tests/fixtures/emulated/* (nvme-id-ctrl.json, queue-limits.txt, list.json, ...)
are accepted as aliases, and a `summary.txt` with "NAME rc=N" lines marks failed commands.

A file that is missing, failed or malformed becomes a one-line entry in `gaps`; the rest
of the report still decodes. So does an impossible value: a size of zero or below
(nvme-cli prints `nvme list`'s PhysicalSize through a 32-bit signed integer on some
versions, e.g. -2147483648), or a size beyond the namespace (nsze x LBA size from Identify
Namespace), is a gap naming the tool and the value, never a fact. Precedence when sources
overlap: Identify Controller over `nvme list` over smartctl over sysfs for identity; sysfs
over Identify Namespace over `nvme list` over smartctl for geometry; OCP C0 over the
endurance-group log over a vendor log for media bytes written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from nvmeprobe.discover.endurance_log import EnduranceGroupLog, parse_endurance_log
from nvmeprobe.discover.facts import Endurance, Geometry, Identity, InspectReport, IuInfo
from nvmeprobe.discover.id_ctrl import ControllerFacts, parse_id_ctrl
from nvmeprobe.discover.id_ns import NamespaceFacts, parse_id_ns
from nvmeprobe.discover.iu import SOURCE_NPWG, decode_iu
from nvmeprobe.discover.nvme_list import ListedNamespace, parse_nvme_list, pick_namespace
from nvmeprobe.discover.ocp_log import OcpSmartLog, parse_ocp_smart_log
from nvmeprobe.discover.smart_log import SmartLog, parse_smart_log
from nvmeprobe.discover.smartctl import SmartctlFacts, parse_smartctl
from nvmeprobe.discover.sysfs_text import parse_key_values, parse_size, parse_text_values
from nvmeprobe.discover.values import decode_text
from nvmeprobe.discover.vendor_smart import VendorSmart, parse_vendor_smart
from nvmeprobe.errors import ProbeError
from nvmeprobe.units import format_bytes

T = TypeVar("T")


@dataclass(frozen=True)
class Slot:
    """One kind of capture: its label in messages and the file names it may arrive under."""

    label: str
    names: tuple[str, ...]
    error_names: tuple[str, ...] = ()


SLOTS = {
    "nvme_list": Slot("nvme list", ("nvme-list.json", "list.json")),
    "id_ctrl": Slot(
        "Identify Controller", ("id-ctrl.json", "id-ctrl.txt", "id-ctrl.bin", "nvme-id-ctrl.json")
    ),
    "id_ns": Slot(
        "Identify Namespace",
        ("id-ns.json", "id-ns.txt", "id-ns.bin", "nvme-id-ns.json", "nvme-id-ns-H.txt"),
    ),
    "smart": Slot(
        "SMART log", ("smart-log.json", "smart-log.txt", "smart-log.bin", "nvme-smart-log.json")
    ),
    "ocp": Slot(
        "OCP C0 log",
        ("ocp-smart-add-log.json", "ocp-smart-add-log.txt", "nvme-ocp-smart-add-log.json"),
        error_names=("nvme-get-log-c0.txt",),
    ),
    "vendor": Slot("vendor SMART log", ("vendor-smart.txt",)),
    "smartctl": Slot("smartctl", ("smartctl.json",)),
    "sysfs_queue": Slot("sysfs queue limits", ("sysfs-queue.txt", "queue-limits.txt", "queue.txt")),
    "sysfs_size": Slot("sysfs size", ("sysfs-size.txt",)),
    "sysfs_identity": Slot("sysfs identity", ("sysfs-identity.txt",)),
}
_ENDURANCE_NAME = re.compile(r"^endurance-log-(\d+)\.json$")
_SUMMARY_LINE = re.compile(r"^(?:\S+:\s+)?(\S+)\s+rc=(\d+)\b")
_NVME_STATUS = re.compile(r"NVMe status:\s*([^:(]+)")
_UNSUPPORTED = ("Invalid Field in Command", "Invalid Log Page", "Invalid Command Opcode")
_PARSE_ERRORS = (ProbeError, ValueError, LookupError, TypeError, AttributeError)
_CRITICAL_BITS = (
    (0x01, "available spare is below its threshold"),
    (0x02, "temperature is outside its thresholds"),
    (0x04, "reliability is degraded by media or internal errors"),
    (0x08, "media is read-only"),
    (0x10, "volatile memory backup has failed"),
    (0x20, "persistent memory region is read-only"),
)
WEAR_WARNING_PERCENT = 90


@dataclass
class _Capture:
    """The files of one capture and the gaps found while reading them."""

    files: dict[str, bytes]
    gaps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.exit_codes = _summary_exit_codes(self.files.get("summary.txt", b""))

    def read(self, slot_key: str, parser: Callable[[bytes], T]) -> T | None:
        """Parse the first non-empty file of the slot; record a gap when none parses."""
        slot = SLOTS[slot_key]
        for name in slot.names:
            data = self.files.get(name)
            if data is not None and data.strip():
                return self.parse(name, data, parser)
        failure = self._failure(slot)
        if failure:
            self.gaps.append(f"{slot.label} {failure}")
        return None

    def parse(self, name: str, data: bytes, parser: Callable[[bytes], T]) -> T | None:
        """parser(data), or None and a gap naming the file when the content is malformed."""
        try:
            return parser(data)
        except _PARSE_ERRORS as err:
            self.gaps.append(f"{name}: could not be parsed ({err})")
            return None

    def leftover_errors(self) -> None:
        """A gap for every `.err` no slot explains (a missing tool, a failed endurance log)."""
        claimed = {f"{n}.err" for slot in SLOTS.values() for n in slot.names + slot.error_names}
        for name in sorted(self.files):
            if name.endswith(".err") and name not in claimed:
                lines = [
                    line.strip()
                    for line in decode_text(self.files[name]).splitlines()
                    if line.strip()
                ]
                self.gaps.append(f"{name[:-4]}: {lines[0] if lines else 'failed'}")

    def _failure(self, slot: Slot) -> str | None:
        names = slot.names + slot.error_names
        errors = [decode_text(self.files[f"{n}.err"]) for n in names if f"{n}.err" in self.files]
        status = next((m for e in errors if (m := _NVME_STATUS.search(e))), None)
        if status:
            reason = f"NVMe status: {status[1].strip()}"
            if any(code in reason for code in _UNSUPPORTED):
                return f"not supported by this drive: {reason}"
            return f"could not be read: {reason}"
        lines = [line.strip() for e in errors for line in e.splitlines() if line.strip()]
        if lines:
            return f"could not be read: {lines[0]}"
        codes = [self.exit_codes[n] for n in names if self.exit_codes.get(n)]
        if codes:
            return f"could not be read: the command exited with status {codes[0]}"
        return None


def _summary_exit_codes(summary: bytes) -> dict[str, int]:
    codes = {}
    for line in decode_text(summary).splitlines():
        match = _SUMMARY_LINE.match(line.strip())
        if match:
            codes[match[1]] = int(match[2])
    return codes


def _first(*values: T | None) -> T | None:
    return next((v for v in values if v is not None), None)


def decode_capture(files: dict[str, bytes], target: str) -> InspectReport:
    """The `inspect` report for `target` from its captured tool output."""
    cap = _Capture(files)
    listed_all = cap.read("nvme_list", parse_nvme_list)
    listed = pick_namespace(listed_all, target) if listed_all else None
    ctrl = cap.read("id_ctrl", parse_id_ctrl)
    ns = cap.read("id_ns", parse_id_ns)
    smart = cap.read("smart", parse_smart_log)
    ocp = cap.read("ocp", parse_ocp_smart_log)
    vendor = cap.read("vendor", parse_vendor_smart)
    smartctl = cap.read("smartctl", parse_smartctl)
    sysfs = cap.read("sysfs_queue", parse_key_values) or {}
    size = cap.read("sysfs_size", parse_size)
    sysfs_identity = cap.read("sysfs_identity", parse_text_values) or {}
    groups = _endurance_groups(cap)
    cap.leftover_errors()

    identity = _identity(ctrl, listed, smartctl, sysfs_identity)
    geometry = _geometry(sysfs, _sizes(cap, size, ns, listed, smartctl), ns, listed, smartctl)
    iu = decode_iu(ns, sysfs)
    endurance = _endurance(smart or (smartctl.smart if smartctl else None), ocp, groups, vendor, ns)
    if smart is None and (smartctl is None or smartctl.smart is None):
        cap.gaps.append("no SMART/Health log captured: wear, spare and temperature are unknown")
    if endurance.media_bytes_written is None and not any(g.startswith("OCP C0") for g in cap.gaps):
        cap.gaps.append(
            "media bytes written unknown: no OCP C0, endurance-group or vendor log reports it"
        )
    kind = _kind(files, target, ctrl, ns, listed_all)
    return InspectReport(
        target=target,
        kind=kind,
        identity=identity,
        geometry=geometry,
        iu=iu,
        endurance=endurance,
        warnings=_warnings(endurance, iu, geometry, sysfs),
        gaps=cap.gaps,
    )


def used_bytes(files: dict[str, bytes]) -> int | None:
    """Bytes the namespace reports holding data (Identify Namespace nuse x LBA size), or None."""
    ns = _Capture(files).read("id_ns", parse_id_ns)
    if ns is None or ns.nuse is None or not ns.lba_size:
        return None
    return ns.nuse * ns.lba_size


def _endurance_groups(cap: _Capture) -> list[EnduranceGroupLog]:
    groups: list[EnduranceGroupLog] = []
    for name in sorted(cap.files):
        match = _ENDURANCE_NAME.match(name)
        if match and cap.files[name].strip():
            group = cap.parse(
                name, cap.files[name], partial(parse_endurance_log, group_id=int(match[1]))
            )
            if group:
                groups.append(group)
    return groups


def _kind(
    files: dict[str, bytes],
    target: str,
    ctrl: ControllerFacts | None,
    ns: NamespaceFacts | None,
    listed: list[ListedNamespace] | None,
) -> str | None:
    stated = decode_text(files.get("kind.txt", b"")).strip()
    if stated:
        return stated
    if ctrl or ns or listed or target.startswith("/dev/nvme"):
        return "nvme"
    return None


def _identity(
    ctrl: ControllerFacts | None,
    listed: ListedNamespace | None,
    smartctl: SmartctlFacts | None,
    sysfs: dict[str, str],
) -> Identity:
    vid = _first(ctrl.vendor_id if ctrl else None, smartctl.vendor_id if smartctl else None)
    watts = [ps.max_power_w for ps in ctrl.power_states] if ctrl and ctrl.power_states else None
    return Identity(
        model=_first(
            (ctrl.model if ctrl else None),
            (listed.model if listed else None),
            (smartctl.model if smartctl else None),
            sysfs.get("model"),
        ),
        serial=_first(
            (ctrl.serial if ctrl else None),
            (listed.serial if listed else None),
            (smartctl.serial if smartctl else None),
            sysfs.get("serial"),
        ),
        firmware=_first(
            (ctrl.firmware if ctrl else None),
            (listed.firmware if listed else None),
            (smartctl.firmware if smartctl else None),
            sysfs.get("firmware"),
        ),
        vendor_id=f"0x{vid:04x}" if vid else None,  # 0 is "no vendor id" (e.g. the Linux target)
        power_states_w=watts,
        max_power_w=ctrl.max_power_w if ctrl else None,
    )


def _sizes(
    cap: _Capture,
    size: int | None,
    ns: NamespaceFacts | None,
    listed: ListedNamespace | None,
    smartctl: SmartctlFacts | None,
) -> int | None:
    """The first plausible size, in precedence order; every impossible one becomes a gap."""
    namespace = ns.size_bytes if ns and ns.size_bytes and ns.size_bytes > 0 else None
    sources = [
        ("sysfs size", size),
        ("Identify Namespace size (nsze)", ns.size_bytes if ns else None),
        ("nvme list PhysicalSize", listed.size_bytes if listed else None),
        ("smartctl namespace size", smartctl.size_bytes if smartctl else None),
    ]
    plausible = []
    for label, value in sources:
        if value is None:
            continue
        if value <= 0:
            cap.gaps.append(
                f"{label} {value} is impossible (a size must be positive; nvme-cli"
                f" overflows 32-bit sizes): not used"
            )
        elif namespace is not None and value > namespace:
            cap.gaps.append(
                f"{label} {value} is impossible: beyond the namespace's {namespace}"
                f" bytes (Identify Namespace): not used"
            )
        else:
            plausible.append(value)
    return plausible[0] if plausible else None


def _geometry(
    sysfs: dict[str, int],
    size: int | None,
    ns: NamespaceFacts | None,
    listed: ListedNamespace | None,
    smartctl: SmartctlFacts | None,
) -> Geometry:
    """Sizes and block sizes; `size` is the size `_sizes` found plausible."""

    def positive(key: str) -> int | None:
        return sysfs.get(key) or None

    return Geometry(
        size_bytes=size,
        logical_block_size=_first(
            positive("logical_block_size"),
            (ns.lba_size if ns else None),
            (listed.logical_block_size if listed else None),
            (smartctl.logical_block_size if smartctl else None),
        ),
        physical_block_size=positive("physical_block_size"),
        minimum_io_size=positive("minimum_io_size"),
        optimal_io_size=positive("optimal_io_size"),
    )


def _media(
    ocp: OcpSmartLog | None, group: EnduranceGroupLog | None, vendor: VendorSmart | None
) -> tuple[int | None, str | None]:
    if ocp and ocp.media_bytes_written is not None:
        return ocp.media_bytes_written, "ocp c0"
    if group and group.media_bytes_written is not None:
        return group.media_bytes_written, f"endurance group {group.group_id}"
    if vendor and vendor.media_bytes_written is not None:
        return vendor.media_bytes_written, f"vendor log ({vendor.format})"
    return None, None


def _endurance(
    smart: SmartLog | None,
    ocp: OcpSmartLog | None,
    groups: list[EnduranceGroupLog],
    vendor: VendorSmart | None,
    ns: NamespaceFacts | None,
) -> Endurance:
    group = next(
        (g for g in groups if ns and g.group_id == ns.endgid), groups[0] if groups else None
    )
    media, media_source = _media(ocp, group, vendor)
    host = _first(
        (smart.host_bytes_written if smart else None), (group.host_bytes_written if group else None)
    )
    return Endurance(
        percent_used=_first(
            (smart.percent_used if smart else None), (group.percent_used if group else None)
        ),
        host_bytes_written=host,
        media_bytes_written=media,
        lifetime_waf=media / host if media is not None and host else None,
        unaligned_io=ocp.unaligned_io if ocp else None,
        endurance_estimate=_first(
            ocp.endurance_estimate or None if ocp else None,
            (group.endurance_estimate_bytes if group else None),
        ),
        power_on_hours=(smart.power_on_hours if smart else None),
        available_spare=_first(
            (smart.available_spare if smart else None), (group.available_spare if group else None)
        ),
        media_errors=(smart.media_errors if smart else None),
        critical_warning=(smart.critical_warning if smart else None),
        temperature_c=(smart.temperature_c if smart else None),
        available_spare_threshold=_first(
            (smart.available_spare_threshold if smart else None),
            (group.available_spare_threshold if group else None),
        ),
        host_bytes_read=_first(
            (smart.host_bytes_read if smart else None), (group.host_bytes_read if group else None)
        ),
        media_bytes_source=media_source,
        endurance_groups=[g.to_dict() for g in groups],
    )


def _warnings(
    endurance: Endurance, iu: IuInfo, geometry: Geometry, sysfs: dict[str, int]
) -> list[str]:
    out: list[str] = []
    critical = endurance.critical_warning or 0
    out.extend(f"critical warning: {text}" for bit, text in _CRITICAL_BITS if critical & bit)
    spare, threshold = endurance.available_spare, endurance.available_spare_threshold
    if spare is not None and threshold and spare < threshold and not critical & 0x01:
        out.append(f"available spare {spare}% is below its threshold of {threshold}%")
    if endurance.percent_used is not None and endurance.percent_used >= WEAR_WARNING_PERCENT:
        out.append(f"{endurance.percent_used}% of the rated endurance is used")
    lba = geometry.logical_block_size
    if iu.reported_bytes and lba and iu.reported_bytes > lba:
        out.append(
            f"this drive's IU is {format_bytes(iu.reported_bytes)}: "
            "smaller or misaligned writes are read-modify-written"
        )
    min_io = sysfs.get("minimum_io_size")
    if iu.source == SOURCE_NPWG and min_io and iu.reported_bytes and min_io != iu.reported_bytes:
        out.append(
            f"the drive reports an IU (npwg) of {format_bytes(iu.reported_bytes)} "
            f"but the kernel's minimum_io_size is {format_bytes(min_io)}"
        )
    return out
