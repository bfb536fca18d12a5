"""analyze_all: the `analyze --json` contract object from tidy tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.analyze import analyze_all
from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.thermal import Burst

CONTRACT = {
    "iu": {"inferred_bytes", "reported_bytes", "agrees", "confidence", "rmw_amplification"},
    "slc": {
        "detected",
        "cache_bytes",
        "in_cache_bw",
        "post_cache_bw",
        "recovered_bytes",
        "fill_fraction",
    },
    "thermal": {
        "detected",
        "onset_s",
        "onset_bytes",
        "rate_before",
        "rate_after",
        "temperature_c",
        "method",
    },
    "waf": {"measured", "host_bytes", "media_bytes"},
}


def _cells(seed: int = 0):
    rng = np.random.default_rng(seed)
    drive = S.CostDrive(iu=16384, lba=4096, program_s=200e-6, rmw_s=80e-6)
    cells = S.sweep_cells(drive, rng)
    host = (cells["bw_bytes"] * 10).round()
    return drive, cells.assign(host_bytes_written=host, media_bytes_written=host * 2)


def test_contract_keys_and_json_document():
    drive, cells = _cells()
    series = S.slc_series(np.random.default_rng(1), 4 * 2**30, 2**31, 2**28, 10 * 2**30, dt=0.1)
    cool = pd.DataFrame({"t_s": series["t_s"][::10], "temperature_c": 45.0})
    out = analyze_all(
        cells,
        {"slc": series},
        reported_iu=16384,
        lba=4096,
        bursts=[Burst("burst1", series, cool)],
        limit_c=70,
    )
    for section, keys in CONTRACT.items():
        assert keys <= set(out[section]), section
    assert {"steady_state", "qos", "method_version"} <= set(out)
    assert out["iu"]["inferred_bytes"] == 16384 and out["iu"]["agrees"] is True
    assert {"bs", "offset", "factor"} <= set(out["iu"]["rmw_amplification"][0])
    assert out["slc"]["detected"] is True
    assert out["slc"]["cache_bytes"] == pytest.approx(4 * 2**30, rel=0.05)
    assert out["waf"]["measured"] == pytest.approx(2.0)
    json.dumps(out, allow_nan=False)


def test_missing_inputs_degrade_to_unknown():
    _, cells = _cells()
    bare = cells.assign(rw="read", direction="read", media_bytes_written=np.nan)
    out = analyze_all(bare, None, reported_iu=None, lba=None)
    assert out["iu"]["inferred_bytes"] is None and out["iu"]["agrees"] is None
    assert out["slc"]["detected"] is None and out["slc"]["cache_bytes"] is None
    assert out["waf"]["measured"] is None
    assert out["steady_state"]["measured"] is False
    json.dumps(out, allow_nan=False)


def test_flat_series_is_measured_not_detected():
    _, cells = _cells()
    rng = np.random.default_rng(2)
    flat = S.slc_series(rng, float("inf"), 2**30, 2**30, 500 * 2**30)
    out = analyze_all(cells, {"slc": flat}, 16384, 4096)
    assert out["slc"]["detected"] is False
