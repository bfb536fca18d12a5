"""Where a run's files go: `results/<run-id>/`, in bench-fio's layout.

bench-fio stores `<out>/<target>/<mode>/<bs>/<mode>-<iodepth>-<numjobs>.json`
with logs named `<mode>-iodepth-<iodepth>-numjobs-<numjobs>_bw.1.log`, so that
fio-plot charts a folder as it is. nvmeprobe keeps that layout and adds the
stage, a read/write mix, a non-zero alignment offset and the round to the target folder name,
so no two cells of a plan share a file.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

from nvmeprobe.plan.model import Cell
from nvmeprobe.units import format_size_token

MANIFEST = "manifest.json"


def new_run_id(target_name: str, now: datetime | None = None) -> str:
    """A sortable, filesystem-safe run id: '20261126T175900Z-loop0'."""
    now = now or datetime.now(UTC)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", target_name).strip("-") or "target"
    return f"{now:%Y%m%dT%H%M%SZ}-{safe}"


def claim_run_dir(results_dir: Path, run_id: str) -> tuple[str, Path]:
    """Create the run's folder, `run_id-2`, `-3`... when another run took that id; (id, folder)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    candidate, number = run_id, 1
    while True:
        try:
            (results_dir / candidate).mkdir()
            return candidate, results_dir / candidate
        except FileExistsError:
            number += 1
            candidate = f"{run_id}-{number}"


def cell_dir(
    run_dir: Path,
    target_name: str,
    stage: str,
    rw: str,
    bs: int,
    offset: int = 0,
    round_no: int | None = None,
    rwmixread: int | None = None,
) -> Path:
    """The bench-fio folder of one cell."""
    folder = f"{target_name}-{stage}"
    if rwmixread is not None:
        folder += f"-m{rwmixread}"
    if offset:
        folder += f"-o{format_size_token(offset)}"
    if round_no is not None:
        folder += f"-r{round_no:02d}"
    return run_dir / folder / rw / format_size_token(bs)


def json_name(rw: str, iodepth: int, numjobs: int) -> str:
    """bench-fio's result file name."""
    return f"{rw}-{iodepth}-{numjobs}.json"


def log_prefix(rw: str, iodepth: int, numjobs: int) -> str:
    """bench-fio's log name prefix (fio appends `_bw.1.log` and the like)."""
    return f"{rw}-iodepth-{iodepth}-numjobs-{numjobs}"


def cell_files(run_dir: Path, target_name: str, cell: Cell) -> tuple[Path, Path]:
    """A cell's fio JSON output and log prefix, in its bench-fio folder."""
    folder = cell_dir(
        run_dir,
        target_name,
        cell.stage,
        cell.rw or "",
        cell.bs or 0,
        cell.offset,
        cell.round,
        cell.rwmixread,
    )
    iodepth, numjobs = cell.iodepth or 1, cell.numjobs or 1
    return (
        folder / json_name(cell.rw or "", iodepth, numjobs),
        folder / log_prefix(cell.rw or "", iodepth, numjobs),
    )


def host_name() -> str:
    """This machine's name, for the manifest."""
    return socket.gethostname()
