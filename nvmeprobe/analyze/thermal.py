"""Thermal throttling told apart from SLC-cache exhaustion (docs/field-notes.md section 9).

A sustained write whose bandwidth drops looks the same in bandwidth against
bytes written whether an SLC cache ran out or the drive got hot and
throttled. The difference is physical: a cache runs out after a fixed
number of *bytes*, whatever the rate; heat builds with *power* over *time*,
so a slower writer throttles later in bytes, or never. `thermal_finding`
decides which, from the strongest evidence the target gives, in order:

1. Temperature against the drive's limit (where it reports both): the
   composite temperature sampled during the burst (about once a second) at
   or within `LIMIT_MARGIN_C` of `wctemp` when the drop happens (within
   `WINDOW_S`) is throttling; a drop with the drive clearly below its
   limit is not. Temperature is the signal every NVMe drive gives.
2. Throttling counters that moved during the burst (SMART thermal-management
   transitions or time, warning-temperature time, OCP throttling events or
   status): throttling. Counters that did not move prove nothing (the SMART
   transition counters move only under host-controlled thermal management).
3. A confirmation burst at a clearly lower rate (fio `rate=`, run by the
   plan only after a drop was seen): a drop after the same bytes as the
   full-rate burst before it (within `SAME_BYTES`, or earlier: a dynamic
   cache shrinks as the drive fills) is a cache; no drop by `LATER_BYTES` x
   those bytes, or a drop that late, is heat. Anything else is reported as
   inconclusive (`detected` None), never guessed. The drop is looked for in
   the IO latency (its inverse against bytes written), not the bandwidth:
   held to a rate below the drive's post-cache rate, a writer sees no fall
   in bandwidth at a cache edge, but every IO takes longer.

Without any of these the finding says the drop was not told apart
(`detected` None); `findings.analyze_all` then reports no SLC cache either.
Known limit of (3): a drive that runs far past its limit heats almost
linearly, and then reaches it after nearly the same bytes at any rate; the
temperature (1) is the only clean signal there.

`onset_s` / `onset_bytes` are seconds and bytes into the burst where the
throttling began (the drop's edge); `rate_before` / `rate_after` the
throughput (bytes over time) on each side, so `rate_after` is what a
throttling drive sustains, throttling on and off included; `temperature_c`
the temperature at the onset (or, without a thermal drop, the highest
sampled), None where not reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nvmeprobe.analyze.slc import bin_by_bytes, detect_drop
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "thermal/1"
LIMIT_MARGIN_C = 3.0
WINDOW_S = 2.0
SAME_BYTES = 0.15
LATER_BYTES = 1.2


@dataclass(frozen=True)
class Burst:
    """One sustained-write cell as the thermal analysis needs it.

    `series`: t_s, bw_bytes, bytes_written (from the cell's start);
    `temps`: t_s, temperature_c sampled during it (None: not reported);
    `throttling`: whether the drive's throttling counters moved around it
    (`discover.thermal_log.throttling_moved`; None: not reported);
    `rate_limit`: the bytes/s it was held to (a confirmation burst), None at
    full rate; `latency`: t_s, lat_us (the IO latency log), None if not kept.
    """

    cell: str
    series: pd.DataFrame
    temps: pd.DataFrame | None = None
    throttling: bool | None = None
    rate_limit: float | None = None
    latency: pd.DataFrame | None = None

    def service_series(self) -> pd.DataFrame:
        """1/latency against bytes written (as t_s, bw_bytes, bytes_written), else the bw log."""
        if self.latency is None or self.latency.empty or self.series.empty:
            return self.series
        frame = self.series.sort_values("t_s", kind="stable")
        lat = self.latency[self.latency["lat_us"] > 0].sort_values("t_s", kind="stable")
        written = np.interp(lat["t_s"], frame["t_s"], frame["bytes_written"])
        return pd.DataFrame(
            {
                "t_s": lat["t_s"].to_numpy(),
                "bw_bytes": 1e6 / lat["lat_us"],
                "bytes_written": np.maximum.accumulate(written),
            }
        )


@dataclass(frozen=True)
class ThermalResult:
    """The `thermal` finding of `analyze --json`."""

    detected: bool | None
    method: str
    onset_s: float | None = None
    onset_bytes: int | None = None
    rate_before: float | None = None
    rate_after: float | None = None
    temperature_c: float | None = None
    drop_is_thermal: bool | None = None  # for the slc finding: the cache-like drop is heat
    evidence: dict = field(default_factory=dict)
    method_version: str = METHOD_VERSION

    def to_dict(self) -> dict:
        """The contract keys plus `evidence` and `method_version`."""
        return jsonable(
            {
                "detected": self.detected,
                "onset_s": self.onset_s,
                "onset_bytes": self.onset_bytes,
                "rate_before": self.rate_before,
                "rate_after": self.rate_after,
                "temperature_c": self.temperature_c,
                "method": self.method,
                "evidence": self.evidence,
                "method_version": self.method_version,
            }
        )


def not_measured(reason: str) -> ThermalResult:
    """The finding of a run without a sustained write."""
    return ThermalResult(None, f"not measured: {reason}")


def find_drop(burst: Burst, service: bool = False) -> dict:
    """`slc.detect_drop` on one burst (its bandwidth, or with `service` its inverse
    latency), plus the time of the drop's edge (`t_s`)."""
    frame = burst.service_series() if service else burst.series
    found = detect_drop(*bin_by_bytes(frame, throughput=not service))
    if found["detected"]:
        frame = frame.sort_values("t_s", kind="stable")
        found["t_s"] = float(np.interp(found["cache_bytes"], frame["bytes_written"], frame["t_s"]))
    return found


def _peak(bursts: list[Burst]) -> float | None:
    temps = [
        b.temps["temperature_c"].max() for b in bursts if b.temps is not None and not b.temps.empty
    ]
    return float(max(temps)) if temps else None


def _temperature_onset(burst: Burst, limit_c: float) -> float | None:
    """Seconds into the burst when the temperature first came within the margin of the limit."""
    if burst.temps is None or burst.temps.empty:
        return None
    hot = burst.temps[burst.temps["temperature_c"] >= limit_c - LIMIT_MARGIN_C]
    return float(hot["t_s"].min()) if not hot.empty else None


def _temperature_near(burst: Burst, t_s: float) -> float | None:
    if burst.temps is None or burst.temps.empty:
        return None
    near = burst.temps[(burst.temps["t_s"] - t_s).abs() <= WINDOW_S]
    return float(near["temperature_c"].max()) if not near.empty else None


def _rates(burst: Burst, t_s: float) -> tuple[float | None, float | None]:
    """Throughput (bytes over time) before and after `t_s`: a throttled drive's sustained rate."""
    frame = burst.series.sort_values("t_s", kind="stable")
    t = np.r_[0.0, frame["t_s"].to_numpy()]
    written = np.r_[0.0, frame["bytes_written"].to_numpy()]
    at = float(np.interp(t_s, t, written))
    before = at / t_s if t_s > 0 else None
    after = (written[-1] - at) / (t[-1] - t_s) if t[-1] > t_s else None
    return before, after


def _thermal(drop: dict, burst: Burst, method: str, evidence: dict) -> ThermalResult:
    before, after = _rates(burst, drop["t_s"])
    return ThermalResult(
        True,
        method,
        drop["t_s"],
        drop["cache_bytes"],
        before,
        after,
        _temperature_near(burst, drop["t_s"]),
        True,
        evidence,
    )


def _later_onset(
    burst: Burst,
    onset: float,
    limit_c: float,
    evidence: dict,
    what: str = "at its limit after the drop",
) -> ThermalResult:
    """Throttling that is not the drop (it came later, or made none): its own onset and rates."""
    frame = burst.series.sort_values("t_s", kind="stable")
    before, after = _rates(burst, onset)
    return ThermalResult(
        True,
        f"temperature: {what} ({limit_c:g} C)",
        onset,
        int(np.interp(onset, frame["t_s"], frame["bytes_written"])),
        before,
        after,
        _temperature_near(burst, onset),
        False,
        evidence,
    )


def thermal_finding(bursts: list[Burst], limit_c: float | None) -> ThermalResult:
    """The thermal finding of a run's sustained writes (the first one full rate); see above."""
    if not bursts:
        return not_measured("no sustained write")
    first = bursts[0]
    drop = find_drop(first)
    peak = _peak(bursts)
    evidence: dict = {
        "limit_c": limit_c,
        "peak_temperature_c": peak,
        "drop_bytes": drop["cache_bytes"],
        "drop_t_s": drop.get("t_s"),
    }
    moved = first.throttling
    evidence["counters_moved"] = moved
    if not drop["detected"]:
        onset = _temperature_onset(first, limit_c) if limit_c is not None else None
        if onset is not None and limit_c is not None:  # at its limit, yet less than a 20% fall
            return _later_onset(
                first, onset, limit_c, evidence, "at its limit, no bandwidth drop of 20% or more"
            )
        if moved:
            return ThermalResult(
                True,
                "counters: throttling reported, no bandwidth drop seen",
                temperature_c=peak,
                drop_is_thermal=False,
                evidence=evidence,
            )
        why = (
            "no bandwidth drop in the sustained write"
            if drop["detected"] is False
            else "too few samples to find a drop"
        )
        return ThermalResult(
            False if drop["detected"] is False else None,
            why,
            temperature_c=peak,
            drop_is_thermal=False,
            evidence=evidence,
        )
    if limit_c is not None and first.temps is not None and not first.temps.empty:
        onset = _temperature_onset(first, limit_c)
        evidence["temperature_onset_s"] = onset
        if onset is not None and onset <= drop["t_s"] + WINDOW_S:
            return _thermal(
                drop, first, f"temperature: at its limit ({limit_c:g} C) at the drop", evidence
            )
        if onset is not None:  # the drop was a cache; the drive throttled later
            return _later_onset(first, onset, limit_c, evidence)
        if not moved:
            return ThermalResult(
                False,
                f"temperature: below its limit ({limit_c:g} C) at the drop",
                temperature_c=peak,
                drop_is_thermal=False,
                evidence=evidence,
            )
    if moved:
        return _thermal(drop, first, "counters: throttling reported during the burst", evidence)
    confirm = next((b for b in bursts[1:] if b.rate_limit), None)
    if confirm is None:
        return ThermalResult(
            None,
            "undecided: the target reports no temperature limit and no"
            " lower-rate confirmation burst ran",
            temperature_c=peak,
            drop_is_thermal=None,
            evidence=evidence,
        )
    return _by_confirmation(bursts, confirm, drop, peak, evidence)


def _by_confirmation(
    bursts: list[Burst], confirm: Burst, drop: dict, peak: float | None, evidence: dict
) -> ThermalResult:
    """Decide by the lower-rate burst: same bytes -> cache; later or never -> heat."""
    before = bursts[: bursts.index(confirm)]
    reference = drop
    for burst in before[1:]:  # the full-rate burst right before it (same idle before both)
        if not burst.rate_limit:
            found = find_drop(burst)
            if found["detected"]:
                reference = found
    ref_bytes = reference["cache_bytes"]
    seen = find_drop(confirm, service=True)
    written = float(confirm.series["bytes_written"].max()) if not confirm.series.empty else 0.0
    evidence["confirmation"] = {
        "cell": confirm.cell,
        "rate_limit": confirm.rate_limit,
        "reference_bytes": ref_bytes,
        "written_bytes": written,
        "drop_bytes": seen["cache_bytes"],
    }
    rate = (
        f"{confirm.rate_limit / drop['in_cache_bw']:.0%} of the rate"
        if drop["in_cache_bw"]
        else "a lower rate"
    )
    if seen["detected"]:
        ratio = seen["cache_bytes"] / ref_bytes
        evidence["confirmation"]["bytes_ratio"] = ratio
        if ratio <= 1 + SAME_BYTES and ratio >= 0.5:
            return ThermalResult(
                False,
                f"confirmation: at {rate} the drop came after the same"
                f" bytes ({ratio:.2f}x): a cache",
                temperature_c=peak,
                drop_is_thermal=False,
                evidence=evidence,
            )
        if ratio >= LATER_BYTES:
            return _thermal(
                drop,
                bursts[0],
                f"confirmation: at {rate} the drop came {ratio:.2f}x later in bytes: heat",
                evidence,
            )
        return ThermalResult(
            None,
            f"confirmation inconclusive: at {rate} the drop came after {ratio:.2f}x the bytes",
            temperature_c=peak,
            drop_is_thermal=None,
            evidence=evidence,
        )
    if written >= LATER_BYTES * ref_bytes and seen["detected"] is False:
        return _thermal(
            drop,
            bursts[0],
            f"confirmation: no drop at {rate} within {written / ref_bytes:.2f}x the bytes: heat",
            evidence,
        )
    return ThermalResult(
        None,
        f"confirmation inconclusive: the burst at {rate} wrote"
        f" {written / ref_bytes:.2f}x the bytes without a clear drop",
        temperature_c=peak,
        drop_is_thermal=None,
        evidence=evidence,
    )
