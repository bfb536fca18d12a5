"""`nvmeprobe analyze`: IU/RMW, SLC cache, WAF, steady state and QoS of a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from nvmeprobe.analyze.store import analyze_and_store, profile_of
from nvmeprobe.cli.output import console, print_json
from nvmeprobe.units import format_bytes


def render_findings(findings: dict[str, Any]) -> None:
    """The human view of the findings."""
    iu, slc, waf = findings["iu"], findings["slc"], findings["waf"]
    table = Table(title="findings", show_header=False, title_justify="left")
    table.add_column("finding", style="cyan")
    table.add_column("value")
    agree = {True: "agrees", False: "[bold red]DISAGREES[/]", None: "no reported IU"}[iu.get("agrees")]
    conf = iu.get("confidence")
    table.add_row("IU inferred", f"{format_bytes(iu.get('inferred_bytes'))}"
                  f" (confidence {conf:.2f})" if conf is not None else format_bytes(iu.get("inferred_bytes")))
    table.add_row("IU reported", f"{format_bytes(iu.get('reported_bytes'))} ({agree})")
    if slc.get("detected"):
        table.add_row("SLC cache", f"{format_bytes(slc['cache_bytes'])}: "
                      f"{format_bytes(slc['in_cache_bw'])}/s then {format_bytes(slc['post_cache_bw'])}/s")
        table.add_row("cache recovered after idle", format_bytes(slc.get("recovered_bytes")))
    else:
        table.add_row("SLC cache", {False: "none detected", None: "not measured"}[slc.get("detected")])
    table.add_row("WAF (measured)", "-" if waf.get("measured") is None else f"{waf['measured']:.3f}")
    console.print(table)
    if iu.get("warning"):
        console.print(f"[bold red]{iu['warning']}[/]")
    factors = [f for f in iu.get("rmw_amplification") or [] if f.get("factor") is not None]
    if factors:
        rmw = Table(title="RMW amplification (cost per byte / large aligned writes)")
        for column in ("bs", "offset", "factor"):
            rmw.add_column(column)
        for f in factors:
            rmw.add_row(format_bytes(f["bs"]), format_bytes(f["offset"]), f"{f['factor']:.2f}")
        console.print(rmw)


@click.command("analyze")
@click.argument("profile_or_run", type=click.Path(path_type=Path, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def command(profile_or_run: Path, as_json: bool) -> None:
    """Find IU, RMW amplification, SLC cache, WAF, steady state and QoS in PROFILE_OR_RUN."""
    findings = analyze_and_store(profile_of(profile_or_run))
    if as_json:
        print_json(findings)
    else:
        render_findings(findings)
