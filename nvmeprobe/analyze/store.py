"""The analysis edge: read a profile (or a run's), analyse it, store the findings in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.profile import read_profile, write_profile


def analyze_and_store(path: Path) -> dict[str, Any]:
    """Analyse a profile and write the findings back into it."""
    profile = read_profile(path)
    findings = analyze_profile(profile)
    write_profile(
        path,
        profile.cells,
        profile.series,
        findings,
        metadata={"facts": profile.facts, "manifest": profile.manifest, "run_id": profile.run_id},
    )
    return findings
