"""Synthetic drives and series with known answers, to validate and benchmark the analyses.

Deliberately independent of the inference code: write costs come from
simulating random request starts one by one (as the simulated drive's model
does), not from the closed forms the analyses use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

KIB = 1024
MIB = 1024 * KIB
REQUESTS_PER_POINT = 512


@dataclass(frozen=True)
class CostDrive:
    """A drive whose write throughput follows an IU cost model.

    Per write: IUs touched x program_s + partially covered IUs x rmw_s of unit
    time, spread over `units` parallel units, plus `per_io_s` of host overhead;
    bandwidth is multiplied by a uniform factor in [1 - noise, 1 + noise].
    """

    iu: int
    lba: int
    program_s: float
    rmw_s: float
    per_io_s: float = 0.0
    units: int = 4
    noise: float = 0.1

    def bw(self, bs: int, offset: int, rng: np.random.Generator) -> float:
        """Measured bytes/s of random writes of `bs` starting at offset + k*bs."""
        starts = offset + bs * rng.integers(0, 1 << 20, REQUESTS_PER_POINT)
        ends = starts + bs
        first, last = starts // self.iu, (ends - 1) // self.iu
        touched = last - first + 1
        partial = (starts % self.iu != 0).astype(int) + (ends % self.iu != 0).astype(int)
        partial = np.where(touched == 1, np.minimum(partial, 1), partial)
        unit_time = touched * self.program_s + partial * self.rmw_s
        per_io = self.per_io_s + unit_time.mean() / self.units
        return bs / per_io * rng.uniform(1 - self.noise, 1 + self.noise)


def random_drive(
    rng: np.random.Generator, *, ideal: bool = False, iops_bound: bool = False, noise: float = 0.1
) -> CostDrive:
    """A drive with IU drawn from 4 KiB..128 KiB (or an ideal one: IU = LBA, no RMW)."""
    lba = int(rng.choice([512, 4096]))
    program = float(rng.uniform(50e-6, 500e-6))
    if ideal:
        per_io = program * float(rng.uniform(2, 20)) if iops_bound else 0.0
        return CostDrive(lba, lba, program * lba / 4096, 0.0, per_io, noise=noise)
    iu = int(2 ** rng.integers(12, 18))
    return CostDrive(iu, lba, program, program * float(rng.uniform(0.2, 1.5)), noise=noise)


def full_sweep(lba: int, max_bs: int = MIB) -> list[tuple[int, int]]:
    """(bs, offset) of the full sweep: powers of two from the LBA size to `max_bs`,
    offsets 0, the LBA size, 4 KiB and bs/2 (those inside the write)."""
    points = []
    bs = lba
    while bs <= max_bs:
        offsets = sorted({0} | {o for o in (lba, 4 * KIB, bs // 2) if 0 < o < bs and o % lba == 0})
        points += [(bs, o) for o in offsets]
        bs *= 2
    return points


def sweep_cells(
    drive: CostDrive,
    rng: np.random.Generator,
    iodepth: int = 8,
    points: list[tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """A cells table (contract columns) of random writes over `points` (default: full sweep)."""
    rows = []
    for i, (bs, offset) in enumerate(points or full_sweep(drive.lba)):
        bw = drive.bw(bs, offset, rng)
        rows.append(
            {
                "cell": f"c{i:04d}",
                "stage": "iu",
                "round": None,
                "rw": "randwrite",
                "direction": "write",
                "bs": bs,
                "offset": offset,
                "iodepth": iodepth,
                "numjobs": 1,
                "iops": bw / bs,
                "bw_bytes": bw,
                "lat_mean_us": iodepth * bs / bw * 1e6,
                "lat_p50_us": iodepth * bs / bw * 1e6,
                "lat_p99_us": 2 * iodepth * bs / bw * 1e6,
                "lat_p99_9_us": 3 * iodepth * bs / bw * 1e6,
                "lat_p99_99_us": 4 * iodepth * bs / bw * 1e6,
                "host_bytes_written": None,
                "media_bytes_written": None,
            }
        )
    return pd.DataFrame(rows)


def slc_series(
    rng: np.random.Generator,
    cache_bytes: float,
    in_bw: float,
    post_bw: float,
    total_bytes: float,
    dt: float = 1.0,
    noise: float = 0.1,
    ramp_samples: int = 3,
) -> pd.DataFrame:
    """A bandwidth log: `in_bw` until `cache_bytes` are written, then `post_bw`.

    The first `ramp_samples` samples ramp up from 30% of the in-cache rate; every
    sample is multiplied by a uniform factor in [1 - noise, 1 + noise]. The sample
    straddling the cache edge carries the exact mix of both rates.
    """
    t, written = 0.0, 0.0
    rows: list[tuple[float, float, float]] = []
    while written < total_bytes:
        t += dt
        in_time = 0.0 if written >= cache_bytes else min(dt, (cache_bytes - written) / in_bw)
        true = (in_time * in_bw + (dt - in_time) * post_bw) / dt
        if len(rows) < ramp_samples:
            true *= 0.3 + 0.7 * len(rows) / ramp_samples
        bw = true * rng.uniform(1 - noise, 1 + noise)
        written += bw * dt
        rows.append((t, bw, written))
    return pd.DataFrame(rows, columns=["t_s", "bw_bytes", "bytes_written"])


@dataclass(frozen=True)
class HotDrive:
    """A drive that heats as it writes (docs/field-notes.md section 9), optionally cached.

    First-order heat: the temperature relaxes with time constant `tau_s`
    towards `ambient_c` + `rise_c` x the share of full bandwidth written; at
    `limit_c` the drive throttles to 1/`throttle_factor` of its rate until it
    has cooled `hysteresis_c` below the limit. The cache (if any) holds
    `cache_bytes` written at `full_bw`, then `post_bw`.
    """

    full_bw: float
    ambient_c: float
    rise_c: float
    tau_s: float
    limit_c: float
    hysteresis_c: float = 2.0
    throttle_factor: float = 3.0
    cache_bytes: float = 0.0
    post_bw: float | None = None

    def burst(
        self,
        rng: np.random.Generator,
        total_bytes: float,
        rate: float | None = None,
        dt: float = 0.05,
        noise: float = 0.05,
        temp_every_s: float = 1.0,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(bw series, temperature samples) of one burst from ambient, held to `rate` if given.

        The series also carries `lat_us`: each sample's IO latency, taken as
        the time the drive needs per MB at its current capability (the
        service time a rate-limited writer still sees grow at a cache edge).
        """
        t, written, temp, throttled = 0.0, 0.0, self.ambient_c, False
        rows, temps, next_temp = [], [], 0.0
        while written < total_bytes:
            drive_bw = (
                self.full_bw if written < self.cache_bytes else (self.post_bw or self.full_bw)
            )
            if throttled:
                drive_bw /= self.throttle_factor
            bw = min(drive_bw, rate) if rate else drive_bw
            temp += (self.ambient_c + self.rise_c * bw / self.full_bw - temp) * dt / self.tau_s
            throttled = temp >= self.limit_c or (
                throttled and temp > self.limit_c - self.hysteresis_c
            )
            t += dt
            sample = bw * rng.uniform(1 - noise, 1 + noise)
            written += sample * dt
            rows.append((t, sample, written, 1e12 / drive_bw))
            if t >= next_temp:
                temps.append((t, round(temp)))
                next_temp += temp_every_s
        return (
            pd.DataFrame(rows, columns=["t_s", "bw_bytes", "bytes_written", "lat_us"]),
            pd.DataFrame(temps, columns=["t_s", "temperature_c"]),
        )
