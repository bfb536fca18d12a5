"""Run an `adaptive` plan stage: the IU search, one probe cell at a time.

An adaptive stage expands to one marker cell (kind "adaptive"). The runner
hands it to `run_adaptive`, which asks `iu_adaptive.next_probe` for the next
(bs, offset) from the probes of this stage measured so far, records that
probe in the manifest as an ordinary random-write cell (kind "probe", placed
after the marker and the earlier probes) before it runs, runs it through
`Runner.measure` like any other cell, and repeats until `next_probe` returns
None or the stage's `probes` limit is reached. Then the marker is done.

Resume: `next_probe` is a pure function of the points measured, so a resumed
run asks again and gets the same probes in the same order; a probe already
in the manifest keeps its id (done ones are not rerun, an interrupted one
is). The probes' rows are ordinary `randwrite` cells with bs and offset, so
`analyze` infers the IU from them as from a full sweep.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from nvmeprobe.analyze.iu_adaptive import Point, Probe, next_probe
from nvmeprobe.errors import MeasurementFailed
from nvmeprobe.plan import Cell
from nvmeprobe.plan.estimate import cell_estimates
from nvmeprobe.run.manifest import DONE, FAILED, Manifest, write_manifest
from nvmeprobe.units import format_size_token

if TYPE_CHECKING:
    from nvmeprobe.run.runner import Runner

PROBE_KIND = "probe"


def probe_cell(marker: Cell, number: int, probe: Probe) -> Cell:
    """Probe `number` (1-based) of an adaptive stage: '005-iu-p03-randwrite-16k-o8k-qd16-nj1'."""
    parts = [marker.id.removesuffix(f"-{marker.kind}"), f"p{number:02d}", marker.rw or "randwrite",
             format_size_token(probe.bs)]
    if probe.offset:
        parts.append(f"o{format_size_token(probe.offset)}")
    parts += [f"qd{marker.iodepth}", f"nj{marker.numjobs}"]
    region = ((marker.region_bytes or 0) - probe.offset) // probe.bs * probe.bs
    return replace(marker, id="-".join(parts), kind=PROBE_KIND, bs=probe.bs, offset=probe.offset,
                   region_bytes=region)


def stage_probes(manifest: Manifest, marker: Cell) -> list[Cell]:
    """The probe cells of `marker`'s stage already in the manifest, in order."""
    return [Cell.from_dict(c) for c in manifest.cells
            if c["stage"] == marker.stage and c["kind"] == PROBE_KIND]


def probe_points(cells: pd.DataFrame, probes: list[Cell]) -> list[Point]:
    """The measured (bs, offset, bw, bytes written) of the given probe cells' write rows."""
    if cells.empty or not probes:
        return []
    rows = cells[cells["cell"].isin([p.id for p in probes]) & (cells["direction"] == "write")
                 & (cells["bw_bytes"] > 0)]
    return [Point(int(r.bs), int(r.offset), float(r.bw_bytes), int(r.host_bytes_written))
            for r in rows.itertuples()]


def _add_to_manifest(manifest: Manifest, cell: Cell, after: str) -> None:
    """Insert `cell` into the manifest's cells right after the cell `after`."""
    ids = [c["id"] for c in manifest.cells]
    manifest.cells.insert(ids.index(after) + 1, cell.to_dict())


def run_adaptive(runner: Runner, marker: Cell) -> list[str]:
    """Run the adaptive stage of `marker` to its end; returns the ids of failed cells."""
    stage = runner.plan.stage(marker.stage)
    max_bs, limit = stage.params["max_bs"], stage.params["probes"]
    lba = runner.facts.logical_block_size
    started, spent = time.time(), 0.0
    tried: set[str] = set()
    while True:
        probes = stage_probes(runner.manifest, marker)
        done = [p for p in probes if runner.manifest.status(p.id) == DONE]
        probe = next_probe(probe_points(runner.state.cell_rows(), done), lba, max_bs)
        if probe is None or len(done) >= limit:
            break
        known = {(p.bs, p.offset): p for p in probes}
        cell = known.get((probe.bs, probe.offset))
        if cell is None:
            cell = probe_cell(marker, len(probes) + 1, probe)
            seconds, written = cell_estimates(cell, runner.facts)
            cell = replace(cell, est_seconds=seconds, est_bytes_written=written)
            _add_to_manifest(runner.manifest, cell, probes[-1].id if probes else marker.id)
            write_manifest(runner.run_dir, runner.manifest)
        if cell.id in tried:  # done, yet next_probe asks again: it measured no writes
            runner.record(marker, FAILED, error=f"probe {cell.id} measured no write bandwidth")
            if runner.on_error == "stop":
                raise MeasurementFailed(f"cell {cell.id}: measured no write bandwidth")
            return [marker.id]
        tried.add(cell.id)
        spent += cell.est_seconds
        if not runner.measure(cell):
            runner.record(marker, FAILED, error=f"probe {cell.id} failed")
            return [cell.id, marker.id]
    # the marker's estimate covered every probe: report only what they left over
    rest = replace(marker, est_seconds=max(0.0, marker.est_seconds - spent))
    runner.record(rest, DONE, seconds=round(time.time() - started, 3), probes=len(done),
                  limit_reached=probe is not None)
    return []
