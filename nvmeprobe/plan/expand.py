"""Expand a validated plan into cells for one target, checking it against the
target's facts.

Checks (one-line InputError naming plan, stage and value): bs and offset are
multiples of the LBA size (or skipped with `lba_mismatch = "skip"`), every
offset is below some bs (alignment offset: 0 <= offset < bs; a 'P%' offset is
P% of each cell's bs, skipped where it is off the LBA grid), the region
fits the target, an absolute or percentage size fits its region ('Nx' may
exceed it on purpose), and the region holds at least one IO per job.

A cell's region starts at its alignment offset and is a whole number of bs:
region_bytes = (region - offset) // bs * bs. Size-based cells write
`size_bytes`, rounded down to a whole number of bs per job.

Round-based stages (matrix with `rounds`) expand to round 1 in
`expand_plan`; `expand_round` gives round N with the same indices, so the
ids differ only in their `-rNN` suffix.

An adaptive stage expands to one cell of kind "adaptive" (id
``005-NAME-adaptive``): the runner turns it into probe cells as it measures
(run/adaptive.py). It carries the probes' common parameters, the first
probe's bs (the LBA size) and the stage's region (a whole number of
`max_bs`); its estimates are those of `probes` time-based cells, an upper bound.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan import values
from nvmeprobe.plan.estimate import cell_estimates
from nvmeprobe.plan.model import Cell, Plan, Stage, TargetFacts
from nvmeprobe.plan.rates import WriteRates
from nvmeprobe.plan.schema import MIXED_MODES
from nvmeprobe.units import format_bytes, format_size_token

Spec = dict[str, Any]


def _where(plan: Plan, stage: Stage) -> str:
    return f"plan {plan.name}, stage {stage.name!r} ({stage.kind})"


def _region(stage: Stage, facts: TargetFacts, where: str) -> int:
    spec = stage.params["region"]
    if values.is_multiple(spec):
        raise InputError(f"{where}: region = {spec!r} must be a size or a percentage of the target")
    region = values.resolve_size(spec, facts.capacity_bytes)
    if region > facts.capacity_bytes:
        raise InputError(
            f"{where}: region {format_bytes(region)} is larger than the target"
            f" ({format_bytes(facts.capacity_bytes)})"
        )
    return region


def _check_lba(value: int, key: str, facts: TargetFacts, where: str) -> None:
    if value % facts.logical_block_size:
        raise InputError(
            f"{where}: {key} {value} is not a multiple of the LBA size {facts.logical_block_size}"
        )


def _cell_region(
    region: int, offset: int, bs: int, numjobs: int, sequential: bool, where: str
) -> int:
    span = (region - offset) // bs * bs
    need = bs * (numjobs if sequential else 1)
    if span < need:
        raise InputError(
            f"{where}: region {format_bytes(region)} is too small for"
            f" bs {bs} at offset {offset} with {numjobs} job(s)"
        )
    return span


def _size(stage: Stage, region: int, bs: int, numjobs: int, where: str) -> int:
    spec = stage.params["size"]
    size = values.resolve_size(spec, region)
    if size > region and not values.is_multiple(spec):
        raise InputError(
            f"{where}: size {format_bytes(size)} is larger than the region"
            f" {format_bytes(region)} (use e.g. '2x' to write it more than once)"
        )
    size = size // (bs * numjobs) * (bs * numjobs)
    if size == 0:
        raise InputError(f"{where}: size {spec} is smaller than one {bs}-byte IO per job")
    return size


def _single_write(stage: Stage, facts: TargetFacts, where: str, rw: str) -> Spec:
    """The one cell of a precondition or sustained stage."""
    p = stage.params
    bs, numjobs = p["bs"], p["numjobs"]
    _check_lba(bs, "bs", facts, where)
    region = _cell_region(
        _region(stage, facts, where), 0, bs, numjobs, not rw.startswith("rand"), where
    )
    return {
        "rw": rw,
        "bs": bs,
        "offset": 0,
        "iodepth": p["iodepth"],
        "numjobs": numjobs,
        "region_bytes": region,
        "size_bytes": _size(stage, region, bs, numjobs, where),
        "writes": True,
        "extra": p["fio"],
    }


def _logs(stage: Stage) -> Spec:
    """The log fields of a cell of `stage` (one with a `logs` key)."""
    if not stage.params["logs"]:
        return {"logs": False}
    return {"logs": True, "log_avg_msec": stage.params["log_avg_msec"]}


def _precondition(stage: Stage, facts: TargetFacts, where: str) -> list[Spec]:
    rw = "write" if stage.params["pattern"] == "seq" else "randwrite"
    return [{**_single_write(stage, facts, where, rw), **_logs(stage)}]


def _sustained(stage: Stage, facts: TargetFacts, where: str) -> list[Spec]:
    spec = _single_write(stage, facts, where, stage.params["rw"])
    spec.update(
        logs=True,
        log_avg_msec=stage.params["log_avg_msec"],
        stop_on_drop=stage.params["stop_on_drop"],
        follows=stage.params.get("follows"),
        rate_share=stage.params.get("rate"),
    )
    return [spec]


def _idle(stage: Stage, facts: TargetFacts, where: str) -> list[Spec]:
    return [{"idle_s": stage.params["runtime"]}]


def _lba_filter(stage: Stage, key: str, facts: TargetFacts, where: str) -> list[Any]:
    """The stage's `key` values the LBA size allows (percent offsets are judged per bs)."""
    items = [v for v in stage.params[key] if isinstance(v, int)]
    relative = [v for v in stage.params[key] if not isinstance(v, int)]
    if stage.params["lba_mismatch"] == "skip":
        kept = [v for v in items if v % facts.logical_block_size == 0]
        if not kept and not relative:
            raise InputError(
                f"{where}: no {key} value is a multiple of the LBA size {facts.logical_block_size}"
            )
        return kept + relative
    for value in items:
        _check_lba(value, key, facts, where)
    return items + relative


def _resolve_offset(offset: int | str, bs: int, lba: int) -> int | None:
    """A cell's offset in bytes; None for a percentage of bs off the LBA grid (or zero)."""
    if isinstance(offset, int):
        return offset
    resolved = values.resolve_size(offset, bs)
    return resolved if resolved and resolved % lba == 0 else None


def _is_steady_cell(point: dict[str, Any], steady_cell: dict[str, Any], lba: int) -> bool:
    """True when the cell at `point` is one `steady_cell` names (a 'P%' offset of its bs too)."""
    wanted = dict(steady_cell)
    if "offset" in wanted:
        wanted["offset"] = _resolve_offset(wanted["offset"], point["bs"], lba)
    return all(point.get(dim) == value for dim, value in wanted.items())


def _matrix(stage: Stage, facts: TargetFacts, where: str) -> list[Spec]:
    p = stage.params
    dims = {dim: p.get(dim) or [None] for dim in p["order"]}
    dims["bs"] = _lba_filter(stage, "bs", facts, where)
    dims["offset"] = _lba_filter(stage, "offset", facts, where)
    for offset in (o for o in dims["offset"] if isinstance(o, int)):
        if offset >= max(dims["bs"]):
            raise InputError(
                f"{where}: offset {offset} is not below any bs"
                f" (alignment offset must be 0 <= offset < bs)"
            )
    region = _region(stage, facts, where)
    specs: list[Spec] = []
    seen: set[tuple[Any, ...]] = set()
    for combo in itertools.product(*(dims[dim] for dim in p["order"])):
        point = dict(zip(p["order"], combo))
        point["offset"] = _resolve_offset(point["offset"], point["bs"], facts.logical_block_size)
        if point["offset"] is None or point["offset"] >= point["bs"]:
            continue
        if point["rw"] not in MIXED_MODES:
            point["rwmixread"] = None
        key = tuple(point[dim] for dim in p["order"])
        if key in seen:
            continue
        seen.add(key)
        sequential = not point["rw"].startswith("rand")
        span = _cell_region(
            region, point["offset"], point["bs"], point["numjobs"], sequential, where
        )
        spec = {
            **point,
            "region_bytes": span,
            **_logs(stage),
            "extra": p["fio"],
            "writes": point["rw"] in ("write", "randwrite")
            or (point["rw"] in MIXED_MODES and point["rwmixread"] < 100),
        }
        if "size" in p:
            spec["size_bytes"] = _size(stage, span, point["bs"], point["numjobs"], where)
        else:
            spec.update(runtime_s=p["runtime"], ramp_s=p["ramp"])
        if "rounds" in p:
            spec["steady_track"] = _is_steady_cell(
                point, p["steady_cell"], facts.logical_block_size
            )
        specs.append(spec)
    if "rounds" in p and not any(spec["steady_track"] for spec in specs):
        raise InputError(f"{where}: steady_cell {p['steady_cell']} matches no cell")
    return specs


def _adaptive(stage: Stage, facts: TargetFacts, where: str) -> list[Spec]:
    p = stage.params
    _check_lba(p["max_bs"], "max_bs", facts, where)
    region = _cell_region(_region(stage, facts, where), 0, p["max_bs"], p["numjobs"], False, where)
    return [
        {
            "rw": "randwrite",
            "bs": facts.logical_block_size,
            "offset": 0,
            "iodepth": p["iodepth"],
            "numjobs": p["numjobs"],
            "region_bytes": region,
            "runtime_s": p["runtime"],
            "ramp_s": p["ramp"],
            "writes": True,
            "extra": p["fio"],
            **_logs(stage),
        }
    ]


_EXPANDERS = {
    "precondition": _precondition,
    "matrix": _matrix,
    "sustained": _sustained,
    "idle": _idle,
    "adaptive": _adaptive,
}


def _cell_id(index: int, width: int, stage: Stage, spec: Spec, round_no: int | None) -> str:
    parts = [f"{index:0{width}d}", stage.name]
    if stage.kind in ("idle", "adaptive"):
        parts.append(stage.kind)
    else:
        parts += [spec["rw"], format_size_token(spec["bs"])]
        if spec["offset"]:
            parts.append(f"o{format_size_token(spec['offset'])}")
        parts += [f"qd{spec['iodepth']}", f"nj{spec['numjobs']}"]
        if spec.get("rwmixread") is not None:
            parts.append(f"m{spec['rwmixread']}")
    if round_no is not None:
        parts.append(f"r{round_no:02d}")
    return "-".join(parts)


def _expand(
    plan: Plan, facts: TargetFacts, rounds: dict[str, int], rates: WriteRates | None = None
) -> list[Cell]:
    layout = [
        (stage, _EXPANDERS[stage.kind](stage, facts, _where(plan, stage))) for stage in plan.stages
    ]
    width = max(3, len(str(sum(len(specs) for _, specs in layout) - 1)))
    cells: list[Cell] = []
    for stage, specs in layout:
        round_no = rounds.get(stage.name, 1) if stage.rounds_max else None
        for spec in specs:
            fields = {**spec, "extra": tuple(sorted(spec.get("extra", {}).items()))}
            cell = Cell(
                id=_cell_id(len(cells), width, stage, spec, round_no),
                stage=stage.name,
                kind=stage.kind,
                round=round_no,
                rounds_max=stage.rounds_max,
                **fields,
            )
            seconds, written = cell_estimates(cell, facts, rates)
            if stage.kind == "adaptive":  # at most `probes` cells
                seconds, written = (
                    seconds * stage.params["probes"],
                    written * stage.params["probes"],
                )
            cells.append(replace(cell, est_seconds=seconds, est_bytes_written=written))
    return cells


def expand_plan(plan: Plan, facts: TargetFacts, rates: WriteRates | None = None) -> list[Cell]:
    """Every cell of `plan` for a target with `facts`, in run order (round 1 of
    round-based stages), estimated at `rates` (default: the facts' bounds)."""
    return _expand(plan, facts, {}, rates)


def expand_round(plan: Plan, stage: Stage | str, facts: TargetFacts, round_no: int) -> list[Cell]:
    """The cells of round `round_no` (1-based) of a round-based stage of `plan`."""
    stage = plan.stage(stage) if isinstance(stage, str) else stage
    if not stage.rounds_max:
        raise InputError(f"plan {plan.name}, stage {stage.name!r} is not round-based")
    if not 1 <= round_no <= stage.rounds_max:
        raise InputError(
            f"plan {plan.name}, stage {stage.name!r}: round {round_no}"
            f" is outside 1..{stage.rounds_max}"
        )
    return [
        cell for cell in _expand(plan, facts, {stage.name: round_no}) if cell.stage == stage.name
    ]
