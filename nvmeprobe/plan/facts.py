"""What a plan needs to know about its target: facts from the `inspect --json` report,
and the write rates its estimates rest on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan.model import TargetFacts
from nvmeprobe.plan.rates import WriteRates, bound_rates, measured_rates
from nvmeprobe.profile import latest_profile, read_profile


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
    return TargetFacts(
        capacity_bytes=int(size),
        logical_block_size=int(geometry.get("logical_block_size") or 512),
        reported_iu_bytes=(report.get("iu") or {}).get("reported_bytes"),
        rated_endurance_bytes=rated,
        kind=report.get("kind"),
    )


def drive_rates(
    report: dict[str, Any], model: str | None, serial: str | None, profiles_dir: Path
) -> WriteRates:
    """The drive's own write rates from its newest profile under `profiles_dir` (filed by
    model and serial), else bounds for its device kind."""
    found = latest_profile(profiles_dir, model, serial)
    rates = measured_rates(read_profile(found).cells, str(found)) if found else None
    return rates or bound_rates(report.get("kind"))
