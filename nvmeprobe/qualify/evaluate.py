"""The reading edge of qualify: judge a profile file (and a baseline) without writing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.profile import Profile, frame_to_findings, read_profile
from nvmeprobe.qualify.criteria import Criteria
from nvmeprobe.qualify.judge import judge
from nvmeprobe.qualify.regression import compare_to_baseline
from nvmeprobe.qualify.report import Qualification


def profile_findings(profile: Profile) -> dict[str, Any]:
    """The findings stored in a profile; analysed in memory (not stored) when it has none."""
    if profile.findings.empty:
        return analyze_profile(profile)
    return frame_to_findings(profile.findings)


def _identity(profile: Profile, column: str) -> str | None:
    values = profile.cells[column].dropna().unique() if column in profile.cells else []
    return str(values[0]) if len(values) == 1 else None


def qualify_profile(path: str | Path, criteria: Criteria, baseline: str | Path | None = None
                    ) -> Qualification:
    """Judge the profile at `path` by `criteria`, and against `baseline` when given."""
    profile = read_profile(path)
    findings = profile_findings(profile)
    verdicts = judge(criteria.criteria, profile.cells, findings)
    notes: list[str] = []
    if baseline is not None:
        base = read_profile(baseline)
        regressions, notes = compare_to_baseline(profile.cells, findings, base.cells,
                                                 profile_findings(base), criteria.regression)
        verdicts += regressions
    identity = profile.facts.get("identity") or {}
    return Qualification(profile=str(path), criteria_file=criteria.source, verdicts=verdicts,
                         target=profile.facts.get("target") or _identity(profile, "target"),
                         run_id=profile.run_id, model=identity.get("model") or _identity(profile, "model"),
                         serial=identity.get("serial") or _identity(profile, "serial"),
                         plan=(profile.manifest.get("plan") or {}).get("name"),
                         baseline=None if baseline is None else str(baseline), notes=notes)
