"""A run's results tree as other tools read it: every JSON is JSON, and fio-plot charts it.

The run holds a sustained cell stopped on its bandwidth drop (fio then writes
`fio: terminating on signal 2` into its output file) and a short random cell.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run_cli
from PIL import Image

pytestmark = [
    pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed"),
    pytest.mark.xdist_group("results-tree"),  # one worker runs the module fixture once
]

FIO_PLOT = Path(sys.executable).parent / "fio-plot"  # a dependency: installed with nvmeprobe
PLAN = """name = "burst-and-rand"
[[stage]]
kind = "sustained"
name = "burst"
rw = "write"
bs = "128k"
iodepth = 8
size = "50%"
stop_on_drop = true

[[stage]]
kind = "matrix"
name = "rand"
rw = "randread"
bs = "4k"
iodepth = [1, 4]
runtime = "1s"
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of one run on a drive whose SLC cache runs out mid-burst."""
    tmp_path = tmp_path_factory.mktemp("interop")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    result = run_cli(tmp_path, "sim:preset=qlc-16k,capacity=1g,slc=128m", "--plan", str(plan))
    assert result.exit_code == 0, result.output
    run_dir = Path(json.loads(result.stdout)["results"])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    burst = next(v for k, v in manifest["state"].items() if "burst" in k)
    assert burst["status"] == "done" and burst["stopped_early"]  # stopped on its drop
    return run_dir


def test_every_json_under_results_is_json_and_fio_messages_are_kept_beside_it(run):
    files = sorted(run.rglob("*.json"))
    assert len(files) == 4  # the manifest and three cells
    for path in files:
        json.loads(path.read_text())  # raises on any text before or after the document
    burst_json = next(run.glob("*-burst/write/128k/write-8-1.json"))
    side = burst_json.with_name("write-8-1.messages.txt")
    assert "fio: terminating on signal 2" in side.read_text()


def _fio_plot(folder: Path, out: Path, *args: str) -> Path:
    png = out / f"{folder.parent.parent.name}-{args[0].strip('-')}.png"
    result = subprocess.run(
        [str(FIO_PLOT), "-i", str(folder), "-T", "nvmeprobe run", *args, "-o", str(png)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return png


def _assert_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 300 and image.size[1] > 200
        image.verify()


def test_fio_plot_charts_the_results_tree_as_it_is(run, tmp_path):
    burst = next(run.glob("*-burst/write/128k"))
    rand = next(run.glob("*-rand/randread/4k"))
    pngs = [
        _fio_plot(burst, tmp_path, "-g", "-t", "bw", "iops", "-r", "write", "-d", "8", "-n", "1"),
        _fio_plot(burst, tmp_path, "-l", "-r", "write", "-d", "8", "-n", "1"),
        _fio_plot(rand, tmp_path, "-l", "-r", "randread", "-d", "1", "4", "-n", "1"),
    ]  # (1 s random cells log one 1 s average, too few for a time series)
    for png in pngs:
        _assert_png(png)


def test_the_html_report_includes_fio_plots_own_charts_of_the_run(run, tmp_path):
    from click.testing import CliRunner

    from nvmeprobe.cli import main

    result = CliRunner().invoke(
        main, ["report", str(run), "--fio-plot", "--out", str(tmp_path / "report"), "--json"]
    )
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)
    charts = sorted(Path(p).name for p in files["pngs"] if "fio-plot" in p)
    folder = run.name.split("-", 1)[1]  # the target's name prefixes each cell folder
    assert charts == sorted(
        [
            f"fio-plot-{folder}-burst-write-128k-nj1-g.png",
            f"fio-plot-{folder}-burst-write-128k-nj1-l.png",
            f"fio-plot-{folder}-rand-randread-4k-nj1-l.png",
        ]
    )
    for png in files["pngs"]:
        if "fio-plot" in png:
            _assert_png(Path(png))
    html = Path(files["html"]).read_text()
    assert html.count("<figcaption>fio-plot: ") == 3 and "fio-plot failed" not in html
    # a profile file names no run folder: a note says what to give instead
    profile = json.loads((run / "manifest.json").read_text())["profile"]
    result = CliRunner().invoke(
        main, ["report", profile, "--fio-plot", "--out", str(tmp_path / "other"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert any("fio-plot charts a run folder" in n for n in json.loads(result.stdout)["notes"])
