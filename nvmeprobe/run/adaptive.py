"""Decide an `adaptive` plan stage's next cell: the IU search, one probe at a time (pure).

An adaptive stage expands to one marker cell (kind "adaptive"). The runner's
loop (`Runner._run_adaptive`) asks `next_step` for the next probe: it asks
`iu_adaptive.next_probe` for the next (bs, offset) from the probes of this
stage measured so far and makes it an ordinary random-write cell (kind
"probe", placed after the marker and the earlier probes). The runner records
it in the manifest before it runs, measures it like any other cell, and asks
again, until `next_step` says the search or the stage's `probes` limit is
done. Then the marker is done. Nothing here runs fio or writes a file.

Resume: `next_probe` is a pure function of the points measured, so a resumed
run asks again and gets the same probes in the same order; a probe already
in the manifest keeps its id (done ones are not rerun, an interrupted one
is). The probes' rows are ordinary `randwrite` cells with bs and offset, so
`analyze` infers the IU from them as from a full sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from nvmeprobe.analyze.iu_adaptive import Point, Probe, next_probe
from nvmeprobe.plan import Cell, Stage, TargetFacts
from nvmeprobe.plan.estimate import cell_estimates
from nvmeprobe.run.manifest import DONE, Manifest
from nvmeprobe.units import format_size_token

PROBE_KIND = "probe"


def probe_cell(marker: Cell, number: int, probe: Probe) -> Cell:
    """Probe `number` (1-based) of an adaptive stage: '005-iu-p03-randwrite-16k-o8k-qd16-nj1'."""
    parts = [
        marker.id.removesuffix(f"-{marker.kind}"),
        f"p{number:02d}",
        marker.rw or "randwrite",
        format_size_token(probe.bs),
    ]
    if probe.offset:
        parts.append(f"o{format_size_token(probe.offset)}")
    parts += [f"qd{marker.iodepth}", f"nj{marker.numjobs}"]
    region = ((marker.region_bytes or 0) - probe.offset) // probe.bs * probe.bs
    return replace(
        marker,
        id="-".join(parts),
        kind=PROBE_KIND,
        bs=probe.bs,
        offset=probe.offset,
        region_bytes=region,
    )


def stage_probes(manifest: Manifest, marker: Cell) -> list[Cell]:
    """The probe cells of `marker`'s stage already in the manifest, in order."""
    return [
        Cell.from_dict(c)
        for c in manifest.cells
        if c["stage"] == marker.stage and c["kind"] == PROBE_KIND
    ]


def probe_points(cells: pd.DataFrame, probes: list[Cell]) -> list[Point]:
    """The measured (bs, offset, bw, bytes written) of the given probe cells' write rows."""
    if cells.empty or not probes:
        return []
    rows = cells[
        cells["cell"].isin([p.id for p in probes])
        & (cells["direction"] == "write")
        & (cells["bw_bytes"] > 0)
    ]
    return [
        Point(int(r.bs), int(r.offset), float(r.bw_bytes), int(r.host_bytes_written))
        for r in rows.itertuples()
    ]


def insert_cell(manifest: Manifest, cell: Cell, after: str) -> None:
    """Insert `cell` into the manifest's cells right after the cell `after`."""
    ids = [c["id"] for c in manifest.cells]
    manifest.cells.insert(ids.index(after) + 1, cell.to_dict())


@dataclass(frozen=True)
class Step:
    """An adaptive stage's next move, decided from what its probes measured."""

    cell: Cell | None  # the probe to measure next; None: the stage is finished
    after: str | None  # a new probe: insert it into the manifest after this cell
    done: int  # probes measured so far
    limit_reached: bool  # finished by the stage's `probes` limit, not by the search


def next_step(
    marker: Cell, stage: Stage, facts: TargetFacts, manifest: Manifest, rows: pd.DataFrame
) -> Step:
    """The probe to measure next for `marker`'s stage, given every cell row measured so far."""
    probes = stage_probes(manifest, marker)
    done = [p for p in probes if manifest.status(p.id) == DONE]
    probe = next_probe(probe_points(rows, done), facts.logical_block_size, stage.params["max_bs"])
    if probe is None or len(done) >= stage.params["probes"]:
        return Step(None, None, len(done), probe is not None)
    known = {(p.bs, p.offset): p for p in probes}
    cell = known.get((probe.bs, probe.offset))
    if cell is not None:
        return Step(cell, None, len(done), False)
    cell = probe_cell(marker, len(probes) + 1, probe)
    seconds, written = cell_estimates(cell, facts)
    return Step(
        replace(cell, est_seconds=seconds, est_bytes_written=written),
        probes[-1].id if probes else marker.id,
        len(done),
        False,
    )
