"""`analyze_all`: every finding of `analyze --json` from tidy tables.

Missing inputs degrade, never fail: no random-write cells -> `iu` with
`inferred_bytes` None; no bandwidth series -> `slc.detected` None (not
measured; a flat series measured gives False); no media counters -> `waf`
`measured` None; no rounds -> `steady_state.measured` False.

Series keys: "slc" (the sustained-write log; if it holds two bursts with
idle time between them, the second is the recovery burst) and optionally
"slc_recovery" (the second burst as its own log).
"""

from __future__ import annotations

import pandas as pd

from nvmeprobe.analyze import iu, qos, slc, steady, waf
from nvmeprobe.analyze.iu_counter import counter_check
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "analyze/1"


def analyze_all(cells: pd.DataFrame, series: dict[str, pd.DataFrame] | None = None,
                reported_iu: int | None = None, lba: int | None = None) -> dict:
    """The `analyze --json` object: iu, slc, waf, steady_state, qos (+ method_version)."""
    series = series or {}
    if "slc" in series:
        slc_result = slc.slc_cache(series["slc"], series.get("slc_recovery"))
    else:
        slc_result = slc.not_measured("no bandwidth series recorded")
    iu_found = iu.analyze_iu(cells, reported_iu, lba).to_dict()
    iu_found["counter_check"] = counter_check(cells, iu_found["inferred_bytes"], reported_iu, lba)
    return jsonable({
        "iu": iu_found,
        "slc": slc_result.to_dict(),
        "waf": waf.waf(cells).to_dict(),
        "steady_state": steady.steady_by_group(cells),
        "qos": qos.qos(cells),
        "method_version": METHOD_VERSION,
    })
