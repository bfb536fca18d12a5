"""A qualification: every verdict about one profile, and what it was judged on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nvmeprobe.errors import ProbeError
from nvmeprobe.qualify.verdict import Verdict


@dataclass
class Qualification:
    """The outcome of `qualify`: passed only when there is a verdict and every one passed.

    `seconds` covers the whole command (the run included); `run` is the run
    summary (`run --json`) when qualify ran the plan itself, also when the run
    failed (then `error` says why and nothing is judged); `profiles` lists
    every profile judged when there are several.
    """

    profile: str
    criteria_file: str
    verdicts: list[Verdict]
    target: str | None = None
    run_id: str | None = None
    model: str | None = None
    serial: str | None = None
    plan: str | None = None
    baseline: str | None = None
    notes: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0
    run: dict[str, Any] | None = None
    failure: ProbeError | None = field(default=None, repr=False)  # why nothing was judged
    profiles: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Verdict]:
        """The verdicts that failed."""
        return [v for v in self.verdicts if not v.passed]

    @property
    def passed(self) -> bool:
        """True when something was judged and nothing failed."""
        return bool(self.verdicts) and not self.failed and self.failure is None

    @property
    def error(self) -> str | None:
        """Why nothing was judged (the run failed or was refused), else None."""
        return str(self.failure) if self.failure is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The `qualify --json` document."""
        return {
            "passed": self.passed,
            "target": self.target,
            "profile": self.profile,
            "run_id": self.run_id,
            "model": self.model,
            "serial": self.serial,
            "plan": self.plan,
            "criteria": self.criteria_file,
            "baseline": self.baseline,
            "summary": {
                "verdicts": len(self.verdicts),
                "failed": len(self.failed),
                "passed": len(self.verdicts) - len(self.failed),
            },
            "verdicts": [v.to_dict() for v in self.verdicts],
            "notes": self.notes,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
            "run": self.run,
            "error": self.error,
            "profiles": self.profiles or [self.profile],
        }
