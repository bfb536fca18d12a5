"""The `iu-adaptive` plan: an adaptive stage's marker cell, its probe cells, and a live run
that is interrupted and resumed (run/adaptive.py, plan kind "adaptive")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nvmeprobe.analyze.iu_adaptive import Point, Probe
from nvmeprobe.cli import main
from nvmeprobe.errors import InputError
from nvmeprobe.plan import TargetFacts, expand_plan, load_plan, parse_plan_text
from nvmeprobe.plan.estimate import FIO_START_COST_S
from nvmeprobe.profile import read_profile
from nvmeprobe.run.adaptive import insert_cell, next_step, probe_cell, probe_points
from nvmeprobe.run.execute import RunOptions, execute_run
from nvmeprobe.run.manifest import DONE, Manifest

FACTS = TargetFacts(capacity_bytes=2 << 30, logical_block_size=4096)
# no cache, 16 KiB IU, 4 units of 7.8 ms per IU program (8 MiB/s): a few seconds per run
SIM = (
    "sim:capacity=1g,lba=4096,iu=16k,slc=0,units=4,scale=4,prog_us=1953,rmw_us=1000,"
    "read_us=1000,noise=0.05,seed=3"
)


def test_adaptive_stage_expands_to_one_marker_cell_with_an_upper_bound_estimate():
    plan = load_plan("iu-adaptive", ["runtime=2s", "ramp=1s"])
    fill, marker = expand_plan(plan, FACTS)
    assert fill.kind == "precondition"
    assert (marker.id, marker.kind, marker.rw, marker.bs, marker.offset) == (
        "001-search-adaptive",
        "adaptive",
        "randwrite",
        4096,
        0,
    )
    assert marker.writes and marker.iodepth == 8 and marker.runtime_s == 2.0
    assert marker.region_bytes == FACTS.capacity_bytes
    assert marker.est_seconds == pytest.approx(16 * (3.0 + FIO_START_COST_S))


@pytest.mark.parametrize(
    "stage, message",
    [
        ('max_bs = "6k"', "max_bs 6144 is not a multiple of the LBA size 4096"),
        ('bs = "4k"', "unknown key 'bs'"),
        ("probes = 0", "probes"),
    ],
)
def test_adaptive_stage_rejects_bad_values(stage, message):
    text = f'[[stage]]\nkind = "adaptive"\nname = "s"\n{stage}\n'
    with pytest.raises(InputError, match=message):
        expand_plan(parse_plan_text(text, "t", "t"), FACTS)


def test_probe_cells_are_ordinary_random_write_cells():
    marker = expand_plan(load_plan("iu-adaptive"), FACTS)[1]
    cell = probe_cell(marker, 3, Probe(16384, 8192))
    assert cell.id == "001-search-p03-randwrite-16k-o8k-qd8-nj1"
    assert (cell.kind, cell.stage, cell.rw, cell.bs, cell.offset) == (
        "probe",
        "search",
        "randwrite",
        16384,
        8192,
    )
    assert cell.region_bytes == (FACTS.capacity_bytes - 8192) // 16384 * 16384
    assert probe_cell(marker, 1, Probe(4096, 0)).id == "001-search-p01-randwrite-4k-qd8-nj1"


def test_next_step_records_a_new_probe_reruns_an_unfinished_one_and_stops_at_the_limit():
    plan = load_plan("iu-adaptive", ["stage.search.probes=1"])
    cells = expand_plan(plan, FACTS)
    marker, stage = cells[1], plan.stage("search")
    manifest = Manifest("r", "t", {}, [c.to_dict() for c in cells])
    first = next_step(marker, stage, FACTS, manifest, pd.DataFrame())
    assert first.after == marker.id and first.cell is not None and first.cell.kind == "probe"
    assert first.cell.est_seconds > 0 and first.done == 0
    insert_cell(manifest, first.cell, first.after)
    assert [c["id"] for c in manifest.cells][-1] == first.cell.id
    again = next_step(marker, stage, FACTS, manifest, pd.DataFrame())  # interrupted: same probe
    assert (again.cell, again.after) == (first.cell, None)
    manifest.mark(first.cell.id, DONE)
    last = next_step(marker, stage, FACTS, manifest, pd.DataFrame())
    assert (last.cell, last.done, last.limit_reached) == (None, 1, True)


def test_probe_points_read_the_write_rows_of_the_given_probes_only():
    marker = expand_plan(load_plan("iu-adaptive"), FACTS)[1]
    a, b = probe_cell(marker, 1, Probe(4096, 0)), probe_cell(marker, 2, Probe(32768, 0))
    cells = pd.DataFrame(
        [
            {
                "cell": a.id,
                "direction": "write",
                "bs": 4096,
                "offset": 0,
                "bw_bytes": 2e6,
                "host_bytes_written": 2_000_000,
            },
            {
                "cell": b.id,
                "direction": "write",
                "bs": 32768,
                "offset": 0,
                "bw_bytes": 0.0,
                "host_bytes_written": 0,
            },
            {
                "cell": "other",
                "direction": "write",
                "bs": 8192,
                "offset": 0,
                "bw_bytes": 5e6,
                "host_bytes_written": 5_000_000,
            },
        ]
    )
    assert probe_points(cells, [a, b]) == [Point(4096, 0, 2e6, 2_000_000)]
    assert probe_points(pd.DataFrame(), [a]) == []


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_iu_adaptive_is_interrupted_resumed_and_analyze_finds_the_iu(tmp_path):
    results, profiles = tmp_path / "results", tmp_path / "profiles"
    probes_done: list[str] = []

    def ctrl_c_after_two_probes(cell, status):
        if cell.kind == "probe":
            probes_done.append(cell.id)
            if len(probes_done) == 2:
                raise KeyboardInterrupt

    options = RunOptions(
        target=SIM,
        plan="iu-adaptive",
        results_dir=results,
        profiles_dir=profiles,
        overrides=("stage.fill.size=1m", "runtime=0.5s", "ramp=0s"),
    )
    with pytest.raises(KeyboardInterrupt):
        execute_run(options, on_cell=ctrl_c_after_two_probes)
    (run_dir,) = results.iterdir()
    first = json.loads((run_dir / "manifest.json").read_text())
    assert [c["kind"] for c in first["cells"]] == ["precondition", "adaptive", "probe", "probe"]
    assert "001-search-adaptive" not in first["state"]

    common = ["--results", str(results), "--profiles", str(profiles), "--json"]
    again = CliRunner().invoke(main, ["run", "--resume", run_dir.name, *common])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["findings"]["iu"]["inferred_bytes"] == 16384
    manifest = json.loads((run_dir / "manifest.json").read_text())
    ids = [c["id"] for c in manifest["cells"]]
    probes = [c for c in manifest["cells"] if c["kind"] == "probe"]
    assert ids[:4] == [c["id"] for c in first["cells"]]  # the earlier probes kept, in order
    assert ids[2:] == [p["id"] for p in probes] and 3 <= len(probes) <= 10
    assert len({(p["bs"], p["offset"]) for p in probes}) == len(probes)
    assert all(manifest["state"][i]["status"] == "done" for i in ids)
    assert manifest["state"]["001-search-adaptive"]["probes"] == len(probes)

    cells = read_profile(Path(json.loads(again.stdout)["profile"])).cells
    assert sorted(cells["cell"].unique()) == sorted(ids[:1] + ids[2:])  # each cell once
    analysis = CliRunner().invoke(main, ["analyze", str(run_dir), "--json"])
    assert analysis.exit_code == 0, analysis.output
    iu = json.loads(analysis.stdout)["iu"]
    assert iu["inferred_bytes"] == 16384 and iu["agrees"] is True
    assert iu["evidence"]["points"] == len(probes)
