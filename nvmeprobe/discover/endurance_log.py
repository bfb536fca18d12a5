"""Endurance Group Information log (09h, `nvme endurance-log DEV -g N -o json`).

Units (NVMe Base spec, Endurance Group Information log page): Endurance Estimate, Data
Units Read, Data Units Written and Media Units Written are reported in BILLIONS of bytes
(a value of 1 = 1,000,000,000 bytes, rounded up) -- not the SMART log's 512,000-byte
data units. An Endurance Estimate of 0 means "not reported". nvme-cli key names:
critical_warning, avl_spare, avl_spare_threshold, percent_used, endurance_estimate,
data_units_read, data_units_written, media_units_written, host_read_cmds,
host_write_cmds, media_data_integrity_err, num_err_info_log_entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from nvmeprobe.discover.values import load_json, to_int
from nvmeprobe.errors import InputError

BILLION = 1_000_000_000


@dataclass(frozen=True)
class EnduranceGroupLog:
    """One endurance group's wear counters, in bytes."""

    group_id: int
    critical_warning: int | None
    percent_used: int | None
    available_spare: int | None
    available_spare_threshold: int | None
    endurance_estimate_bytes: int | None
    host_bytes_read: int | None
    host_bytes_written: int | None
    media_bytes_written: int | None
    host_write_commands: int | None
    media_errors: int | None

    def to_dict(self) -> dict[str, int | None]:
        """Plain dict for the `endurance.endurance_groups` list of `inspect --json`."""
        return dict(self.__dict__)


def _billions(value: object) -> int | None:
    count = to_int(value)
    return count * BILLION if count is not None else None


def parse_endurance_log(data: bytes | str, group_id: int) -> EnduranceGroupLog:
    """`nvme endurance-log -g N -o json` for endurance group `group_id`."""
    doc = load_json(data, f"endurance-log group {group_id}")
    if not isinstance(doc, dict) or "media_units_written" not in doc:
        raise InputError(f"endurance-log group {group_id}: no 'media_units_written' field")
    estimate = to_int(doc.get("endurance_estimate"))
    return EnduranceGroupLog(
        group_id=group_id,
        critical_warning=to_int(doc.get("critical_warning")),
        percent_used=to_int(doc.get("percent_used")),
        available_spare=to_int(doc.get("avl_spare")),
        available_spare_threshold=to_int(doc.get("avl_spare_threshold")),
        endurance_estimate_bytes=estimate * BILLION if estimate else None,
        host_bytes_read=_billions(doc.get("data_units_read")),
        host_bytes_written=_billions(doc.get("data_units_written")),
        media_bytes_written=_billions(doc.get("media_units_written")),
        host_write_commands=to_int(doc.get("host_write_cmds")),
        media_errors=to_int(doc.get("media_data_integrity_err")),
    )
