"""Where profiles live: `<dir>/<model-slug>_<serial-slug>/<run_id>.parquet`.

One folder per drive, one file per run, so `profiles/**/*.parquet` is a whole
lab's history and one drive's runs sort by run id (run ids start with a UTC
timestamp).
"""

from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_SLUG = 96


def slug(text: str | None) -> str:
    """A filesystem-safe name part; None -> 'unknown'.

    'SAMSUNG MZ1LB1T9HALS/000' -> 'SAMSUNG-MZ1LB1T9HALS-000'.
    """
    if text is None:
        return "unknown"
    cleaned = _UNSAFE.sub("-", str(text).strip()).strip("-.")[:_MAX_SLUG].strip("-.")
    return cleaned or "unknown"


def drive_dir(profiles_dir: str | Path, model: str | None, serial: str | None) -> Path:
    """The folder of one drive's (model, serial) profiles."""
    return Path(profiles_dir) / f"{slug(model)}_{slug(serial)}"


def profile_path(
    profiles_dir: str | Path, model: str | None, serial: str | None, run_id: str
) -> Path:
    """The profile file of one drive (model, serial) and one run."""
    return drive_dir(profiles_dir, model, serial) / f"{slug(run_id)}.parquet"


def latest_profile(profiles_dir: str | Path, model: str | None, serial: str | None) -> Path | None:
    """The newest profile of one drive (run ids sort by time), None when it has none."""
    runs = sorted(drive_dir(profiles_dir, model, serial).glob("*.parquet"))
    return runs[-1] if runs else None
