"""Shared by the live `run` tests: invoke `nvmeprobe run` into a test's folder, and
fingerprint a device or file to prove nothing was written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner, Result

from nvmeprobe.cli import main


def run_cli(tmp_path: Path, *args: str) -> Result:
    """`nvmeprobe run ARGS --results TMP/results --profiles TMP/profiles --json`."""
    return CliRunner().invoke(
        main,
        [
            "run",
            *args,
            "--results",
            str(tmp_path / "results"),
            "--profiles",
            str(tmp_path / "profiles"),
            "--json",
        ],
    )


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a whole device or file."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def resumed_manifest(manifest_path: Path, finished: dict[str, str], cells: int) -> dict:
    """The manifest of a resumed run, checked: all `cells` done, and those `finished` before
    the interruption (cell id -> its `updated` stamp then) not measured again."""
    final = json.loads(manifest_path.read_text())
    assert all(v["status"] == "done" for v in final["state"].values())
    assert len(final["state"]) == cells
    for cell_id, stamp in finished.items():
        assert final["state"][cell_id]["updated"] == stamp
    return final
