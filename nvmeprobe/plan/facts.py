"""What a plan needs to know about its target, from the `inspect --json` report."""

from __future__ import annotations

from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan.model import TargetFacts


def plan_facts(report: dict[str, Any]) -> TargetFacts:
    """What a plan needs from an inspect report.

    Rated endurance is estimated from the drive's own wear counters where it
    has used a measurable share of its life: host bytes written / percent used.
    """
    geometry = report.get("geometry") or {}
    endurance = report.get("endurance") or {}
    size = geometry.get("size_bytes")
    if not size:
        raise InputError(f"cannot plan for {report.get('target')}: its size is unknown")
    used, written = endurance.get("percent_used"), endurance.get("host_bytes_written")
    rated = int(written * 100 / used) if used and written else None
    return TargetFacts(capacity_bytes=int(size),
                       logical_block_size=int(geometry.get("logical_block_size") or 512),
                       reported_iu_bytes=(report.get("iu") or {}).get("reported_bytes"),
                       rated_endurance_bytes=rated)
