"""fio JSON / json+ results -> cell rows (one per job or group, and IO direction).

Parameters come from the JSON itself: "global options" merged with each job's
"job options" (fio 3.1 .. 3.33 shapes), never from file names. Client/server
output keeps its results under "client_stats", each with a "hostname" (the
`host` column); its "All clients" aggregate is dropped.

Decisions:
- Latency is completion latency (clat): mean/min/max and percentiles, in us.
  fio's printed percentiles are used where printed; others (p99.999 by
  default) come from the json+ histogram bins when present, else NaN.
- A direction is reported when it did IO (trim only then). A job that did no
  IO at all still gives rows for the directions its mode names, so its fio
  error code and zero throughput are kept, with latencies unknown.
- host_bytes_written is the row's own bytes written: io_bytes for write rows,
  0 for read and trim rows, so summing over a cell's rows gives the cell's.
- An option this cannot parse (fio's zone units `offset=10z`, a size in
  percent, a word where a number belongs) leaves its column unknown (null)
  and adds a note naming the job and the option; the rest of the result is
  kept. Options no column is made of (`size=300z`) are not parsed at all.
- Context (run_id, cell, model, serial, target, steady, ...) fills columns the
  JSON does not have. media_bytes_written from context lands on write rows.
  `target` defaults to the job's filename (or NBD uri); `steady` to fio's own
  steadystate verdict when the job used `steadystate=`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from nvmeprobe.errors import InputError
from nvmeprobe.ingest import fio_options as opt
from nvmeprobe.ingest.latency import completion_latency_us, percentile_from_bins
from nvmeprobe.profile.columns import cells_frame

__all__ = [
    "load_fio_json",
    "split_fio_output",
    "cells_from_fio",
    "fio_records",
    "percentile_from_bins",
    "CONTEXT_KEYS",
]

CONTEXT_KEYS = frozenset(
    {
        "run_id",
        "cell",
        "model",
        "serial",
        "target",
        "steady",
        "media_bytes_written",
        "source",
        "host",
        "stage",
        "round",
    }
)
T = TypeVar("T")
_JSON_START = re.compile(r"^[ \t]*\{", re.MULTILINE)
_DECODER = json.JSONDecoder()


def _document(text: str, source: str) -> tuple[dict[str, Any], int, int]:
    """The fio document in `text` and where it starts and ends."""
    first_error: json.JSONDecodeError | None = None
    for match in _JSON_START.finditer(text):
        start = match.end() - 1
        try:
            doc, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as err:
            first_error = first_error or err
            continue
        if isinstance(doc, dict) and ("jobs" in doc or "client_stats" in doc):
            return doc, start, end
    if first_error is not None:
        raise InputError(
            f"{source}: truncated or corrupt fio JSON ({first_error.msg}"
            f" at line {first_error.lineno} column {first_error.colno})"
        )
    raise InputError(
        f"{source}: no fio JSON results found (no object with 'jobs' or 'client_stats')"
    )


def load_fio_json(text: str | bytes, source: str) -> dict[str, Any]:
    """The fio document in `text`, skipping junk lines before it and text after it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return _document(text, source)[0]


def split_fio_output(text: str, source: str) -> tuple[str, str]:
    """fio's output file split into its JSON document and the text fio printed around it.

    fio writes messages such as `fio: terminating on signal 2` into the same
    file as its JSON; the text part is "" when there are none.
    """
    _, start, end = _document(text, source)
    messages = "\n".join(part.strip() for part in (text[:start], text[end:]) if part.strip())
    return text[start:end] + "\n", messages


def _entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "client_stats" in doc:
        return [entry for entry in doc["client_stats"] if entry.get("jobname") != "All clients"]
    return list(doc.get("jobs") or [])


def _active(stats: dict[str, Any] | None) -> bool:
    return stats is not None and bool(stats.get("total_ios") or stats.get("io_bytes"))


def _bandwidth(stats: dict[str, Any]) -> float:
    if "bw_bytes" in stats:
        return float(stats["bw_bytes"])
    return float(stats.get("bw", 0)) * 1024.0


def _steady(job: dict[str, Any], options: dict[str, str]) -> bool | None:
    state = job.get("steadystate")
    if options.get("steadystate") and isinstance(state, dict) and "attained" in state:
        return bool(state["attained"])
    return None


def _lenient(
    column: str, parse: Callable[[], T], job: dict[str, Any], notes: list[str]
) -> T | None:
    """parse(), or None and a note when the fio option behind `column` cannot be read."""
    try:
        return parse()
    except InputError as err:
        note = f"job {job.get('jobname')!r}: {column} unknown: {err}"
        if note not in notes:
            notes.append(note)
        return None


def _direction_row(
    job: dict[str, Any],
    options: dict[str, str],
    rw: str,
    direction: str,
    fio_version: str | None,
    notes: list[str],
) -> dict[str, Any]:
    stats = job.get(direction) or {}
    io_bytes = int(stats.get("io_bytes", 0))
    row: dict[str, Any] = {
        "rw": rw,
        "direction": direction,
        "bs": _lenient("bs", lambda: opt.block_size(options, direction), job, notes),
        "offset": _lenient("offset", lambda: opt.alignment_offset(options), job, notes),
        "iodepth": _lenient("iodepth", lambda: opt.integer(options, "iodepth", 1), job, notes),
        "numjobs": _lenient("numjobs", lambda: opt.integer(options, "numjobs", 1), job, notes),
        "runtime_s": float(stats.get("runtime", 0)) / 1000.0,
        "iops": float(stats.get("iops", 0.0)),
        "bw_bytes": _bandwidth(stats),
        "host_bytes_written": io_bytes if direction == "write" else 0,
        "io_bytes": io_bytes,
        "total_ios": int(stats.get("total_ios", 0)),
        "error": int(job.get("error", 0)),
        "rwmixread": _lenient("rwmixread", lambda: opt.read_mix(options, rw), job, notes),
        "ioengine": options.get("ioengine"),
        "fio_version": fio_version,
        "job_name": job.get("jobname"),
        "host": job.get("hostname"),
        "target": options.get("filename") or options.get("uri"),
        "steady": _steady(job, options),
    }
    row.update(completion_latency_us(stats))
    return row


def _apply_context(row: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    for key, value in context.items():
        if value is None:
            continue
        if key == "media_bytes_written":
            row[key] = value if row["direction"] == "write" else None
        elif key != "host" or row.get("host") is None:
            row[key] = value
    return row


def fio_records(
    doc: dict[str, Any], notes: list[str] | None = None, **context: Any
) -> list[dict[str, Any]]:
    """`cells_from_fio` as plain dicts (what `ingest_paths` collects across files).

    Options that cannot be parsed are left unknown; `notes` (when given) receives one line each.
    """
    notes = notes if notes is not None else []
    unknown = set(context) - CONTEXT_KEYS
    if unknown:
        raise InputError(f"unknown cell context {sorted(unknown)}; allowed: {sorted(CONTEXT_KEYS)}")
    fio_version = doc.get("fio version")
    global_options = doc.get("global options")
    records = []
    try:
        for job in _entries(doc):
            options = opt.merged_options(global_options, job)
            rw = opt.mode(options)
            directions = [d for d in ("read", "write", "trim") if _active(job.get(d))]
            for direction in directions or opt.directions_of(rw):
                row = _direction_row(job, options, rw, direction, fio_version, notes)
                records.append(_apply_context(row, context))
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise InputError(f"fio JSON has an unexpected shape: {type(err).__name__} {err}") from None
    return records


def cells_from_fio(doc: dict[str, Any], **context: Any) -> pd.DataFrame:
    """One row per job (or group_reporting group) and IO direction; columns in `CELL_FIELDS`."""
    return cells_frame(fio_records(doc, **context))
