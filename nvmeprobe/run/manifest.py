"""The run manifest: plan, target facts, versions, and the state of every cell.

It is rewritten atomically after every state change, so a run killed at any
moment leaves a manifest that says exactly which cells finished; `--resume`
reads it and runs only the rest.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.run.layout import MANIFEST

DONE, FAILED, PENDING = "done", "failed", "pending"


def now_iso() -> str:
    """UTC time stamp for the manifest."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """Everything needed to understand, and to resume, one run."""

    run_id: str
    target: str
    plan: dict[str, Any]
    cells: list[dict[str, Any]]
    facts: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    host: str = ""
    created: str = field(default_factory=now_iso)
    finished: str | None = None
    profile: str | None = None
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    def status(self, cell_id: str) -> str:
        return self.state.get(cell_id, {}).get("status", PENDING)

    def mark(self, cell_id: str, status: str, **details: Any) -> None:
        """Record a cell's new status (with times, files, errors)."""
        entry = self.state.setdefault(cell_id, {})
        entry.update(details, status=status, updated=now_iso())

    def pending_ids(self) -> list[str]:
        return [c["id"] for c in self.cells if self.status(c["id"]) != DONE]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    """Atomically replace `run_dir/manifest.json`."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=run_dir)
        with os.fdopen(fd, "w") as handle:
            json.dump(manifest.to_dict(), handle, indent=2, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, run_dir / MANIFEST)
    except OSError as err:
        raise ProbeError(f"cannot write the run manifest in {run_dir}: {err.strerror}") from None


def read_manifest(run_dir: Path) -> Manifest:
    """Load a run's manifest, with a one-line error if it is missing or corrupt."""
    path = run_dir / MANIFEST
    try:
        doc = json.loads(path.read_text())
        return Manifest(**doc)
    except FileNotFoundError:
        raise InputError(f"no run manifest at {path}") from None
    except (json.JSONDecodeError, TypeError) as err:
        raise InputError(f"corrupt run manifest {path}: {err}") from None
