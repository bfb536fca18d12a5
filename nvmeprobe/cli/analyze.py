"""`nvmeprobe analyze`: IU/RMW, SLC cache, WAF, steady state and QoS of profiles (stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nvmeprobe.analyze.store import analyze_and_store
from nvmeprobe.cli.output import Col, console, print_json, print_line, print_table
from nvmeprobe.profile.resolve import resolve_profiles
from nvmeprobe.units import format_bytes


def render_findings(findings: dict[str, Any]) -> None:
    """The human view of the findings."""
    iu, slc, waf = findings["iu"], findings["slc"], findings["waf"]
    agree = {True: "agrees", False: "[bold red]DISAGREES[/]", None: "no reported IU"}[
        iu.get("agrees")
    ]
    conf = iu.get("confidence")
    inferred = format_bytes(iu.get("inferred_bytes"))
    rows = [
        ["IU inferred", f"{inferred} (confidence {conf:.2f})" if conf is not None else inferred],
        ["IU reported", f"{format_bytes(iu.get('reported_bytes'))} ({agree})"],
    ]
    check = iu.get("counter_check") or {}
    if check.get("verdict", "unknown") != "unknown":
        counted = (
            format_bytes(check["counter_iu_bytes"])
            if check.get("counter_iu_bytes")
            else "ambiguous"
        )
        rows.append(
            [
                "IU by Unaligned I/O counter",
                f"{counted} ({check['verdict']} the {check['checked']} IU)",
            ]
        )
    if slc.get("detected"):
        rows += [
            [
                "SLC cache",
                f"{format_bytes(slc['cache_bytes'])}:"
                f" {format_bytes(slc['in_cache_bw'])}/s"
                f" then {format_bytes(slc['post_cache_bw'])}/s",
            ],
            ["cache recovered after idle", format_bytes(slc.get("recovered_bytes"))],
        ]
    else:
        rows.append(
            ["SLC cache", {False: "none detected", None: "not measured"}[slc.get("detected")]]
        )
    levels = [e for e in slc.get("by_fill") or [] if e.get("fill_fraction") is not None]
    rows += [
        [
            f"SLC cache at {level['fill_fraction']:.0%} full",
            format_bytes(level["cache_bytes"]) if level.get("detected") else "none found",
        ]
        for level in (levels if len(levels) > 1 else [])
    ]
    measured = waf.get("measured")
    rows.append(
        [
            "WAF (measured)",
            "-" if measured is None else f"{measured:.3f} ({waf.get('method') or 'per-cell'})",
        ]
    )
    print_table(
        [Col("finding", key=True), Col("value", keep=1)], rows, title="findings", show_header=False
    )
    if iu.get("warning"):
        console.print(f"[bold red]{iu['warning']}[/]")
    factors = [f for f in iu.get("rmw_amplification") or [] if f.get("factor") is not None]
    if factors:
        print_table(
            [Col("bs", key=True), Col("offset", key=True), Col("factor", keep=1)],
            [
                [format_bytes(f["bs"]), format_bytes(f["offset"]), f"{f['factor']:.2f}"]
                for f in factors
            ],
            title="RMW amplification (cost per byte / large aligned writes)",
        )


@click.command("analyze")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object (a list of {profile, findings} for several profiles).",
)
def command(profiles: tuple[Path, ...], as_json: bool) -> None:
    """Find IU, RMW amplification, SLC cache, WAF, steady state and QoS in PROFILES.

    PROFILES: profile files, run folders, drive folders or profiles trees.
    """
    paths = resolve_profiles(profiles)
    results = [(path, analyze_and_store(path)) for path in paths]
    if as_json:
        print_json(
            results[0][1]
            if len(results) == 1
            else [{"profile": str(path), "findings": found} for path, found in results]
        )
        return
    for path, found in results:
        if len(results) > 1:
            print_line(str(path), style="bold")
        render_findings(found)
