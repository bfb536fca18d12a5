"""Workload files (TOML): parse, check, and load the built-in AI-cluster workloads.

    [[workload]]
    name = "metadata"              # unique
    description = "..."            # optional
    capacity = "20t"               # bytes stored (size syntax, binary multiples)
    queue_depth = 16               # outstanding IOs per drive (default 32)
    p99_latency = "2ms"            # target for every IO kind carrying >= 1% of IOs (optional)
    service_life_years = 5         # default 5
    splittable = true              # may be spread over several drive classes (default true)

    [workload.read]                # optional; same keys for [workload.write]
    rate = "800m"                  # bytes per second (size syntax), or iops = 200000
    io_sizes = { "4k" = 0.8, "16k" = 0.2 }   # share of IOs by size, sums to 1
    random = 1.0                   # share of IOs that are random (default 1.0)
    alignment = "4k"               # writes start on multiples of this (default 4 KiB)

    [workload.burst]               # optional: e.g. a checkpoint
    size = "2t"                    # bytes written per burst, on top of write.rate
    every = "30m"                  # period (seconds syntax)
    within = "5m"                  # must be written within this (default: every)

A burst takes its IO sizes from [workload.write]; that table may then omit the rate.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan import values
from nvmeprobe.recommend.model import Burst, IoSpec, Workload

BUILTIN_NAMES = ("checkpoint", "metadata", "embeddings", "training-read", "logs")
_WORKLOAD_KEYS = {
    "name",
    "description",
    "capacity",
    "queue_depth",
    "p99_latency",
    "service_life_years",
    "splittable",
    "read",
    "write",
    "burst",
}
_IO_KEYS = {"rate", "iops", "io_sizes", "random", "alignment"}
_BURST_KEYS = {"size", "every", "within"}


def parse_workloads(text: str, origin: str = "workloads") -> list[Workload]:
    """Workloads from TOML text; `origin` names the source in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{origin}: not valid TOML: {err}") from None
    tables = doc.get("workload")
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{origin}: no [[workload]] tables")
    workloads = [_workload(table, origin) for table in tables]
    names = [w.name for w in workloads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"{origin}: workload name(s) used twice: {', '.join(duplicates)}")
    return workloads


def load_workloads(path: str | Path) -> list[Workload]:
    """Workloads from a TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read workload file {path}: {err.strerror}") from None
    return parse_workloads(text, str(path))


def builtin_workloads(names: list[str] | None = None) -> list[Workload]:
    """The built-in AI-cluster workloads (all, or those named), in BUILTIN_NAMES order."""
    wanted = list(BUILTIN_NAMES) if names is None else list(names)
    unknown = [n for n in wanted if n not in BUILTIN_NAMES]
    if unknown:
        raise InputError(
            f"no built-in workload {unknown[0]!r} (built-in: {', '.join(BUILTIN_NAMES)})"
        )
    folder = resources.files("nvmeprobe.recommend") / "builtin"
    found = []
    for name in wanted:
        text = (folder / f"{name}.toml").read_text(encoding="utf-8")
        found.extend(parse_workloads(text, f"built-in {name}.toml"))
    return found


def _workload(table: Any, origin: str) -> Workload:
    """One [[workload]] table, checked."""
    if not isinstance(table, dict):
        raise InputError(f"{origin}: each [[workload]] must be a table")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{origin}: a workload has no name")
    where = f"{origin}: workload {name!r}"
    _only(table, _WORKLOAD_KEYS, where)
    if "capacity" not in table:
        raise InputError(f"{where}: capacity is required")
    burst = _burst(table["burst"], where) if "burst" in table else None
    read = _io(table["read"], f"{where} read", needs_rate=True) if "read" in table else None
    write = (
        _io(table["write"], f"{where} write", needs_rate=burst is None)
        if "write" in table
        else None
    )
    if burst and write is None:
        raise InputError(f"{where}: a burst needs [workload.write] for its IO sizes")
    if read is None and write is None:
        raise InputError(f"{where}: needs [workload.read] and/or [workload.write]")
    p99 = table.get("p99_latency")
    return Workload(
        name=name,
        capacity_bytes=values.size(table["capacity"], where, "capacity"),
        read=read,
        write=write,
        burst=burst,
        queue_depth=_depth(table.get("queue_depth", 32), f"{where} queue_depth"),
        p99_target_s=None
        if p99 is None
        else values.seconds(p99, where, "p99_latency", whole_ms=False),
        service_life_years=_positive(
            table.get("service_life_years", 5), f"{where} service_life_years"
        ),
        splittable=_bool(table.get("splittable", True), f"{where} splittable"),
        description=str(table.get("description", "")),
    )


def _io(table: Any, where: str, needs_rate: bool) -> IoSpec:
    """A [workload.read] or [workload.write] table."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: must be a table")
    _only(table, _IO_KEYS, where)
    if "io_sizes" not in table or not isinstance(table["io_sizes"], dict) or not table["io_sizes"]:
        raise InputError(f'{where}: io_sizes is required, e.g. {{ "4k" = 1.0 }}')
    given = sorted(
        (values.size(k, where, "io size"), _share(v, f"{where} io_sizes {k}"))
        for k, v in table["io_sizes"].items()
    )
    total = sum(share for _, share in given)
    if abs(total - 1) > 0.01:
        raise InputError(f"{where}: io_sizes shares sum to {total:g}, not 1")
    sizes = tuple((size, share / total) for size, share in given if share > 0)
    mean = sum(size * share for size, share in sizes)
    if "rate" in table and "iops" in table:
        raise InputError(f"{where}: give rate or iops, not both")
    if "iops" in table:
        rate = _positive(table["iops"], f"{where} iops") * mean
    elif "rate" in table:
        rate = float(values.size(table["rate"], where, "rate"))
    elif needs_rate:
        raise InputError(f"{where}: rate (bytes/s) or iops is required")
    else:
        rate = 0.0
    return IoSpec(
        rate_bytes=rate,
        io_sizes=sizes,
        random=_share(table.get("random", 1.0), f"{where} random"),
        alignment=values.size(table.get("alignment", 4096), where, "alignment"),
    )


def _burst(table: Any, where: str) -> Burst:
    """A [workload.burst] table."""
    if not isinstance(table, dict) or "size" not in table or "every" not in table:
        raise InputError(f"{where}: burst needs size and every")
    _only(table, _BURST_KEYS, f"{where} burst")
    every = values.seconds(table["every"], where, "burst every", whole_ms=False)
    within = values.seconds(table.get("within", every), where, "burst within", whole_ms=False)
    if within > every:
        raise InputError(f"{where}: burst within ({within:g} s) is longer than every ({every:g} s)")
    return Burst(
        size_bytes=values.size(table["size"], where, "burst size"), every_s=every, within_s=within
    )


def _only(table: dict, known: set[str], where: str) -> None:
    """Reject unknown keys (a typo must not silently drop a target)."""
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _positive(value: Any, where: str) -> float:
    """A positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputError(f"{where}: must be a positive number, got {value!r}")
    return float(value)


def _depth(value: Any, where: str) -> int:
    """A positive whole queue depth."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{where}: must be a positive whole number, got {value!r}")
    return value


def _share(value: Any, where: str) -> float:
    """A fraction in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"{where}: must be a fraction from 0 to 1, got {value!r}")
    return float(value)


def _bool(value: Any, where: str) -> bool:
    """A TOML boolean."""
    if not isinstance(value, bool):
        raise InputError(f"{where}: must be true or false, got {value!r}")
    return value
