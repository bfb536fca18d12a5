"""From what a user names to profile files: one rule for every command that reads profiles.

A path may be a profile file, a run folder (its `manifest.json` names the
profile), a drive's folder of profiles, or a whole profiles tree (searched
recursively, run folders inside it included). Any mix is allowed; the result
keeps the order given (sorted within a folder) and lists each file once.

In a folder, only nvmeprobe profiles count: other Parquet files (a
recommendation, a partial export, a data set) are passed over. A file named
directly is returned as it is, so `read_profile` says what is wrong with it.
A path that holds no profile is an InputError (exit 2) in one line.
`load_profiles` reads them, each with the drive it measured.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from nvmeprobe.errors import InputError
from nvmeprobe.profile.schema import META_VERSION
from nvmeprobe.profile.store import Profile, read_profile

MANIFEST = "manifest.json"


def is_profile_file(path: Path) -> bool:
    """True for a Parquet file carrying nvmeprobe's schema-version metadata."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError):
        return False
    return META_VERSION in metadata


def run_profile(run_dir: Path) -> Path | None:
    """The profile a run folder's manifest names, when that file exists."""
    try:
        named = json.loads((run_dir / MANIFEST).read_text()).get("profile")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(named) if named and Path(named).is_file() else None


def _in_folder(folder: Path) -> list[Path]:
    found = [
        path
        for path in sorted(folder.rglob("*.parquet"))
        if not path.name.startswith(".") and path.is_file() and is_profile_file(path)
    ]
    found += [
        profile
        for manifest in sorted(folder.rglob(MANIFEST))
        if (profile := run_profile(manifest.parent)) is not None
    ]
    return found


def _one(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"{path}: no such profile, run folder or profiles folder")
    if (path / MANIFEST).is_file():
        profile = run_profile(path)
        if profile is None:
            raise InputError(f"run {path.name} has no profile yet")
        return [profile]
    found = _in_folder(path)
    if not found:
        raise InputError(f"{path}: no profiles found (no profile file or run folder under it)")
    return found


def resolve_profiles(paths: Iterable[str | Path]) -> list[Path]:
    """Every profile file named by `paths` (files, run folders, drive folders, trees), once each."""
    result: list[Path] = []
    seen: set[Path] = set()
    for item in paths:
        for path in _one(Path(item)):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                result.append(path)
    if not result:
        raise InputError("no profile given")
    return result


def resolve_one(path: str | Path, what: str = "this command") -> Path:
    """The single profile `path` names; an InputError when it holds none or several."""
    found = resolve_profiles([path])
    if len(found) > 1:
        raise InputError(f"{path}: holds {len(found)} profiles; {what} takes one")
    return found[0]


@dataclass(frozen=True)
class Loaded:
    """A profile read from `path`, with the drive it measured."""

    path: Path
    profile: Profile

    def _first(self, name: str) -> str | None:
        cells = self.profile.cells
        value = next(iter(cells[name].dropna()), None) if name in cells else None
        return None if value is None else str(value)

    @property
    def model(self) -> str | None:
        """The drive model (facts, else the cells)."""
        return (self.profile.facts.get("identity") or {}).get("model") or self._first("model")

    @property
    def drive(self) -> str:
        """The drive's serial, else the profile's file name."""
        serial = (self.profile.facts.get("identity") or {}).get("serial") or self._first("serial")
        return serial or self.path.stem


def load_profiles(paths: list[Path]) -> list[Loaded]:
    """Read every profile."""
    return [Loaded(path, read_profile(path)) for path in paths]
