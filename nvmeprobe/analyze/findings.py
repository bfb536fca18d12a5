"""`analyze_all`: every finding of `analyze --json` from tidy tables.

Missing inputs degrade, never fail: no random-write cells -> `iu` with
`inferred_bytes` None; no bandwidth series -> `slc.detected` None (not
measured; a flat series measured gives False); no media counters -> `waf`
`measured` None; no rounds -> `steady_state.measured` False.

Series keys: "slc" (the sustained-write log; if it holds two bursts with
idle time between them, the second is the recovery burst) and optionally
"slc_recovery" (the second burst as its own log).

`thermal` (analyze/thermal.py) is judged from `bursts` (every sustained
write with its temperature samples and throttling counters) and the drive's
temperature limit; without `bursts`, from the "slc" series alone. A drop
that is heat, or not told apart from heat, is no SLC cache: `slc.detected`
is then False (thermal) or None (undecided), with the reason in its evidence.
"""

from __future__ import annotations

import pandas as pd

from nvmeprobe.analyze import iu, qos, slc, steady, thermal, waf
from nvmeprobe.analyze.iu_counter import counter_check
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "analyze/1"


def analyze_all(
    cells: pd.DataFrame,
    series: dict[str, pd.DataFrame] | None = None,
    reported_iu: int | None = None,
    lba: int | None = None,
    bursts: list[thermal.Burst] | None = None,
    limit_c: float | None = None,
) -> dict:
    """The `analyze --json` object: iu, slc, thermal, waf, steady_state, qos (+ method_version)."""
    series = series or {}
    if "slc" in series:
        slc_result = slc.slc_cache(series["slc"], series.get("slc_recovery"))
        heat = thermal.thermal_finding(bursts or [thermal.Burst("slc", series["slc"])], limit_c)
        slc_result = _without_heat(slc_result, heat)
    else:
        slc_result = slc.not_measured("no bandwidth series recorded")
        heat = thermal.not_measured("no bandwidth series recorded")
    iu_found = iu.analyze_iu(cells, reported_iu, lba).to_dict()
    iu_found["counter_check"] = counter_check(cells, iu_found["inferred_bytes"], reported_iu, lba)
    return jsonable(
        {
            "iu": iu_found,
            "slc": slc_result.to_dict(),
            "thermal": heat.to_dict(),
            "waf": waf.waf(cells).to_dict(),
            "steady_state": steady.steady_by_group(cells),
            "qos": qos.qos(cells),
            "method_version": METHOD_VERSION,
        }
    )


def _without_heat(found: slc.SLCResult, heat: thermal.ThermalResult) -> slc.SLCResult:
    """The slc finding once the thermal one has judged its drop (see the module docstring)."""
    if not found.detected or heat.drop_is_thermal is False:
        return found
    verdict = heat.drop_is_thermal
    reason = (
        f"the drop is thermal throttling ({heat.method})"
        if verdict
        else f"the drop was not told apart from thermal throttling ({heat.method})"
    )
    evidence = dict(found.evidence, reason=reason, drop_bytes=found.cache_bytes)
    return slc.SLCResult(False if verdict else None, None, None, None, None, evidence)
