"""Report plots drawn with matplotlib (Agg, no display, no pyplot global state) as PNG bytes.

Each `plot_*` takes the data of one plot from `report.data` and returns the
PNG. Sizes on axes read as IO sizes (4k, 128k), rates in MiB/s, latencies in us.

No axis zooms into measurement noise (`_honest_axes`, applied to every plot):
a linear axis of non-negative values starts at 0 and never shows an offset
("+1"), a log axis spans at least a factor of 10, so a flat line looks flat.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nvmeprobe.units import format_bytes, format_size_token  # noqa: E402

MIB = 1024.0 * 1024.0
GIB = MIB * 1024.0
DPI = 100
_METRIC = {"iops": ("IOPS", 1.0, "{:,.0f}"), "bw_bytes": ("bandwidth (MiB/s)", MIB, "{:,.1f}")}


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _axes(figure: Figure, *grid: int) -> Any:
    axis = figure.add_subplot(*grid)
    axis.set_prop_cycle(
        cycler(linestyle=["-", "--"]) * cycler(color=matplotlib.color_sequences["tab10"])
    )
    return axis


def _legend(axis: Any) -> None:
    """The legend right of the plot, where it hides no data."""
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _pattern(rw: str, direction: str, bs: int) -> str:
    name = rw if rw in (direction, f"rand{direction}") else f"{rw} {direction}"
    return f"{name} {format_size_token(int(bs))}"


LOG_SPAN_MIN = 10.0  # a log axis spans at least this factor


def _honest_axes(figure: Figure) -> None:
    """Widen every data axis that would otherwise magnify noise into features."""
    for axis in figure.axes:
        if axis.images or not (axis.lines or axis.patches):
            continue  # heatmaps and colour bars: their scales are the data's own
        low, high = axis.get_ylim()
        if axis.get_yscale() == "log":
            if high / low < LOG_SPAN_MIN:
                middle = math.sqrt(low * high)
                axis.set_ylim(middle / math.sqrt(LOG_SPAN_MIN), middle * math.sqrt(LOG_SPAN_MIN))
        elif axis.get_yscale() == "linear":
            axis.ticklabel_format(axis="y", style="plain", useOffset=False)
            if low >= 0 or _data_low(axis) >= 0:
                axis.set_ylim(0, max(high, 1e-12))


def _data_low(axis: Any) -> float:
    """The smallest y value drawn (lines and bars), +inf without data."""
    values = [
        float(v)
        for line in axis.lines
        for v in np.asarray(line.get_ydata(), dtype=float)
        if np.isfinite(v)
    ]
    values += [
        min(p.get_y(), p.get_y() + p.get_height()) for p in axis.patches if hasattr(p, "get_height")
    ]
    return min(values, default=math.inf)


def _png(figure: Figure) -> bytes:
    _honest_axes(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _size_axis(axis: Any, sizes: list[int]) -> None:
    axis.set_xscale("log", base=2)
    axis.set_xticks(sizes)
    axis.set_xticklabels([format_size_token(int(s)) for s in sizes])
    axis.minorticks_off()


def plot_heatmaps(grids: dict[str, pd.DataFrame], metric: str) -> bytes:
    """One heatmap per IO pattern: queue depth (rows) x IO size (columns), values written in."""
    label, scale, fmt = _METRIC[metric]
    columns = min(3, len(grids))
    rows = math.ceil(len(grids) / columns)
    figure = _figure(4.6 * columns, 3.4 * rows)
    for index, (name, grid) in enumerate(grids.items()):
        axis = figure.add_subplot(rows, columns, index + 1)
        values = grid.to_numpy(dtype=float) / scale
        finite = values[np.isfinite(values) & (values > 0)]
        norm = LogNorm(vmin=finite.min(), vmax=max(finite.max(), finite.min() * 1.0001))
        image = axis.imshow(
            np.ma.masked_invalid(values), aspect="auto", origin="lower", cmap="viridis", norm=norm
        )
        axis.set_xticks(range(grid.shape[1]), [format_size_token(int(b)) for b in grid.columns])
        axis.set_yticks(range(grid.shape[0]), [str(int(d)) for d in grid.index])
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                axis.text(
                    col,
                    row,
                    fmt.format(value),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if norm(value) < 0.6 else "black",
                )
        axis.set_xlabel("IO size")
        axis.set_ylabel("queue depth")
        axis.set_title(name)
        figure.colorbar(image, ax=axis, label=label)
    return _png(figure)


def plot_rmw(data: dict[str, Any]) -> bytes:
    """RMW amplification against IO size, one line per alignment offset, IUs marked."""
    points: pd.DataFrame = data["points"]
    figure = _figure(9, 4.5)
    axis = _axes(figure)
    for offset, group in points.groupby("offset", sort=True):
        name = "aligned" if offset == 0 else f"misaligned (+{format_bytes(offset)})"
        axis.plot(group["bs"], group["factor"], marker="o", label=name)
    axis.axhline(1.0, color="grey", linewidth=0.8)
    for key, style, text in (
        ("inferred_bytes", "-", "inferred IU"),
        ("reported_bytes", "--", "reported IU"),
    ):
        if data.get(key):
            axis.axvline(
                data[key],
                color="red",
                linestyle=style,
                linewidth=1.2,
                label=f"{text} {format_bytes(data[key])}",
            )
    _size_axis(axis, sorted(points["bs"].unique()))
    axis.set_ylim(0, max(2.0, float(points["factor"].max()) * 1.1))  # 1 (no RMW) mid-axis
    axis.set_xlabel("IO size")
    axis.set_ylabel("RMW amplification (cost per byte / large aligned)")
    axis.set_title("read-modify-write amplification")
    axis.legend()
    return _png(figure)


def plot_cache(data: dict[str, Any]) -> bytes:
    """Write bandwidth against GiB written, per logged cell, with the detected cache and rates."""
    figure = _figure(9, 4.5)
    axis = _axes(figure)
    for cell, curve in data["curves"].items():
        axis.plot(curve["bytes_written"] / GIB, curve["bw_bytes"] / MIB, linewidth=1, label=cell)
    if data.get("cache_bytes"):
        axis.axvline(
            data["cache_bytes"] / GIB,
            color="red",
            linestyle="--",
            label=f"cache {format_bytes(data['cache_bytes'])}",
        )
    if data.get("recovered_bytes"):
        axis.axvline(
            data["recovered_bytes"] / GIB,
            color="purple",
            linestyle="-.",
            label=f"recovered after idle {format_bytes(data['recovered_bytes'])}",
        )
    if data.get("thermal") and data.get("throttle_bytes"):
        axis.axvline(
            data["throttle_bytes"] / GIB,
            color="orange",
            linestyle="--",
            label=f"thermal throttling from {format_bytes(data['throttle_bytes'])}",
        )
    if data.get("thermal") and data.get("throttled_bw"):
        axis.axhline(
            data["throttled_bw"] / MIB,
            color="orange",
            linestyle=":",
            linewidth=1.2,
            label=f"throttled {data['throttled_bw'] / MIB:,.1f} MiB/s",
        )
    for key, text, colour in (
        ("in_cache_bw", "in cache", "green"),
        ("post_cache_bw", "after cache", "black"),
    ):
        if data.get(key):
            axis.axhline(
                data[key] / MIB,
                color=colour,
                linestyle=":",
                linewidth=1.2,
                label=f"{text} {data[key] / MIB:,.1f} MiB/s",
            )
    axis.set_xlabel("GiB written")
    axis.set_ylabel("write bandwidth (MiB/s)")
    axis.set_ylim(bottom=0)
    verdict = {True: "SLC cache detected", False: "no cache drop", None: "cache not analysed"}
    heat = "; thermal throttling" if data.get("thermal") else ""
    axis.set_title(f"bandwidth against bytes written ({verdict[data.get('detected')]}{heat})")
    _legend(axis)
    return _png(figure)


def plot_cache_fill(levels: list[dict[str, Any]]) -> bytes:
    """Cache size against the share of the drive holding data, one point per measurement."""
    figure = _figure(9, 4.5)
    axis = _axes(figure)
    found = [e for e in levels if e.get("detected") and e.get("cache_bytes")]
    fills = [100 * e["fill_fraction"] for e in found]
    axis.plot(fills, [e["cache_bytes"] / GIB for e in found], marker="o", label="cache found")
    missed = [100 * e["fill_fraction"] for e in levels if not e.get("detected")]
    if missed:
        axis.plot(
            missed,
            [0] * len(missed),
            marker="x",
            color="red",
            linestyle="",
            label="no cache drop found",
        )
    for fill, entry in zip(fills, found):
        axis.annotate(
            format_bytes(entry["cache_bytes"]),
            (fill, entry["cache_bytes"] / GIB),
            textcoords="offset points",
            xytext=(6, 6),
        )
    axis.set_xlim(0, 100)
    axis.set_ylim(bottom=0)
    axis.set_xlabel("drive holding data when the burst started (%)")
    axis.set_ylabel("SLC cache (GiB)")
    axis.set_title("SLC cache size against fill level")
    _legend(axis)
    return _png(figure)


def _nines(percentile: float) -> float:
    return -math.log10(1.0 - percentile / 100.0)


def _percentile_of(column: str) -> float:
    digits = column[len("lat_p") : -len("_us")].split("_")
    return float(f"{digits[0]}.{digits[1]}" if len(digits) > 1 else digits[0])


def plot_latency(tables: dict[str, pd.DataFrame]) -> bytes:
    """Completion-latency percentile curves (x in 'nines'), one panel per direction."""
    figure = _figure(7 * len(tables), 4.5)
    for index, (direction, table) in enumerate(tables.items()):
        axis = _axes(figure, 1, len(tables), index + 1)
        columns = [c for c in table.columns if c.startswith("lat_p")]
        percentiles = [_percentile_of(c) for c in columns]
        x = [_nines(p) for p in percentiles]
        for _, row in table.iterrows():
            axis.plot(
                x,
                row[columns].to_numpy(dtype=float),
                marker=".",
                label=f"{_pattern(row['rw'], direction, row['bs'])} QD{int(row['iodepth'])}",
            )
        axis.set_xticks(x, [f"{p:g}" for p in percentiles])
        axis.set_yscale("log")
        axis.set_xlabel("percentile")
        axis.set_ylabel("completion latency (us)")
        axis.set_title(f"{direction} latency percentiles")
        _legend(axis)
    return _png(figure)


def plot_queue_depth(data: dict[str, Any]) -> bytes:
    """IOPS against queue depth per IO pattern, the saturation knee starred where found."""
    figure = _figure(9, 4.5)
    axis = _axes(figure)
    depths: set[int] = set()
    for (rw, direction, bs), curve in data["curves"].items():
        line = axis.plot(
            curve.index, curve.to_numpy(), marker="o", label=_pattern(rw, direction, bs)
        )[0]
        depths.update(int(d) for d in curve.index)
        knee = data["knees"].get((rw, direction, bs))
        if knee and knee[0] in curve.index:
            axis.plot([knee[0]], [knee[1]], marker="*", markersize=16, color=line.get_color())
    axis.set_xscale("log", base=2)
    axis.set_xticks(sorted(depths), [str(d) for d in sorted(depths)])
    axis.minorticks_off()
    axis.set_yscale("log")
    axis.set_xlabel("queue depth")
    axis.set_ylabel("IOPS")
    axis.set_title("IOPS against queue depth (star: knee, 90% of the pattern's maximum)")
    _legend(axis)
    return _png(figure)


def plot_waf(table: pd.DataFrame) -> bytes:
    """WAF bars per IO size, one bar per alignment offset."""
    figure = _figure(9, 4.5)
    axis = _axes(figure)
    sizes = sorted(table["bs"].unique())
    offsets = sorted(table["offset"].unique())
    width = 0.8 / len(offsets)
    for index, offset in enumerate(offsets):
        rows = table[table["offset"] == offset].set_index("bs")["waf"]
        positions = [
            sizes.index(bs) + (index - (len(offsets) - 1) / 2) * width for bs in rows.index
        ]
        name = "aligned" if offset == 0 else f"misaligned (+{format_bytes(offset)})"
        axis.bar(positions, rows.to_numpy(), width=width, label=name)
    axis.axhline(1.0, color="grey", linewidth=0.8)
    axis.set_xticks(range(len(sizes)), [format_size_token(int(s)) for s in sizes])
    axis.set_xlabel("IO size")
    axis.set_ylabel("WAF (media / host bytes written)")
    axis.set_title("write amplification by IO size")
    axis.legend()
    return _png(figure)
