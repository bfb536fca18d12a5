"""The analysis edge: read a profile (or a run's), analyse it, store the findings in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nvmeprobe.analyze.from_profile import analyze_profile
from nvmeprobe.errors import InputError
from nvmeprobe.profile import read_profile, write_profile


def profile_of(path: Path) -> Path:
    """A profile file, or the profile of a run folder (named in its manifest)."""
    if path.is_file():
        return path
    manifest = path / "manifest.json"
    if manifest.is_file():
        named = json.loads(manifest.read_text()).get("profile")
        if named and Path(named).is_file():
            return Path(named)
        raise InputError(f"run {path.name} has no profile yet")
    raise InputError(f"not a profile or a run folder: {path}")


def analyze_and_store(path: Path) -> dict[str, Any]:
    """Analyse a profile and write the findings back into it."""
    profile = read_profile(path)
    findings = analyze_profile(profile)
    write_profile(path, profile.cells, profile.series, findings,
                  metadata={"facts": profile.facts, "manifest": profile.manifest,
                            "run_id": profile.run_id})
    return findings


