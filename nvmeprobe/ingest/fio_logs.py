"""fio's bw / iops / lat / clat / slat logs, read vectorised with pyarrow.csv.

A log line is `time_ms, value, ddir, bs[, offset][, priority]`:
- 4 columns: older fio (e.g. 3.1) without log_offset.
- 5 columns: older fio with log_offset=1 (offset), or newer fio (e.g. 3.32,
  3.33, which always log the command priority) without it. fio's priority
  is a 16-bit ioprio, so the fifth column is read as an offset when any
  value exceeds 0xFFFF, else as a priority (then offset is unknown). A
  per-IO log of a file under 64 KiB written by an old fio with log_offset=1
  would be misread as priorities; no other case is.
- 6 columns: newer fio with log_offset=1 (offset, priority).
Units as fio writes them: bw KiB/s, iops IO/s, latencies ns (fio >= 3.0).
With log_avg_msec each value is the average over the interval ending at its
time; without it there is one line per IO and bs is that IO's size.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from nvmeprobe.errors import InputError

DIRECTIONS = pd.CategoricalDtype(["read", "write", "trim"])
SERIES_KINDS = ("bw", "iops", "lat", "clat", "slat")
_BASE = ["time_ms", "value", "ddir", "bs"]
_LAYOUTS = {4: _BASE, 5: _BASE + ["extra"], 6: _BASE + ["offset", "priority"]}
_TYPES = {
    "time_ms": pa.float64(),
    "value": pa.float64(),
    "ddir": pa.int64(),
    "bs": pa.int64(),
    "extra": pa.int64(),
    "offset": pa.int64(),
    "priority": pa.int64(),
}
_KIND_RE = re.compile(rf"_({'|'.join(SERIES_KINDS)})\.(?:\d+\.)?log(?:\..+)?$")
_PER_SERIES_UNIT = {
    "iops": 1.0,
    "lat": 1000.0,
    "clat": 1000.0,
    "slat": 1000.0,
}  # fio unit per profile unit


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t_s": pd.Series(dtype="float64"),
            "value": pd.Series(dtype="float64"),
            "direction": pd.Series(dtype=DIRECTIONS),
            "bs": pd.Series(dtype="int64"),
            "offset": pd.Series(dtype="Int64"),
        }
    )


def _column_count(path: Path) -> int:
    with open(path, "rb") as handle:
        first = handle.readline()
    if not first.strip():
        return 0
    count = first.count(b",") + 1
    if count not in _LAYOUTS:
        raise InputError(f"{path}: not a fio log (line 1 has {count} columns, expected 4 to 6)")
    return count


def _read_table(path: Path, names: list[str]) -> pa.Table:
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=","),
            convert_options=pacsv.ConvertOptions(column_types={n: _TYPES[n] for n in names}),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        reason = str(err).splitlines()[0]
        raise InputError(f"{path}: malformed fio log ({reason})") from None


def _nullable(column: pa.ChunkedArray | None, length: int) -> pd.arrays.IntegerArray:
    if column is None:
        return pd.arrays.IntegerArray(np.zeros(length, np.int64), np.ones(length, bool))
    return pd.arrays.IntegerArray(column.to_numpy(), np.zeros(length, bool))


def read_fio_log(path: str | Path) -> pd.DataFrame:
    """A fio log as columns t_s (s), value, direction ('read'|'write'|'trim'), bs and
    offset (nullable).
    """
    path = Path(path)
    try:
        count = _column_count(path)
    except OSError as err:
        raise InputError(f"{path}: cannot read fio log ({err.strerror})") from None
    if count == 0:
        return _empty()
    table = _read_table(path, _LAYOUTS[count])
    for name in ("time_ms", "value", "ddir", "bs"):
        if table.column(name).null_count:
            raise InputError(f"{path}: malformed fio log (empty {name} field)")
    ddir = table.column("ddir").to_numpy()
    bad = ddir[(ddir < 0) | (ddir > 2)]
    if bad.size:
        raise InputError(
            f"{path}: malformed fio log (data direction {int(bad[0])} is not 0, 1 or 2)"
        )
    offset = None
    if count == 6:
        offset = table.column("offset")
    elif count == 5:
        extra = table.column("extra")
        if extra.null_count == 0 and len(extra) and pc.max(extra).as_py() > 0xFFFF:
            offset = extra
    return pd.DataFrame(
        {
            "t_s": table.column("time_ms").to_numpy() / 1000.0,
            "value": table.column("value").to_numpy(),
            "direction": pd.Categorical.from_codes(ddir, dtype=DIRECTIONS),
            "bs": table.column("bs").to_numpy(),
            "offset": _nullable(offset, len(ddir)),
        }
    )


def bandwidth_vs_bytes(
    df: pd.DataFrame,
    avg_msec: float | None = None,
    total_bytes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """A bw log as t_s, direction, value, bw_bytes (bytes/s) and bytes_written
    (cumulative, per direction).

    Each averaged sample covers the interval since the previous sample of its
    direction (the first one: since t=0), so its bytes are bw x interval; a
    per-IO line (bs > 0) counts its own bs. With `avg_msec` (the log's
    log_avg_msec), fio samples every window and writes no line for a window in
    which no IO completed: the line after such a gap covers its own window
    only. A line 1.5 windows or more after the previous one is either that or a
    late sample (fio's sampling thread held up on a busy host), which covers
    its whole interval: the timestamps cannot tell them apart. Without
    `total_bytes` such a line counts one window (a gap). With `total_bytes`
    (direction -> the bytes fio counted for this job, from its JSON) the lines'
    extra time counts by the share that makes the log add up to fio's own
    total: all of it when every long interval was a late sample, none when
    every one was a gap. bytes_written accumulates in file order within each
    direction (a log holds one job; sum jobs' logs yourself).
    """
    missing = {"t_s", "value", "direction", "bs"} - set(df.columns)
    if missing:
        raise InputError(f"not a fio bw log frame: missing {sorted(missing)}")
    bw_bytes = df["value"].to_numpy(dtype=np.float64) * 1024.0
    t_s = df["t_s"].to_numpy(dtype=np.float64)
    bs = df["bs"].to_numpy(dtype=np.float64)
    directions = pd.Categorical(df["direction"], dtype=DIRECTIONS)
    written = np.empty(len(df), dtype=np.float64)
    for code in np.unique(directions.codes):
        rows = np.flatnonzero(directions.codes == code)
        interval = np.diff(t_s[rows], prepend=0.0)
        if avg_msec:
            total = (total_bytes or {}).get(str(DIRECTIONS.categories[code]))
            interval = _covered_interval(interval, bw_bytes[rows], avg_msec / 1000.0, total)
        written[rows] = np.cumsum(np.where(bs[rows] > 0, bs[rows], bw_bytes[rows] * interval))
    return pd.DataFrame(
        {
            "t_s": t_s,
            "direction": directions,
            "value": df["value"].to_numpy(),
            "bw_bytes": bw_bytes,
            "bytes_written": written,
        },
        index=df.index,
    )


def _covered_interval(
    interval: np.ndarray, bw_bytes: np.ndarray, window: float, total: float | None
) -> np.ndarray:
    """Each averaged line's covered time: its interval, or a share of a long one
    (see `bandwidth_vs_bytes`)."""
    long = interval >= 1.5 * window
    extra = np.where(long, interval - window, 0.0)
    base = np.where(long, window, interval)
    if total is None or not long.any():
        return base
    extra_bytes = float(np.sum(bw_bytes * extra))
    share = (total - float(np.sum(bw_bytes * base))) / extra_bytes if extra_bytes > 0 else 0.0
    return base + extra * min(max(share, 0.0), 1.0)


def series_kind(path: str | Path) -> str:
    """'bw', 'iops', 'lat', 'clat' or 'slat' from fio's log name (`<prefix>_bw.1.log[.host]`)."""
    match = _KIND_RE.search(Path(path).name)
    if not match:
        raise InputError(
            f"{path}: not a fio log name (expected <prefix>_{{bw,iops,lat,clat,slat}}.N.log)"
        )
    return match.group(1)


def series_from_log(
    path: str | Path,
    cell: str | None = None,
    avg_msec: float | None = None,
    total_bytes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """A log as profile 'series' rows: series, cell, t_s, value, direction, bs, offset
    (+ bw_bytes, bytes_written for bw).

    value is in the profile's units: bw bytes/s, iops IO/s, latencies us. `bs` is
    the IO's size in per-IO logs and null in averaged ones (fio writes 0 there);
    `offset` is null unless fio logged it. `avg_msec`: the log_avg_msec it was
    written with, when known; `total_bytes`: the job's bytes per direction from
    fio's JSON, when known (both: see `bandwidth_vs_bytes`).
    """
    kind = series_kind(path)
    log = read_fio_log(path)
    if kind == "bw":
        frame = bandwidth_vs_bytes(log, avg_msec, total_bytes)
        frame["value"] = frame["bw_bytes"]
    else:
        frame = log[["t_s", "direction", "value"]].copy()
        frame["value"] = log["value"] / _PER_SERIES_UNIT[kind]
    frame["bs"] = pd.Series(log["bs"], dtype="Int64").mask(log["bs"] == 0)
    frame["offset"] = log["offset"]
    frame.insert(0, "series", kind)
    frame.insert(1, "cell", cell)
    return frame
