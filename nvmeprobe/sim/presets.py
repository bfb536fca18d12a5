"""Built-in simulated drives, written in the spec syntax (`key=value`, times in modelled us).

Relative behaviour follows docs/field-notes.md section 8: the TLC drive has a
4 KiB IU and no SLC cache; the QLC drives have 16/64 KiB IUs, an SLC cache
4x faster per byte than their native rate, a native rate 4x slower per byte
than the TLC drive, and 1,000 rather than 3,000 P/E cycles. A partially
covered IU costs a read of that IU on top of its program (`rmw_us` =
`read_us`). Time scales put the shortest write service time at >= 1 ms of
real time, where fio's measurements through NBD are repeatable
(docs/field-notes.md section 6). Real-time rates at these scales:

| preset | IU | reported | SLC cache | in-cache write | native write | 4K random write |
|---|---|---|---|---|---|---|
| tlc-4k | 4 KiB | 4 KiB | none | - | 31.2 MiB/s | 8,000 IOPS |
| qlc-16k | 16 KiB | 16 KiB | 192 MiB | 31.2 MiB/s | 7.8 MiB/s | ~450 IOPS native |
| qlc-64k | 64 KiB | 64 KiB | 256 MiB | 31.2 MiB/s | 7.8 MiB/s | ~120 IOPS native |
| liar-16k | 16 KiB | 4 KiB | 192 MiB | 31.2 MiB/s | 7.8 MiB/s | ~450 IOPS native |

A cache fill at 128 KiB takes 6-8 s: fio prints no rates in its first ~2 s,
and the live drop detector needs a few in-cache status lines (250 ms each)
before the drop and a 1 s cell holds >= 100 requests
at the slowest point, so a full characterisation takes well under a minute.
Folding starts after 60 ms of modelled idle (0.48 s real), so the short gaps
between fio cells do not refill the cache, while a deliberate idle period does.

Real drives' confounders (docs/field-notes.md section 9), each off unless a
preset or spec sets it (`params.DriveParams` documents the keys, `model` and
`thermal` their semantics). Real time, with where `sim.stats()` shows the truth:

- consumer-qlc: a dynamic cache of 8 MiB + 25% of the free space (136 MiB
  empty, 72 MiB half full, 21 MiB 90% full) at 62.5 MiB/s: 2.2 s empty, 0.33 s
  90% full; once it is used up the next 24 MiB go at the folding rate,
  7.8 MiB/s (3.1 s), then native 15.6 MiB/s. Idle folds at 64 MiB/s after
  0.48 s: the pending folding first, then the cache back up to its size at
  the current fill. Truth: `truth.empty_cache_bytes`, `truth.folding_*`;
  state: `cache_limit_bytes`, `cache_remaining_bytes` (the next burst's
  in-cache bytes), `fold_pending_bytes`, `mapped_bytes`.
- fast-short: a 24 MiB cache at 62.5 MiB/s, used up in 0.38 s; native
  15.6 MiB/s; idle folds at 64 MiB/s after 0.48 s.
- hot-tlc: tlc-4k that heats: 40 C idle, 84 C at full load (time constant
  1.6 s); throttles at 77 C, after 2.9 s at full load (~92 MiB at 31.2 MiB/s),
  to 10.4 MiB/s (3x every cost) until it cools to 75 C; a load under 84% of
  full never throttles. Truth: `truth.heat`; state: `thermal` (temperature,
  throttle transitions in model time: real = clock_t0 + t x scale).
- hot-tlc-silent: hot-tlc with `report=none`: no SMART/OCP logs, no
  temperatures (as a foreign NBD export); the truth is still in `sim.stats()`.
"""

from __future__ import annotations

DEFAULTS: dict[str, str] = {
    "capacity": "1g",
    "lba": "4096",
    "iu": "4k",
    "slc": "0",
    "fold": "16m",
    "fold_delay_us": "60000",
    "slc_prog_us": "100",
    "prog_us": "250",
    "rmw_us": "60",
    "read_us": "60",
    "units": "8",
    "scale": "4",
    "noise": "0",
    "seed": "0",
    "eio_rate": "0",
    "pe": "3000",
}
"""Values for every parameter a spec does not give (a fast TLC-like drive)."""

_QLC_16K = {
    "capacity": "2g",
    "lba": "4096",
    "iu": "16k",
    "slc": "192m",
    "fold": "64m",
    "slc_prog_us": "250",
    "prog_us": "1000",
    "rmw_us": "100",
    "read_us": "100",
    "units": "4",
    "scale": "8",
    "pe": "1000",
}

_TLC_4K = {
    "capacity": "1g",
    "lba": "512",
    "iu": "4k",
    "slc": "0",
    "prog_us": "250",
    "rmw_us": "60",
    "read_us": "60",
    "units": "8",
    "scale": "4",
    "pe": "3000",
}

_HOT_TLC = {  # OCP's limits: throttle at 77 C, unthrottle below 75 C, critical 85 C
    **_TLC_4K,
    "heat": "44",
    "heat_tau_us": "400000",
    "ambient_c": "40",
    "throttle_c": "77",
    "throttle_hyst_c": "2",
    "throttle_x": "3",
    "wctemp_c": "77",
    "cctemp_c": "85",
}

PRESETS: dict[str, tuple[str, dict[str, str]]] = {
    "tlc-4k": ("TLC, 512 B LBAs, no SLC cache", _TLC_4K),
    "qlc-16k": ("QLC, native rate 4x below the cache", _QLC_16K),
    "qlc-64k": (
        "QLC, native rate 4x below the cache",
        {
            "capacity": "2g",
            "lba": "4096",
            "iu": "64k",
            "slc": "256m",
            "fold": "64m",
            "slc_prog_us": "1000",
            "prog_us": "4000",
            "rmw_us": "250",
            "read_us": "250",
            "units": "4",
            "scale": "8",
            "pe": "1000",
        },
    ),
    "liar-16k": ("qlc-16k reporting a 4 KiB IU", {**_QLC_16K, "report_iu": "4k"}),
    "consumer-qlc": (
        "QLC whose cache shrinks as it fills, folding after the cache",
        {
            "capacity": "512m",
            "lba": "4096",
            "iu": "16k",
            "slc": "8m",
            "slc_free": "0.25",
            "folding": "24m",
            "fold": "256m",
            "fold_delay_us": "120000",
            "slc_prog_us": "250",
            "fold_prog_us": "2000",
            "prog_us": "1000",
            "rmw_us": "100",
            "read_us": "100",
            "units": "4",
            "scale": "4",
            "pe": "1000",
        },
    ),
    "fast-short": (
        "TLC with a cache a full-speed write fills in 0.4 s",
        {
            "capacity": "1g",
            "lba": "4096",
            "iu": "4k",
            "slc": "24m",
            "fold": "256m",
            "fold_delay_us": "120000",
            "slc_prog_us": "125",
            "prog_us": "500",
            "rmw_us": "60",
            "read_us": "60",
            "units": "8",
            "scale": "4",
            "pe": "3000",
        },
    ),
    "hot-tlc": ("tlc-4k without a heatsink: throttles under sustained writes", _HOT_TLC),
    "hot-tlc-silent": (
        "hot-tlc reporting nothing (no logs, as a foreign NBD export)",
        {**_HOT_TLC, "report": "none"},
    ),
}
"""name -> (description, parameters over DEFAULTS)."""

IDEALISED = ("tlc-4k", "qlc-16k", "qlc-64k", "liar-16k")
"""The presets without real drives' confounders: one fixed cache, one native rate, no heat."""
