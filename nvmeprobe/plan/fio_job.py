"""Render one cell as fio's argument list, and as the same job in INI form.

One fio process per cell. `job_options` is the single source of the job's
options; `fio_args` and `job_file` only format it, so the command that runs
and the job file shown by `plan --show-fio` cannot differ.

Decisions:
- Sizes and offsets are written as plain bytes (no 'k' suffixes, so fio's
  kb_base can never change them); times as '30s' or '1500ms'.
- Alignment: IO lands in [offset, offset + size); fio places random IO at
  `offset` + k * `blockalign`, and `blockalign` is set to `bs` explicitly,
  so a cell with bs=16k, offset=4k issues every IO at 4 KiB + k x 16 KiB.
  (The region is a whole number of `bs`, so no IO is ever cut short.)
- Random IO gets `norandommap`: offsets are independent and uniform (as the
  SNIA PTS asks), fio keeps no bitmap (32 MiB per TiB at 4 KiB, per job,
  and a per-IO cost that caps IOPS on fast drives), and a time-based cell
  never changes behaviour when a bitmap pass completes. Coverage is the
  precondition's job (a sequential fill), not the random cells'.
  `random_generator=tausworthe64` keeps offsets uniform beyond 2^32 blocks.
- `randrepeat=0`: every cell and every round draws a fresh sequence, so
  rounds are independent samples and no cell replays another's LBAs.
- Sequential cells with numjobs > 1 split the region (`offset_increment`)
  so jobs never write the same LBAs; random jobs share the whole region.
  `io_size` is per job in fio: the cell's `size_bytes` is divided by numjobs.
- Engine and file: the target's own (nvmeprobe/targets): io_uring for block
  devices and files by default (pass engine='libaio' where io_uring is
  unavailable); `ioengine=nbd` with `uri=` for NBD targets. A 'sim' target
  must be replaced by the NBD target the runner started.
- Defence in depth: every option name must be a known fio option name
  pattern, extra options must be on `EXTRA_ALLOWED`, and no value may hold
  control characters (a newline would start a new option in a job file,
  e.g. `exec_prerun`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan.model import Cell
from nvmeprobe.targets import Target

EXTRA_ALLOWED = frozenset(
    {
        "random_distribution",
        "rate",
        "rate_iops",
        "rate_process",
        "thinktime",
        "thinktime_blocks",
        "thinktime_spin",
        "buffer_compress_percentage",
        "buffer_compress_chunk",
        "dedupe_percentage",
        "refill_buffers",
        "scramble_buffers",
        "zero_buffers",
        "fsync",
        "fdatasync",
        "percentile_list",
        "iodepth_batch_submit",
        "iodepth_batch_complete_min",
        "iodepth_low",
        "hipri",
        "fixedbufs",
        "registerfiles",
        "sqthread_poll",
        "cpus_allowed",
        "cpus_allowed_policy",
        "trim_backlog",
    }
)
_EXTRA_VALUE_RE = re.compile(r"^[A-Za-z0-9_.:%,/+-]{1,200}$")
_OPTION_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

Option = tuple[str, str | None]


def check_extra_option(name: Any, value: Any, where: str) -> str:
    """Validate one extra fio option from a plan; returns its value as text."""
    if name not in EXTRA_ALLOWED:
        raise InputError(
            f"{where}: fio option {name!r} is not allowed "
            f"(allowed: {', '.join(sorted(EXTRA_ALLOWED))})"
        )
    text = str(int(value)) if isinstance(value, bool) else str(value)
    if not isinstance(value, (str, int, float)) or not _EXTRA_VALUE_RE.match(text):
        raise InputError(
            f"{where}: fio option {name} = {value!r} must be a plain value"
            f" (letters, digits and _.:%,/+- only)"
        )
    return text


def fio_time(seconds: float) -> str:
    """'30s' for whole seconds, else '1500ms'."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def _check(option: Option, cell_id: str) -> Option:
    name, value = option
    if not _OPTION_RE.match(name):
        raise InputError(f"cell {cell_id}: refusing fio option name {name!r}")
    if value is not None and (not value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)):
        raise InputError(
            f"cell {cell_id}: refusing fio option {name} with an empty value or control characters"
        )
    return option


def job_options(
    cell: Cell, target: Target, log_prefix: Path | None = None, engine: str | None = None
) -> list[Option]:
    """The cell's fio options in order, as (name, value or None for flags)."""
    if not _NAME_RE.match(cell.id) or not _NAME_RE.match(cell.stage):
        raise InputError(
            f"refusing cell id {cell.id!r} / stage {cell.stage!r}: "
            "only letters, digits and _.- allowed"
        )
    if cell.kind == "idle":
        raise InputError(f"cell {cell.id} is an idle period: it runs no fio")
    rw, bs, numjobs, region = cell.rw, cell.bs, cell.numjobs, cell.region_bytes
    if rw is None or bs is None or numjobs is None or region is None:
        raise InputError(f"cell {cell.id} gives no rw, bs, numjobs or region: it cannot run")
    options: list[Option] = [("ioengine", target.fio_engine(engine)), target.fio_file()]
    options += [("direct", "1"), ("rw", rw), ("bs", str(bs))]
    if cell.rwmixread is not None:
        options.append(("rwmixread", str(cell.rwmixread)))
    options += [("iodepth", str(cell.iodepth)), ("numjobs", str(numjobs))]
    random = rw.startswith("rand")
    split = not random and numjobs > 1
    job_region = region // numjobs // bs * bs if split else region
    options += [("offset", str(cell.offset)), ("size", str(job_region))]
    if split:
        options.append(("offset_increment", str(job_region)))
    if random:
        options += [
            ("blockalign", str(bs)),
            ("norandommap", None),
            ("random_generator", "tausworthe64"),
        ]
    options.append(("randrepeat", "0"))
    if cell.runtime_s is not None:  # time-based
        options += [("time_based", None), ("runtime", fio_time(cell.runtime_s))]
        if cell.ramp_s:
            options.append(("ramp_time", fio_time(cell.ramp_s)))
    elif cell.size_bytes is not None:
        options.append(("io_size", str(cell.size_bytes // numjobs // bs * bs)))
    else:
        raise InputError(f"cell {cell.id} has neither a runtime nor a size")
    if cell.logs:
        if log_prefix is None:
            raise InputError(f"cell {cell.id} records logs: give a log prefix")
        options += [
            ("write_bw_log", str(log_prefix)),
            ("write_iops_log", str(log_prefix)),
            ("write_lat_log", str(log_prefix)),
            ("log_avg_msec", str(cell.log_avg_msec)),
        ]
    for name, value in cell.extra:
        if name not in EXTRA_ALLOWED:
            raise InputError(f"cell {cell.id}: fio option {name!r} is not allowed")
        options.append((name, value))
    options.append(("group_reporting", None))
    return [_check(option, cell.id) for option in options]


def fio_args(
    cell: Cell,
    target: Target,
    output_json: Path,
    log_prefix: Path | None = None,
    engine: str | None = None,
) -> list[str]:
    """The argument list for `fio` running this one cell, JSON+ into `output_json`."""
    options = job_options(cell, target, log_prefix, engine)
    _check(("output", str(output_json)), cell.id)
    args = ["--output-format=json+", f"--output={output_json}", f"--name={cell.id}"]
    args += [f"--{name}" if value is None else f"--{name}={value}" for name, value in options]
    return args


def job_file(
    cell: Cell, target: Target, log_prefix: Path | None = None, engine: str | None = None
) -> str:
    """The same job as an INI job file (run: fio --output-format=json+ --output=FILE JOBFILE)."""
    options = job_options(cell, target, log_prefix, engine)
    lines = [f"; nvmeprobe cell {cell.id} (stage {cell.stage})", f"[{cell.id}]"]
    lines += [name if value is None else f"{name}={value}" for name, value in options]
    return "\n".join(lines) + "\n"
