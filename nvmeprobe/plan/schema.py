"""Stage kinds and their keys: validation and normalisation of one stage.

Kinds (every stage has `kind` and a unique `name`, [a-z0-9_-], <= 32 chars):

- precondition: one write cell filling the region `size` ('2x' = two passes)
  with `pattern` seq or rand, `bs`, `iodepth`, `numjobs`.
- matrix: the cross product of the dimensions rw, bs, offset, iodepth,
  numjobs, rwmixread (lists or scalars; rwmixread only with rw/randrw), each
  cell time-based (`runtime`, `ramp`; the default) or size-based (`size`).
  `order` names dimensions outermost first (the rest follow in that order).
  Pairs with offset >= bs are skipped (a 4k offset of a 4k IO is aligned),
  but an offset below no bs is an error. An offset 'P%' (0 < P < 100) is
  P% of each cell's bs ('50%': half of it); it is skipped for a bs where it
  does not fall on an LBA boundary. `lba_mismatch = "skip"` drops bs and
  offset values the target's LBA size cannot do (one plan for 512 B and
  4 KiB LBA drives) instead of failing. `rounds` makes the stage round-based
  (SNIA PTS): `steady_window`, `steady_metric` and `steady_cell` (the
  dimension values of the tracking cell(s)) tell the runner what to track.
- sustained: one long write (`rw` write or randwrite) of `size` with
  bw/iops/lat logs every `log_avg_msec`; `stop_on_drop` lets the runner stop
  it once the bandwidth drop is confirmed (run/sustained.py). `follows`
  names an earlier sustained stage: this burst runs only when that one saw
  a drop, and writes at most what it wrote (a recovery burst). `rate` ('45%')
  holds it to that share of the followed burst's in-cache rate: the thermal
  confirmation, run only where the drive reports no temperature against a
  limit (analyze/thermal.py).
- idle: wait `runtime` seconds without IO (named `runtime` so that a global
  `--set runtime=...` shrinks idle periods too).
- adaptive: the adaptive IU search (analyze/iu_adaptive.py): time-based
  random-write cells (`iodepth`, `numjobs`, `runtime`, `ramp`) whose bs and
  offset the runner chooses one at a time from what was measured, from the
  LBA size up to `max_bs`, at most `probes` of them (run/adaptive.py).

Every cell that runs fio writes bw/iops/lat logs (bench-fio's names, so
fio-plot charts them): every `log_avg_msec` (default 1000) where `logs` is
true (the default), always for sustained stages (default 10 ms: a cache that
lasts 0.25 s at full speed still gets 25 samples; README "Sustained-write logs").

`fio` (a table) adds allow-listed fio options to a stage's cells.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan import values
from nvmeprobe.plan.fio_job import check_extra_option
from nvmeprobe.plan.model import Stage

KINDS = ("precondition", "matrix", "sustained", "idle", "adaptive")
RW_MODES = ("read", "write", "randread", "randwrite", "rw", "randrw")
MIXED_MODES = ("rw", "randrw")
DIMENSIONS = ("rw", "bs", "offset", "iodepth", "numjobs", "rwmixread")
STEADY_METRICS = ("iops", "bw_bytes", "lat_mean_us", "lat_p99_us")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_REQUIRED = object()

Parser = Callable[[Any, str, str], Any]


def _dim(parse_one: Parser) -> Parser:
    def parse(value: Any, where: str, key: str) -> list[Any]:
        items = values.as_list(value)
        if not items:
            raise InputError(f"{where}: {key} is an empty list")
        parsed = [parse_one(item, where, key) for item in items]
        return list(dict.fromkeys(parsed))

    return parse


def _rw(value: Any, where: str, key: str) -> str:
    return values.choice(value, where, key, RW_MODES)


def _count(value: Any, where: str, key: str) -> int:
    return values.integer(value, where, key, 1, 65536)


def _percent(value: Any, where: str, key: str) -> int:
    return values.integer(value, where, key, 0, 100)


def _offset(value: Any, where: str, key: str) -> int | str:
    if isinstance(value, str) and value.strip().endswith("%"):
        return values.fraction_of_bs(value, where, key)
    return values.size(value, where, key, allow_zero=True)


def _ramp(value: Any, where: str, key: str) -> float:
    return values.seconds(value, where, key, allow_zero=True)


def _log_msec(value: Any, where: str, key: str) -> int:
    return values.integer(value, where, key, 1, 3_600_000)


def _stage_name(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise InputError(f"{where}: {key} must name an earlier sustained stage")
    return value


def _rate_share(value: Any, where: str, key: str) -> float:
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else None
    except ValueError:
        share = None
    if share is None or not 0.05 <= share <= 0.9:
        raise InputError(
            f"{where}: {key} must be a percentage of the in-cache rate from 5% to 90%, e.g. '45%'"
        )
    return share


def _order(value: Any, where: str, key: str) -> list[str]:
    items = values.as_list(value)
    for item in items:
        values.choice(item, where, key, DIMENSIONS)
    if len(set(items)) != len(items):
        raise InputError(f"{where}: {key} names a dimension twice")
    return items


def _fio(value: Any, where: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError(f"{where}: {key} must be a table of fio options")
    return {name: check_extra_option(name, option, where) for name, option in value.items()}


DIM_PARSERS: dict[str, Parser] = {
    "rw": _dim(_rw),
    "bs": _dim(values.size),
    "offset": _dim(_offset),
    "iodepth": _dim(_count),
    "numjobs": _dim(_count),
    "rwmixread": _dim(_percent),
}


def _steady_cell(value: Any, where: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise InputError(
            f"{where}: {key} must be a table of dimension values, "
            'e.g. { bs = "4k", rwmixread = 0 }'
        )
    cell = {}
    for dim, item in value.items():
        if dim not in DIMENSIONS:
            raise InputError(
                f"{where}: {key}: unknown dimension {dim!r} (known: {', '.join(DIMENSIONS)})"
            )
        cell[dim] = DIM_PARSERS[dim]([item], where, f"{key}.{dim}")[0]
    return cell


_FIO_STAGE = {
    "bs": (values.size, 131072),
    "iodepth": (_count, 32),
    "numjobs": (_count, 1),
    "region": (values.relative_size, "100%"),
    "fio": (_fio, {}),
}
_LOGS = {"logs": (values.boolean, True), "log_avg_msec": (_log_msec, 1000)}

SCHEMAS: dict[str, dict[str, tuple[Parser, Any]]] = {
    "precondition": {
        **_FIO_STAGE,
        "pattern": (lambda v, w, k: values.choice(v, w, k, ("seq", "rand")), "seq"),
        "size": (values.relative_size, "2x"),
        **_LOGS,
    },
    "matrix": {
        **{
            dim: (parser, _REQUIRED if dim in ("rw", "bs") else None)
            for dim, parser in DIM_PARSERS.items()
        },
        "runtime": (values.seconds, None),
        "ramp": (_ramp, None),
        "size": (values.relative_size, None),
        "region": (values.relative_size, "100%"),
        **_LOGS,
        "order": (_order, list(DIMENSIONS)),
        "lba_mismatch": (lambda v, w, k: values.choice(v, w, k, ("error", "skip")), "error"),
        "rounds": (lambda v, w, k: values.integer(v, w, k, 1, 1000), None),
        "steady_window": (lambda v, w, k: values.integer(v, w, k, 2, 100), None),
        "steady_metric": (lambda v, w, k: values.choice(v, w, k, STEADY_METRICS), None),
        "steady_cell": (_steady_cell, None),
        "fio": (_fio, {}),
    },
    "sustained": {
        **_FIO_STAGE,
        "iodepth": (_count, 8),
        "rw": (lambda v, w, k: values.choice(v, w, k, ("write", "randwrite")), "write"),
        "size": (values.relative_size, _REQUIRED),
        "log_avg_msec": (_log_msec, 10),
        "stop_on_drop": (values.boolean, True),
        "follows": (_stage_name, None),
        "rate": (_rate_share, None),
    },
    "idle": {"runtime": (values.seconds, _REQUIRED)},
    "adaptive": {
        **{key: _FIO_STAGE[key] for key in ("numjobs", "region", "fio")},
        "iodepth": (_count, 8),
        "max_bs": (values.size, 1024 * 1024),
        "runtime": (values.seconds, 30.0),
        "ramp": (_ramp, 0.0),
        "probes": (lambda v, w, k: values.integer(v, w, k, 1, 64), 16),
        **_LOGS,
    },
}


def stage_where(plan: str, raw: dict[str, Any], index: int) -> str:
    """'plan iu, stage 'rmw' (matrix)': where a stage's errors point."""
    name = raw.get("name", f"#{index + 1}")
    kind = raw.get("kind", "?")
    return f"plan {plan}, stage {name!r} ({kind})"


def normalise_stage(plan: str, raw: dict[str, Any], index: int) -> Stage:
    """Validate one stage table from TOML and return it with defaults filled in."""
    where = stage_where(plan, raw, index)
    if "kind" not in raw:
        raise InputError(f"{where}: missing key 'kind' (one of {', '.join(KINDS)})")
    kind = raw["kind"]
    if kind not in SCHEMAS:
        raise InputError(f"{where}: unknown stage kind {kind!r} (known: {', '.join(KINDS)})")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InputError(
            f"{where}: name must be 1-32 characters of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit"
        )
    schema = SCHEMAS[kind]
    unknown = [key for key in raw if key not in schema and key not in ("kind", "name")]
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(schema))})"
        )
    params: dict[str, Any] = {}
    for key, (parse, default) in schema.items():
        if key in raw:
            params[key] = parse(raw[key], where, key)
        elif default is _REQUIRED:
            raise InputError(f"{where}: missing key {key!r}")
        elif default is not None:
            params[key] = copy.deepcopy(default)
    if kind == "matrix":
        _normalise_matrix(params, where)
    return Stage(kind=kind, name=name, params=params)


def _normalise_matrix(params: dict[str, Any], where: str) -> None:
    if "size" in params and ("runtime" in params or "ramp" in params):
        raise InputError(f"{where}: give runtime/ramp (time-based) or size (size-based), not both")
    if "size" not in params:
        params.setdefault("runtime", 30.0)
        params.setdefault("ramp", 0.0)
    mixed = [rw for rw in params["rw"] if rw in MIXED_MODES]
    if "rwmixread" in params and not mixed:
        raise InputError(f"{where}: rwmixread needs a mixed rw (rw or randrw)")
    if mixed:
        params.setdefault("rwmixread", [50])
    params.setdefault("offset", [0])
    params.setdefault("iodepth", [1])
    params.setdefault("numjobs", [1])
    round_keys = [k for k in ("steady_window", "steady_metric", "steady_cell") if k in params]
    if "rounds" in params:
        if "steady_cell" not in params:
            raise InputError(
                f"{where}: a round-based stage needs steady_cell (the tracking cell's dimensions)"
            )
        params.setdefault("steady_window", 5)
        params.setdefault("steady_metric", "iops")
    elif round_keys:
        raise InputError(f"{where}: {round_keys[0]} needs rounds")
    order = params["order"]
    params["order"] = order + [dim for dim in DIMENSIONS if dim not in order]
