"""The reading edge of qualify: judge profiles (and a baseline) without writing anything.

One profile: every criterion on it. Several (the drives of a fleet, or runs):
each ordinary criterion on each profile (the verdict named after the drive
and run), and each `spread_max` criterion once across the drives.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.profile import Profile, frame_to_findings, read_profile
from nvmeprobe.profile.resolve import load_profiles
from nvmeprobe.qualify.criteria import Criteria
from nvmeprobe.qualify.fleet import Measured, judge_spread
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


def qualify_profile(
    path: str | Path, criteria: Criteria, baseline: str | Path | None = None
) -> Qualification:
    """Judge the profile at `path` by `criteria`, and against `baseline` when given."""
    profile = read_profile(path)
    findings = profile_findings(profile)
    verdicts = judge([c for c in criteria.criteria if not c.across_drives], profile.cells, findings)
    serial = (profile.facts.get("identity") or {}).get("serial") or _identity(profile, "serial")
    drive = Measured(serial or Path(path).stem, profile.cells, findings)
    verdicts += [judge_spread(c, [drive]) for c in criteria.criteria if c.across_drives]
    notes: list[str] = []
    if baseline is not None:
        base = read_profile(baseline)
        regressions, notes = compare_to_baseline(
            profile.cells, findings, base.cells, profile_findings(base), criteria.regression
        )
        verdicts += regressions
    identity = profile.facts.get("identity") or {}
    return Qualification(
        profile=str(path),
        criteria_file=criteria.source,
        verdicts=verdicts,
        target=profile.facts.get("target") or _identity(profile, "target"),
        run_id=profile.run_id,
        model=identity.get("model") or _identity(profile, "model"),
        serial=identity.get("serial") or _identity(profile, "serial"),
        plan=(profile.manifest.get("plan") or {}).get("name"),
        baseline=None if baseline is None else str(baseline),
        notes=notes,
    )


def qualify_profiles(
    paths: list[Path], criteria: Criteria, baseline: str | Path | None = None
) -> Qualification:
    """Judge one profile, or several: each by the per-profile criteria, all by `spread_max` ones."""
    if len(paths) == 1:
        return qualify_profile(paths[0], criteria, baseline)
    single = replace(criteria, criteria=tuple(c for c in criteria.criteria if not c.across_drives))
    verdicts, notes, measured = [], [], []
    items = load_profiles(paths)
    for item in items:
        label = f"{item.drive} {item.profile.run_id or item.path.stem}"
        result = qualify_profile(item.path, single, baseline)
        verdicts += [replace(v, name=f"{label}: {v.name}") for v in result.verdicts]
        notes += [f"{label}: {note}" for note in result.notes]
        measured.append(Measured(item.drive, item.profile.cells, profile_findings(item.profile)))
    verdicts += [judge_spread(c, measured) for c in criteria.criteria if c.across_drives]
    drives, models = {m.drive for m in measured}, {item.model for item in items}
    return Qualification(
        profile=f"{len(paths)} profiles of {len(drives)} drive(s)",
        criteria_file=criteria.source,
        verdicts=verdicts,
        model=models.pop() if len(models) == 1 else None,
        baseline=None if baseline is None else str(baseline),
        notes=notes,
        profiles=[str(p) for p in paths],
    )
