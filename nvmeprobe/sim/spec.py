"""Parse a simulated-drive spec (the text after `sim:`) into `DriveParams`.

Syntax: a preset name (`qlc-16k`), or comma-separated `key=value` pairs
(`iu=16k,slc=64m`), optionally starting from a preset whose parameters they
override (`qlc-16k,slc=32m`, or `preset=qlc-16k,slc=32m`).
Parameters not given come from the preset, else from `presets.DEFAULTS`.
`report_iu` follows `iu` unless given (`report_iu=0`: the drive reports none);
`store` defaults to the capacity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.presets import DEFAULTS, PRESETS
from nvmeprobe.units import parse_size


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _integer(text: str) -> int:
    return int(text, 10)


def _micros(text: str) -> float:
    return _number(text) / 1e6


def _lba_range(text: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    if not sep:
        raise ValueError(text)
    return int(first, 10), int(last, 10)


# spec key -> (DriveParams field, parser, help)
KEYS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "capacity": ("capacity", parse_size, "drive size (e.g. 2g)"),
    "lba": ("lba", parse_size, "logical block size (512 or 4096)"),
    "iu": ("iu", parse_size, "true indirection unit"),
    "report_iu": ("reported_iu", parse_size, "IU the drive reports (default: iu; 0: none)"),
    "slc": ("slc_bytes", parse_size, "SLC cache size (0: none)"),
    "fold": ("fold_rate", parse_size, "cache bytes recovered per modelled idle second"),
    "fold_delay_us": ("fold_delay", _micros, "modelled idle time before folding starts"),
    "slc_prog_us": ("slc_program_time", _micros, "program time per IU into the cache"),
    "prog_us": ("program_time", _micros, "program time per IU at the native rate"),
    "rmw_us": ("rmw_time", _micros, "extra time per partially covered IU"),
    "read_us": ("read_time", _micros, "read time per IU"),
    "units": ("units", _integer, "parallel units (IU operations in service at once)"),
    "scale": ("time_scale", _number, "real seconds per modelled second"),
    "noise": ("noise", _number, "sigma of a mean-1 log-normal factor per IU operation"),
    "seed": ("seed", _integer, "seed of noise and eio_rate"),
    "eio_rate": ("eio_rate", _number, "probability of EIO per read or write"),
    "eio_lba": ("eio_lbas", _lba_range, "inclusive LBA range that fails with EIO (FIRST-LAST)"),
    "hang_lba": (
        "hang_lbas",
        _lba_range,
        "inclusive LBA range never answered: a hung drive (FIRST-LAST)",
    ),
    "store": ("store_bytes", parse_size, "memory bound for written data (default: capacity)"),
    "pe": ("pe_cycles", _integer, "rated program/erase cycles"),
    "heat": ("heat_rise", _number, "degrees C above ambient with all units busy (0: no heat)"),
    "heat_tau_us": ("heat_tau", _micros, "thermal time constant"),
    "ambient_c": ("ambient_c", _number, "temperature of the idle drive"),
    "throttle_c": ("throttle_c", _number, "throttling starts at this temperature"),
    "throttle_hyst_c": ("throttle_hyst_c", _number, "throttling ends this much below throttle_c"),
    "throttle_x": ("throttle_factor", _number, "cost multiplier of every operation, throttled"),
    "wctemp_c": ("wctemp_c", _number, "warning temperature threshold (Identify wctemp)"),
    "cctemp_c": ("cctemp_c", _number, "critical temperature threshold (Identify cctemp)"),
    "slc_free": ("slc_free_share", _number, "share of free space run as cache, on top of slc"),
    "folding": ("folding_bytes", parse_size, "bytes at the folding rate once the cache is used up"),
    "fold_prog_us": ("fold_program_time", _micros, "program time per IU while folding"),
    "refresh_us": ("refresh", _micros, "counters in the logs refresh this often (0: live)"),
    "report": ("report", str, "all, or none: no SMART/OCP logs or temperatures (a foreign export)"),
}


def parse_spec(spec: str) -> DriveParams:
    """DriveParams from 'qlc-16k', 'qlc-16k,slc=32m', 'iu=16k,...' or 'preset=qlc-16k,...'."""
    spec = spec.strip()
    if spec.startswith("sim:"):
        spec = spec[4:]
    if not spec:
        raise InputError("empty sim spec: use a preset name or key=value pairs")
    items = [item.strip() for item in spec.split(",")]
    given: dict[str, str] = {}
    if "=" not in items[0]:  # PRESET,key=value,...
        given["preset"] = items.pop(0)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InputError(f"invalid sim parameter {item!r}: use key=value")
        if key in given:
            raise InputError(f"sim parameter {key} given twice")
        if key != "preset" and key not in KEYS:
            raise InputError(f"unknown sim parameter {key!r} (known: preset, {', '.join(KEYS)})")
        given[key] = value
    preset = given.pop("preset", None)
    return _build(_preset(preset) if preset else None, given)


def _preset(name: str) -> str:
    if name not in PRESETS:
        raise InputError(f"unknown sim preset {name!r} (known: {', '.join(PRESETS)})")
    return name


def _build(preset: str | None, given: dict[str, str]) -> DriveParams:
    text = {**DEFAULTS, **(PRESETS[preset][1] if preset else {}), **given}
    values: dict[str, Any] = {"preset": preset, "eio_lbas": None}
    for key, raw in text.items():
        field, parse, _ = KEYS[key]
        try:
            values[field] = parse(raw)
        except (ValueError, InputError):
            raise InputError(f"invalid sim parameter {key}={raw!r}: not a valid value") from None
    values.setdefault("reported_iu", values["iu"])
    if values["reported_iu"] == 0:
        values["reported_iu"] = None
    values.setdefault("store_bytes", values["capacity"])
    return DriveParams(**values)


def preset_spec(name: str) -> str:
    """The preset's own parameters in spec syntax: 'capacity=2g,lba=4096,...'."""
    return ",".join(f"{k}={v}" for k, v in PRESETS[_preset(name)][1].items())
