"""SLC cache exhaustion: change-point analysis and the live drop watcher."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nvmeprobe.analyze import synthetic as S
from nvmeprobe.analyze.slc import DropWatcher, bin_by_bytes, slc_cache, split_bursts
from nvmeprobe.errors import InputError

GIB = 1 << 30


def _draw(seed: int) -> tuple[pd.DataFrame, float, float, float, float]:
    """(series, cache bytes, in-cache bw, post-cache bw, sample interval) of a random drive."""
    rng = np.random.default_rng(seed)
    cache = rng.uniform(1, 100) * GIB
    in_bw = rng.uniform(0.5, 3) * GIB
    post_bw = in_bw * rng.uniform(0.05, 0.6)
    dt = min(1.0, cache / in_bw / 40)
    series = S.slc_series(
        rng, cache, in_bw, post_bw, cache * rng.uniform(1.5, 3), dt=dt, noise=rng.uniform(0, 0.1)
    )
    return series, cache, in_bw, post_bw, dt


def _flat(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bw = rng.uniform(0.2, 3) * GIB
    return S.slc_series(rng, float("inf"), bw, bw, bw * rng.uniform(200, 3000), noise=0.1)


@pytest.mark.parametrize(
    "seeds", [range(30), pytest.param(range(1000, 1300), marks=pytest.mark.slow)]
)
def test_cache_size_and_rates_within_10_percent(seeds):
    for seed in seeds:
        series, cache, in_bw, post_bw, _ = _draw(seed)
        result = slc_cache(series)
        assert result.detected is True, f"seed {seed}: {result.evidence}"
        assert result.cache_bytes == pytest.approx(cache, rel=0.10), f"seed {seed}"
        assert result.in_cache_bw == pytest.approx(in_bw, rel=0.10), f"seed {seed}"
        assert result.post_cache_bw == pytest.approx(post_bw, rel=0.10), f"seed {seed}"


def test_flat_and_mild_series_are_not_detected():
    for seed in range(20):
        result = slc_cache(_flat(seed))
        assert result.detected is False, f"seed {seed}: {result.evidence}"
        assert result.cache_bytes is None and result.in_cache_bw is None
    rng = np.random.default_rng(7)
    mild = S.slc_series(rng, 10 * GIB, 2 * GIB, 1.8 * GIB, 30 * GIB, dt=0.1, noise=0.05)
    assert slc_cache(mild).detected is False


def test_one_million_samples_are_binned_by_bytes():
    rng = np.random.default_rng(11)
    series = S.slc_series(rng, 20 * GIB, 2 * GIB, 0.2 * GIB, 60 * GIB, dt=210 / 1e6)
    assert len(series) > 800_000
    written, bw = bin_by_bytes(series)
    assert len(bw) <= 1000 and np.all(np.diff(written) > 0)
    result = slc_cache(series)
    assert result.cache_bytes == pytest.approx(20 * GIB, rel=0.01)
    assert result.post_cache_bw == pytest.approx(0.2 * GIB, rel=0.02)


def _two_bursts(recovered: float, idle_s: float = 120.0) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    first = S.slc_series(rng, 8 * GIB, 2 * GIB, 0.25 * GIB, 16 * GIB, dt=0.1, noise=0.05)
    second = S.slc_series(rng, recovered, 2 * GIB, 0.25 * GIB, 12 * GIB, dt=0.1, noise=0.05)
    second = second.assign(
        t_s=second["t_s"] + first["t_s"].iloc[-1] + idle_s,
        bytes_written=second["bytes_written"] + first["bytes_written"].iloc[-1],
    )
    return pd.concat([first, second], ignore_index=True)


def test_recovery_burst_in_one_series_after_idle():
    result = slc_cache(_two_bursts(recovered=3 * GIB))
    assert result.cache_bytes == pytest.approx(8 * GIB, rel=0.05)
    assert result.recovered_bytes == pytest.approx(3 * GIB, rel=0.05)
    assert len(split_bursts(_two_bursts(3 * GIB))) == 2


def test_recovery_burst_as_its_own_series_and_no_recovery():
    rng = np.random.default_rng(9)
    first = S.slc_series(rng, 8 * GIB, 2 * GIB, 0.25 * GIB, 16 * GIB, dt=0.1)
    slow = S.slc_series(rng, 0, 2 * GIB, 0.25 * GIB, 4 * GIB, dt=0.1)
    full = S.slc_series(rng, float("inf"), 2 * GIB, 0.25 * GIB, 4 * GIB, dt=0.1)
    assert slc_cache(first, recovery=slow).recovered_bytes == 0
    lower = slc_cache(first, recovery=full)
    assert lower.recovered_bytes == pytest.approx(4 * GIB, rel=0.05)
    assert lower.evidence["recovery"]["lower_bound"] is True


def test_idle_samples_with_zero_bandwidth_split_bursts():
    series = _two_bursts(3 * GIB, idle_s=0.0)
    gap_t = series["t_s"].iloc[159] + np.arange(1, 600) * 0.1
    idle = pd.DataFrame(
        {"t_s": gap_t, "bw_bytes": 0.0, "bytes_written": series["bytes_written"].iloc[159]}
    )
    later = series.iloc[160:].assign(t_s=series["t_s"].iloc[160:] + 60.0)
    joined = pd.concat([series.iloc[:160], idle, later], ignore_index=True)
    assert len(split_bursts(joined)) == 2


def test_bad_series_raise_input_error():
    with pytest.raises(InputError, match="missing column"):
        slc_cache(pd.DataFrame({"t_s": [1.0]}))
    backwards = pd.DataFrame(
        {"t_s": [1.0, 2.0], "bw_bytes": [1.0, 1.0], "bytes_written": [2.0, 1.0]}
    )
    with pytest.raises(InputError, match="must not decrease"):
        slc_cache(backwards)
    with pytest.raises(InputError):
        DropWatcher(ratio=1.5)


def _watch(series: pd.DataFrame, watcher: DropWatcher) -> float | None:
    for row in series.itertuples(index=False):
        if watcher.feed(row.t_s, row.bw_bytes, row.bytes_written):
            return row.bytes_written
    return None


def test_watcher_stops_soon_after_the_true_drop():
    for seed in range(30):
        series, cache, in_bw, post_bw, dt = _draw(seed)
        watcher = DropWatcher()
        stop = _watch(series, watcher)
        assert stop is not None, f"seed {seed}: never stopped"
        # confirmation needs 5 low samples of the 9: allow 9 post-cache samples + the edge one
        assert cache <= stop <= cache + 9 * post_bw * dt * 1.1 + in_bw * dt, f"seed {seed}"
        assert watcher.drop_bytes == pytest.approx(cache, rel=0.05), f"seed {seed}"
        assert stop < series["bytes_written"].iloc[-1] * 0.9, f"seed {seed}"


def test_watcher_never_fires_on_flat_noise_or_ramps():
    for seed in range(30):
        assert _watch(_flat(100 + seed), DropWatcher()) is None, f"seed {seed}"
    rng = np.random.default_rng(3)
    slow_ramp = S.slc_series(rng, float("inf"), GIB, GIB, 2000 * GIB, ramp_samples=200)
    assert _watch(slow_ramp, DropWatcher()) is None
    spikes = _flat(7).copy()
    spikes.loc[spikes.index[50::97], "bw_bytes"] = 0.0  # isolated stalls
    assert _watch(spikes, DropWatcher()) is None


def test_watcher_min_confirm_bytes_delays_the_stop():
    series, cache, _, post_bw, dt = _draw(4)
    early = _watch(series, DropWatcher())
    late = _watch(series, DropWatcher(min_confirm_bytes=int(40 * post_bw * dt)))
    assert late > early and late >= cache + 40 * post_bw * dt * 0.9
