"""`nvmeprobe report`: profiles -> one self-contained HTML file plus every plot as PNG.

Layout of DIR: `report.html`, and `<profile>/<plot>.png` per profile (the
profile's file name without .parquet; a second profile of the same name gets
`-2`, ...). Plots whose data is absent are a one-line note in the HTML and
have no PNG. With fio-plot charts (`report --fio-plot`) each run folder's
charts follow its profile's own, as `fio-plot-<folder>-nj<N>-<l|g>.png`.
A model measured on two or more drives gets a fleet view (`report.fleet`)
at the top: every finding, and the IOPS, bandwidth and p99 latency of every
cell, across the drives, outliers highlighted and named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.profile import Profile, slug
from nvmeprobe.profile.resolve import load_profiles
from nvmeprobe.report import data, plots
from nvmeprobe.report.compare import cell_label, number
from nvmeprobe.report.fio_plot import draw_charts
from nvmeprobe.report.fleet import fleets
from nvmeprobe.report.html import FleetSection, Grid, Plot, Section, render_html
from nvmeprobe.units import format_bytes

FLEET_CELL_METRICS = ("iops", "bw_bytes", "lat_p99_us")

REPORT_NAME = "report.html"


@dataclass(frozen=True)
class ReportFiles:
    """What `build_report` wrote."""

    html: Path
    pngs: list[Path]
    notes: list[str]
    fleets: list[dict[str, Any]]


def _draw(key: str, title: str, found: Any, draw: Callable[[Any], bytes]) -> Plot:
    if isinstance(found, data.Missing):
        return Plot(key, title, note=found.reason)
    return Plot(key, title, png=draw(found))


def profile_plots(profile: Profile, findings: dict[str, Any]) -> list[Plot]:
    """Every plot of one profile, in report order (cache against fill when it was measured)."""
    by_fill = data.cache_by_fill(findings)
    fill = (
        []
        if isinstance(by_fill, data.Missing)
        else [
            _draw("cache-fill", "SLC cache size against fill level", by_fill, plots.plot_cache_fill)
        ]
    )
    return [
        _draw(
            "iops-heatmap",
            "IOPS over IO size and queue depth",
            data.heatmaps(profile, "iops"),
            lambda grids: plots.plot_heatmaps(grids, "iops"),
        ),
        _draw(
            "bandwidth-heatmap",
            "Bandwidth over IO size and queue depth",
            data.heatmaps(profile, "bw_bytes"),
            lambda grids: plots.plot_heatmaps(grids, "bw_bytes"),
        ),
        _draw(
            "rmw",
            "RMW amplification against IO size (inferred and reported IU marked)",
            data.rmw_curves(findings),
            plots.plot_rmw,
        ),
        _draw(
            "cache",
            "Bandwidth against bytes written (SLC cache)",
            data.cache_curves(profile, findings),
            plots.plot_cache,
        ),
        *fill,
        _draw("latency", "Latency percentiles", data.latency_curves(profile), plots.plot_latency),
        _draw(
            "queue-depth",
            "IOPS against queue depth (the knee)",
            data.queue_depth_curves(profile, findings),
            plots.plot_queue_depth,
        ),
        _draw("waf", "WAF by IO size", data.waf_by_size(findings), plots.plot_waf),
    ]


def profile_section(profile: Profile, anchor: str) -> Section:
    """One profile's section: identity, findings and plots."""
    findings, origin = data.findings_of(profile)
    identity = dict(data.identity_rows(profile))
    heading = (
        f"{identity.get('model') or 'unknown model'} / {identity.get('serial') or 'unknown serial'}"
        f" / run {profile.run_id or anchor}"
    )
    return Section(
        anchor,
        heading,
        data.identity_rows(profile),
        data.finding_rows(findings),
        origin,
        profile_plots(profile, findings),
    )


def _anchors(paths: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for path in paths:
        base = slug(path.stem)
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return result


def _show(name: str, value: Any) -> str:
    """A fleet value in the unit its name says."""
    if value is None:
        return "-"
    if number(value) is None:
        return str(value)
    if name == "bw_bytes" or name.endswith("_bw"):
        return f"{format_bytes(value)}/s"
    if name.endswith("bytes"):
        return format_bytes(value)
    if name.endswith("_us"):
        return f"{value:,.1f} us"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _spread_cells(name: str, row: dict[str, Any]) -> list[str]:
    if "values" in row:
        groups = [f"{value}: {', '.join(drives)}" for value, drives in row["values"].items()]
        return ["; ".join(groups), "", "", "", ""]
    spread = row.get("spread")
    return [
        *(_show(name, row.get(key)) for key in ("median", "min", "max")),
        "-" if spread is None else f"{spread:.1%}",
        ", ".join(row.get("outliers") or []) or "-",
    ]


def outlier_text(outliers: list[dict[str, Any]]) -> str:
    """'S4 (252 of 259 values), S2 (1 of 259 values)' or 'none'."""
    return (
        ", ".join(f"{o['drive']} ({o['values']} of {o['of']} values)" for o in outliers) or "none"
    )


def fleet_section(fleet: dict[str, Any], anchor: str) -> FleetSection:
    """The HTML of one model's fleet view."""
    header = ["n", "median", "min", "max", "spread", "outliers"]
    findings = Grid(
        "findings across drives",
        ["finding", *header],
        [
            [row["finding"], str(row.get("n", "-")), *_spread_cells(row["finding"], row)]
            for row in fleet["findings"]
        ],
        [bool(row.get("outliers")) for row in fleet["findings"]],
    )
    shown = [row for row in fleet["cells"] if row["metric"] in FLEET_CELL_METRICS]
    cells = Grid(
        "cells across drives (IOPS, bandwidth, p99 latency)",
        ["cell", "metric", *header],
        [
            [cell_label(row), row["metric"], str(row["n"]), *_spread_cells(row["metric"], row)]
            for row in shown
        ],
        [bool(row["outliers"]) for row in shown],
    )
    outliers = outlier_text(fleet["outliers"])
    notes = [
        f"{len(fleet['drives'])} drives ({', '.join(fleet['drives'])}),"
        f" {fleet['profiles']} profile(s); one value per drive (the median of its runs).",
        f"Outliers ({fleet['outlier_rule']}): {outliers}.",
    ]
    heading = f"fleet: {fleet['model'] or 'unknown model'}"
    return FleetSection(anchor, heading, notes, [findings, cells])


def build_report(
    profile_paths: list[Path], out_dir: Path, fio_plot_runs: dict[Path, Path] | None = None
) -> ReportFiles:
    """Read the profiles and write DIR/report.html and DIR/<profile>/<plot>.png.

    `fio_plot_runs`: add fio-plot's own charts, drawn by fio-plot, of these
    profiles' run folders (profile path -> run folder); a profile without one
    gets a note.
    """
    if not profile_paths:
        raise InputError("report needs at least one profile")
    items = load_profiles(profile_paths)
    sections = [
        profile_section(item.profile, anchor)
        for item, anchor in zip(items, _anchors(profile_paths))
    ]
    if fio_plot_runs is not None:
        for path, section in zip(profile_paths, sections):
            run_dir = fio_plot_runs.get(path)
            section.plots += (
                draw_charts(run_dir, section.heading)
                if run_dir
                else [
                    Plot(
                        "fio-plot",
                        "fio-plot charts",
                        note="fio-plot charts a run folder: give"
                        " results/<run-id> instead of the profile file",
                    )
                ]
            )
    fleet_docs = fleets(items)
    fleet_sections = [
        fleet_section(fleet, f"fleet-{index}") for index, fleet in enumerate(fleet_docs, 1)
    ]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        pngs = []
        for section in sections:
            for plot in section.plots:
                if plot.png is not None:
                    target = out_dir / section.anchor / f"{plot.key}.png"
                    target.parent.mkdir(exist_ok=True)
                    target.write_bytes(plot.png)
                    pngs.append(target)
        html = out_dir / REPORT_NAME
        html.write_text(render_html(sections, fleets=fleet_sections), encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write the report to {out_dir}: {err.strerror or err}") from None
    notes = [f"{s.anchor}: {p.title}: {p.note}" for s in sections for p in s.plots if p.png is None]
    return ReportFiles(html, pngs, notes, fleet_docs)
