"""fio-plot's own standard charts of a run's results tree, drawn by fio-plot, for the report.

A run folder keeps bench-fio's layout (run/layout.py), one folder per
`<target>-<stage>/<mode>/<bs>` holding `<mode>-<iodepth>-<numjobs>.json` and
fio's logs, so fio-plot reads it as it is. Per folder: its bar chart of IOPS
and latency over queue depth (`-l`, one per numjobs value), and, where the
bandwidth log holds a time series (at least `MIN_SAMPLES` lines, e.g. a
sustained write), its bandwidth over time (`-g`). `chart_specs` decides from
the folder listing; `draw_charts` runs the installed fio-plot CLI.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.report.html import Plot

MIN_SAMPLES = 3
"""fio-plot draws no time series from fewer log lines (a 1 s cell logs one 1 s average)."""

_RESULT = re.compile(r"^(?P<rw>[a-z]+)-(?P<qd>\d+)-(?P<nj>\d+)\.json$")


@dataclass(frozen=True)
class ChartSpec:
    """One fio-plot chart of one results folder."""

    folder: Path
    kind: str  # "l" (bars over queue depth) or "g" (time series)
    rw: str
    iodepths: tuple[int, ...]
    numjobs: int

    @property
    def key(self) -> str:
        """A file-safe name, unique within a run."""
        parts = [*self.folder.parts[-3:], f"nj{self.numjobs}", self.kind]
        return "fio-plot-" + re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts))

    def title(self, run_dir: Path) -> str:
        """What the chart shows, and of which folder."""
        what = "IOPS and latency by queue depth" if self.kind == "l" else "bandwidth over time"
        return f"fio-plot: {what}, {self.folder.relative_to(run_dir)} (numjobs {self.numjobs})"

    def arguments(self) -> list[str]:
        """fio-plot's options for this chart (input and output come apart)."""
        depths = [str(d) for d in self.iodepths]
        if self.kind == "l":
            return ["-l", "-r", self.rw, "-d", *depths, "-n", str(self.numjobs)]
        return ["-g", "-t", "bw", "-r", self.rw, "-d", *depths, "-n", str(self.numjobs)]


def _log_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def chart_specs(run_dir: Path) -> list[ChartSpec]:
    """The charts fio-plot can draw of a run folder, in folder order."""
    groups: dict[tuple[Path, str, int], list[int]] = {}
    for result in sorted(run_dir.rglob("*.json")):
        match = _RESULT.match(result.name)
        if match and result.parent != run_dir:
            key = (result.parent, match["rw"], int(match["nj"]))
            groups.setdefault(key, []).append(int(match["qd"]))
    specs = []
    for (folder, rw, numjobs), depths in groups.items():
        depths = sorted(set(depths))
        specs.append(ChartSpec(folder, "l", rw, tuple(depths), numjobs))
        logged = tuple(
            d
            for d in depths
            if _log_lines(folder / f"{rw}-iodepth-{d}-numjobs-{numjobs}_bw.1.log") >= MIN_SAMPLES
        )
        if logged:
            specs.append(ChartSpec(folder, "g", rw, logged, numjobs))
    return specs


def fio_plot_command() -> str | None:
    """The installed fio-plot CLI (installed with nvmeprobe, else on PATH)."""
    beside = Path(sys.executable).parent / "fio-plot"
    return str(beside) if beside.is_file() else shutil.which("fio-plot")


def draw_charts(run_dir: Path, title: str) -> list[Plot]:
    """fio-plot's charts of one run folder; a chart fio-plot cannot draw is a note."""
    command = fio_plot_command()
    specs = chart_specs(run_dir)
    if command is None:
        return [Plot("fio-plot", "fio-plot charts", note="fio-plot is not installed")]
    if not specs:
        return [Plot("fio-plot", "fio-plot charts", note=f"no fio results in {run_dir}")]
    plots = []
    with tempfile.TemporaryDirectory(prefix="nvmeprobe-fio-plot-") as tmp:
        for spec in specs:
            png = Path(tmp) / f"{spec.key}.png"
            done = subprocess.run(
                [command, "-i", str(spec.folder), "-T", title, *spec.arguments(), "-o", str(png)],
                capture_output=True,
                text=True,
            )
            if done.returncode == 0 and png.is_file():
                plots.append(Plot(spec.key, spec.title(run_dir), png=png.read_bytes()))
            else:
                said = (done.stdout + done.stderr).strip().splitlines() or ["no chart"]
                plots.append(
                    Plot(spec.key, spec.title(run_dir), note=f"fio-plot failed: {said[-1][:200]}")
                )
    return plots
