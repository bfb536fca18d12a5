"""`nvmeprobe report`: every plot present and non-empty, absent data as a one-line note,
and the HTML rendered by a real headless browser."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from click.testing import CliRunner
from matplotlib.figure import Figure
from matplotlib.image import imread
from test_report_support import write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.profile import write_profile
from nvmeprobe.report import plots
from nvmeprobe.report.build import build_report

PLOTS = ("iops-heatmap", "bandwidth-heatmap", "rmw", "cache", "latency", "queue-depth", "waf")
IMG = re.compile(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"')


def _non_blank_png(data: bytes) -> bool:
    pixels = imread(io.BytesIO(data), format="png")
    return pixels.shape[0] > 100 and pixels.shape[1] > 100 and float(np.ptp(pixels)) > 0.1


@pytest.fixture
def cli_main():
    return cli.main


def test_full_profile_gives_every_plot_as_png_and_inline(tmp_path):
    profile = write_synthetic(tmp_path / "full.parquet")
    files = build_report([profile], tmp_path / "out")
    assert files.notes == []
    assert sorted(p.stem for p in files.pngs) == sorted(PLOTS)
    for png in files.pngs:
        assert _non_blank_png(png.read_bytes()), png
    html = files.html.read_text()
    inline = IMG.findall(html)
    assert len(inline) == len(PLOTS)
    assert {base64.b64decode(data) for data in inline} == {p.read_bytes() for p in files.pngs}
    assert "SYNTH QLC" in html and "16 KiB (agrees)" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def _watch(monkeypatch) -> list[Figure]:
    """The figures plots._png saves from now on, in order."""
    drawn: list[Figure] = []
    real = plots._png

    def keep(figure: Figure) -> bytes:
        drawn.append(figure)
        return real(figure)

    monkeypatch.setattr(plots, "_png", keep)
    return drawn


def _figures(monkeypatch, profile, out) -> dict[str, Figure]:
    """Every plot of `profile` as the figure drawn (key -> figure)."""
    drawn = _watch(monkeypatch)
    files = build_report([profile], out)
    assert files.notes == [] and len(drawn) == len(PLOTS)
    return dict(zip(PLOTS, drawn))  # build_report draws in report order


@pytest.mark.parametrize("flat", [True, False], ids=["flat-drive", "qlc-drive"])
def test_no_plot_zooms_into_noise(tmp_path, monkeypatch, flat):
    figures = _figures(
        monkeypatch, write_synthetic(tmp_path / "p.parquet", flat=flat), tmp_path / "out"
    )
    for key, figure in figures.items():
        for axis in figure.axes:
            if axis.images or not (axis.lines or axis.patches):
                continue  # heatmap cells and colour bars
            low, high = axis.get_ylim()
            assert axis.yaxis.get_offset_text().get_text() == "", key  # no "+1" offset
            if axis.get_yscale() == "log":
                assert high / low >= 10, (key, low, high)
            else:
                assert low <= 0 < high, (key, low, high)  # magnitudes from zero
    rmw = figures["rmw"].axes[0]
    factors = np.concatenate([line.get_ydata() for line in rmw.lines if line.get_marker() == "o"])
    low, high = rmw.get_ylim()
    if flat:  # no RMW: a flat line at 1 in a range of at least 0.5 around it
        assert np.allclose(factors, 1.0, atol=0.05) and low <= 0.75 and high >= 1.25
    else:  # the misaligned 4k writes of the 16 KiB IU drive stand out
        assert factors.max() > 2 and high > factors.max()


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_rmw_plot_of_a_simulated_drive_without_rmw(tmp_path, monkeypatch):
    # IU = LBA = 4 KiB: no write can be misaligned to the IU, so no read-modify-write.
    # Four sizes (aligned and at 4 KiB offsets: 7 cells, not the plan's 13) measure the
    # same noise; a 32 MiB drive halves the 1x fill.
    result = run_cli(
        tmp_path,
        "sim:preset=tlc-4k,lba=4k,capacity=32m",
        "--plan",
        "iu",
        "--set",
        "runtime=500ms",
        "--set",
        "ramp=0s",
        "--set",
        "stage.rmw.bs=[4k,8k,16k,64k]",
    )
    assert result.exit_code == 0, result.output
    profile = Path(json.loads(result.stdout)["profile"])
    drawn = _watch(monkeypatch)
    build_report([profile], tmp_path / "out")
    rmw = next(f.axes[0] for f in drawn if "read-modify-write" in f.axes[0].get_title())
    low, high = rmw.get_ylim()
    assert low <= 0.5 and high >= 1.5  # at least 0.5 either side of 1: noise stays small
    assert rmw.yaxis.get_offset_text().get_text() == ""


def test_absent_data_is_a_note_not_an_image(tmp_path):
    profile = write_synthetic(
        tmp_path / "sparse.parquet", series=False, media=False, findings=False
    )
    files = build_report([profile], tmp_path / "out")
    assert sorted(p.stem for p in files.pngs) == sorted(set(PLOTS) - {"cache", "waf"})
    html = files.html.read_text()
    assert len(IMG.findall(html)) == len(PLOTS) - 2
    for key in ("cache", "waf"):
        figure = re.search(rf'<figure id="sparse-{key}" class="missing">.*?</figure>', html)
        assert figure and '<p class="note">no ' in figure.group(0) and "<img" not in figure.group(0)
    assert "computed for this report" in html  # no stored findings: analysed on the fly


def test_single_cell_profile_has_notes_only(tmp_path):
    cells = pd.DataFrame(
        [
            {
                "cell": "one",
                "rw": "read",
                "direction": "read",
                "bs": 4096,
                "offset": 0,
                "iodepth": 1,
                "numjobs": 1,
                "iops": 1000.0,
                "bw_bytes": 4096000.0,
            }
        ]
    )
    path = write_profile(tmp_path / "one.parquet", cells, metadata={"run_id": "one"})
    files = build_report([path], tmp_path / "out")
    assert files.pngs == []
    assert len(files.notes) == len(PLOTS)
    assert "<img" not in files.html.read_text() and "unknown" in files.html.read_text()


def test_report_cli_json(tmp_path, cli_main):
    profile = write_synthetic(tmp_path / "a.parquet")
    result = CliRunner().invoke(
        cli_main, ["report", str(profile), "--out", str(tmp_path / "r"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"html"' in result.output and (tmp_path / "r" / "report.html").is_file()
    missing = CliRunner().invoke(cli_main, ["report", str(tmp_path / "r" / "report.html")])
    assert missing.exit_code == 2 and "not a Parquet profile" in missing.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,4000",
]
# Appended to a copy of the report: records what the browser decoded for each image.
_PROBE = (
    "<script>addEventListener('load', () => { for (const i of document.images) {"
    " i.setAttribute('data-decoded', i.naturalWidth + 'x' + i.naturalHeight); } });</script>"
)


def _chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile_dir:
        return subprocess.run(
            [CHROMIUM, *_FLAGS, f"--user-data-dir={profile_dir}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_headless_chromium_shows_every_plot(tmp_path):
    full = write_synthetic(tmp_path / "full.parquet")
    sparse = write_synthetic(tmp_path / "sparse.parquet", series=False, media=False)
    files = build_report([full, sparse], tmp_path / "out")
    probe = tmp_path / "probe.html"
    probe.write_text(files.html.read_text().replace("</body>", _PROBE + "</body>"))
    dom = _chromium("--dump-dom", probe.as_uri()).stdout
    decoded = re.findall(r'<img [^>]*data-decoded="([^"]*)"', dom)
    assert len(decoded) == len(files.pngs) == 2 * len(PLOTS) - 2
    for size in decoded:
        width, height = (int(v) for v in size.split("x"))
        assert width > 100 and height > 100
    assert dom.count('class="note"') == 2
    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", files.html.as_uri())
    assert _non_blank_png(shot.read_bytes())
