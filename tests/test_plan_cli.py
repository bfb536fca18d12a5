"""`nvmeprobe plan`: the cells, exact fio jobs and estimates, without running anything."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nvmeprobe.cli import main
from nvmeprobe.errors import InputError
from nvmeprobe.plan import TargetFacts, expand_plan, load_plan, parse_plan_text

GIB = 1024**3


def _image(tmp_path: Path, size: int = GIB) -> str:
    path = tmp_path / "drive.img"
    with open(path, "wb") as handle:
        handle.truncate(size)
    return str(path)


def _plan_json(*args: str) -> dict:
    result = CliRunner().invoke(main, ["plan", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "name", ["smoke", "iu", "slc", "qd", "snia-iops", "qualify", "iu-adaptive", "validate-sim"]
)
def test_every_builtin_plan_shows_a_fio_job_for_every_cell(tmp_path, name):
    doc = _plan_json(_image(tmp_path, 64 * GIB), "--plan", name)
    cells = [c for c in doc["cells"] if c["kind"] != "idle"]
    assert cells and doc["summary"]["cells"] == len(doc["cells"])
    for cell in cells:
        job = cell["fio_job"]
        assert f"[{cell['id']}]" in job and f"bs={cell['bs']}" in job
        assert f"offset={cell['offset']}" in job


def test_logging_cells_show_where_their_logs_will_go(tmp_path):
    doc = _plan_json(_image(tmp_path), "--plan", "slc", "--set", "stage.burst1.size=10m")
    burst = doc["cells"][0]
    assert burst["logs"] is True
    assert (
        "write_bw_log=results/RUN-ID/drive.img-burst1/write/128k/write-iodepth-8-numjobs-1"
        in burst["fio_job"]
    )
    text = CliRunner().invoke(main, ["plan", _image(tmp_path), "--plan", "slc", "--show-fio"])
    assert text.exit_code == 0, text.output
    assert "write_bw_log=results/RUN-ID/" in text.output and "cells, about" in text.output


def test_every_fio_cell_logs_unless_the_plan_says_not():
    text = '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randread"\nbs = "4k"\nruntime = "1s"\n'
    (cell,) = expand_plan(parse_plan_text(text, "t.toml", "t", []), TargetFacts(GIB, 512))
    assert cell.logs and cell.log_avg_msec == 1000
    (quiet,) = expand_plan(
        parse_plan_text(text, "t.toml", "t", ["logs=false"]), TargetFacts(GIB, 512)
    )
    assert not quiet.logs
    for name in ("iu", "iu-adaptive", "qd"):
        assert all(c.logs for c in expand_plan(load_plan(name), TargetFacts(GIB, 512))), name


def test_percentage_offsets_are_a_share_of_each_bs_on_the_lba_grid():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\n'
        'bs = ["4k", "8k", "16k", "64k"]\noffset = [0, "4k", "50%"]\nruntime = "1s"\n'
    )
    cells = expand_plan(parse_plan_text(text, "t.toml", "t", []), TargetFacts(GIB, 4096))
    pairs = [(c.bs // 1024, c.offset // 1024) for c in cells]
    # 50% of 4k is off the 4 KiB grid (skipped); 50% of 8k is 4k (one cell, not two)
    assert pairs == [(4, 0), (8, 0), (8, 4), (16, 0), (16, 4), (16, 8), (64, 0), (64, 4), (64, 32)]
    assert cells[-1].id.endswith("-randwrite-64k-o32k-qd1-nj1")


def test_steady_cell_may_name_a_percentage_offset():
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = ["16k", "64k"]\n'
        'offset = [0, "50%"]\nruntime = "1s"\nrounds = 5\n'
        'steady_cell = { bs = "64k", offset = "50%" }\n'
    )
    cells = expand_plan(parse_plan_text(text, "t.toml", "t", []), TargetFacts(GIB, 4096))
    assert [(c.bs, c.offset) for c in cells if c.steady_track] == [(65536, 32768)]


@pytest.mark.parametrize(
    "offset, message",
    [
        ('"0%"', "percentage of bs between 0% and 100%"),
        ('"100%"', "between 0% and 100%"),
        ('"150%"', "between 0% and 100%"),
        ('"2x"', "offset = '2x' is not a size"),
    ],
)
def test_percentage_offsets_must_lie_strictly_inside_the_io(offset, message):
    text = (
        '[[stage]]\nkind = "matrix"\nname = "m"\nrw = "randwrite"\nbs = "16k"\n'
        f'offset = {offset}\nruntime = "1s"\n'
    )
    with pytest.raises(InputError, match=re.escape(message)):
        parse_plan_text(text, "t.toml", "t", [])


def test_missing_target_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "nope"), "--plan", "smoke"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "nope" in result.output
