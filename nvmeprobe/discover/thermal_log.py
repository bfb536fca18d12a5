"""What a drive reports about its heat: temperature, limits and throttling counters.

From the captures `inspect` already takes (docs/field-notes.md section 9):

- SMART / Health log (`nvme smart-log -o json`, nvme-cli 2.x keys):
  `temperature` (composite, Kelvin), `warning_temp_time` and
  `critical_comp_time` (minutes), `thm_temp1_trans_count` /
  `thm_temp2_trans_count` (transitions into thermal management) and
  `thm_temp1_total_time` / `thm_temp2_total_time` (seconds spent in it).
- OCP C0 log (`nvme ocp smart-add-log -o json`): Thermal Throttling Status
  and Count (`thermal_throttling_events`, `current_throttling_status`, or
  nvme-cli 2.3's "Number of Thermal throttling events", "Current throttling
  status").
- Identify Controller: `wctemp` / `cctemp`, the warning and critical
  composite temperature thresholds (Kelvin; 0 = not reported).

Every field is None where the capture does not carry it; a temperature of
0 K is "not reported" (the NVMe spec's own meaning).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nvmeprobe.discover.values import load_json, norm_key, sniff, to_int
from nvmeprobe.errors import InputError

KELVIN_OFFSET = 273


@dataclass(frozen=True)
class ThermalCounters:
    """One snapshot of a drive's thermal report (None: not reported)."""

    temperature_c: int | None = None
    warning_temp_min: int | None = None
    critical_temp_min: int | None = None
    transitions: int | None = None  # thermal-management transitions, T1 + T2
    throttled_s: int | None = None  # seconds in thermal management, T1 + T2
    throttle_events: int | None = None  # OCP C0 Thermal Throttling Count
    throttle_status: int | None = None  # OCP C0 Thermal Throttling Status (0 = none)

    def to_dict(self) -> dict[str, int | None]:
        return asdict(self)

    @property
    def reports_anything(self) -> bool:
        """True when any thermal field is reported."""
        return any(v is not None for v in asdict(self).values())


def _celsius(kelvin: Any) -> int | None:
    value = to_int(kelvin)
    return value - KELVIN_OFFSET if value else None


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _json_object(data: bytes | None, what: str) -> dict[str, Any] | None:
    if not data or sniff(data) != "json":
        return None
    try:
        doc = load_json(data, what)
    except InputError:
        return None
    return doc if isinstance(doc, dict) else None


def _int_field(doc: dict[str, Any], *names: str) -> int | None:
    keys = {norm_key(k): v for k, v in doc.items()}
    for name in names:
        value = keys.get(norm_key(name))
        if isinstance(value, dict):  # nvme-cli 2.11 wraps some values: {"value": N}
            value = value.get("value")
        if value is not None:
            try:
                return to_int(value)
            except InputError:
                return None
    return None


def thermal_counters(smart_json: bytes | None, ocp_json: bytes | None = None) -> ThermalCounters:
    """A snapshot from `nvme smart-log -o json` and `nvme ocp smart-add-log -o json` output."""
    smart = _json_object(smart_json, "smart-log") or {}
    ocp = _json_object(ocp_json, "OCP C0 log") or {}
    return ThermalCounters(
        temperature_c=_celsius(smart.get("temperature")),
        warning_temp_min=_int_field(smart, "warning_temp_time"),
        critical_temp_min=_int_field(smart, "critical_comp_time"),
        transitions=_sum(
            [_int_field(smart, "thm_temp1_trans_count"), _int_field(smart, "thm_temp2_trans_count")]
        ),
        throttled_s=_sum(
            [_int_field(smart, "thm_temp1_total_time"), _int_field(smart, "thm_temp2_total_time")]
        ),
        throttle_events=_int_field(
            ocp, "thermal_throttling_events", "Number of Thermal throttling events"
        ),
        throttle_status=_int_field(ocp, "current_throttling_status", "Current throttling status"),
    )


def temperature_limit_c(id_ctrl_json: bytes | None) -> int | None:
    """The warning composite temperature threshold (`wctemp`) in Celsius, None if unreported."""
    doc = _json_object(id_ctrl_json, "id-ctrl") or {}
    return _celsius(doc.get("wctemp"))


def throttling_moved(before: ThermalCounters | None, after: ThermalCounters | None) -> bool | None:
    """True when a throttling counter moved between two snapshots (or the drive says it
    is throttling now); None when no throttling counter is reported."""
    if before is None or after is None:
        return None
    moved = None
    for name in ("transitions", "throttled_s", "throttle_events", "warning_temp_min"):
        a, b = getattr(before, name), getattr(after, name)
        if a is not None and b is not None:
            moved = bool(moved) or b > a
    if after.throttle_status is not None:
        moved = bool(moved) or after.throttle_status > 0
    return moved
