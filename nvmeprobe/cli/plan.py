"""`nvmeprobe plan`: what a plan will do to a target, before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nvmeprobe.cli.output import Col, console, print_json, print_line, print_table
from nvmeprobe.discover.session import drive_identity, open_session
from nvmeprobe.plan import Cell, expand_plan, job_file, load_plan, plan_facts, summarise
from nvmeprobe.plan.estimate import SLOW_WRITE_BW
from nvmeprobe.plan.facts import drive_rates
from nvmeprobe.plan.rates import WriteRates
from nvmeprobe.run import layout
from nvmeprobe.run.sustained import max_write_note
from nvmeprobe.units import format_bytes

plan_option = click.option(
    "--plan",
    "plan_name",
    default="smoke",
    show_default=True,
    help="A built-in plan name or a TOML plan file.",
)
set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a plan value, e.g. runtime=2s or stage.rmw.bs=[4k,16k].",
)
profiles_option = click.option(
    "--profiles",
    "profiles_dir",
    type=click.Path(path_type=Path),
    default=Path("profiles"),
    show_default=True,
    help="Where profiles go (plan: where it looks for the drive's own rates).",
)


def render_plan(title: str, cells: list[Cell], summary: dict[str, Any], rates: WriteRates) -> None:
    """The cells (their ids name rw, bs, offset, QD and jobs), then time and bytes with
    what the bytes rest on: the drive's measured rates, or bounds ("up to")."""
    written = "written, up to" if rates.is_bound else "est. written"
    columns = [
        Col("cell", key=True),
        Col("rw", keep=2),
        Col("bs", keep=2),
        Col("offset", keep=1),
        Col("QD", keep=1),
        Col("jobs", keep=1),
        Col("est. time", keep=4, short="time"),
        Col(written, keep=5, short="up to" if rates.is_bound else "written"),
    ]
    print_table(
        columns,
        [
            [
                c.id,
                c.rw or c.kind,
                format_bytes(c.bs),
                format_bytes(c.offset),
                str(c.iodepth or "-"),
                str(c.numjobs or "-"),
                f"{c.est_seconds:.0f} s",
                format_bytes(c.est_bytes_written),
            ]
            for c in cells
        ],
        title=title,
    )
    share = summary["endurance_fraction"]
    amount = "up to" if rates.is_bound else "about"
    console.print(
        f"{summary['cells']} cells, about {summary['est_seconds']:.0f} s;"
        f" {amount} {format_bytes(summary['est_bytes_written'])} written"
        + (
            f" ({share:.4%} of rated endurance)"
            if share is not None
            else " (rated endurance unknown)"
        ),
        highlight=False,
    )
    console.print(f"time: the runtimes; size-based cells at {_time_rate(rates)}", highlight=False)
    console.print(f"bytes: {rates.describe()}", highlight=False)
    if rates.basis == "measured":
        print_line(f"  {rates.source}")


def _time_rate(rates: WriteRates) -> str:
    if rates.is_bound:
        return f"{format_bytes(SLOW_WRITE_BW)}/s (a slow drive)"
    return "their measured rates"


@click.command("plan")
@click.argument("target")
@plan_option
@set_option
@profiles_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--show-fio", is_flag=True, help="Also print each cell's exact fio job file.")
def command(
    target: str,
    plan_name: str,
    overrides: tuple[str, ...],
    profiles_dir: Path,
    as_json: bool,
    show_fio: bool,
) -> None:
    """Show the cells a plan runs on TARGET: fio jobs, time, bytes written, wear."""
    plan = load_plan(plan_name, list(overrides))
    with open_session(target) as session:
        facts = plan_facts(session.facts)
        rates = drive_rates(session.facts, *drive_identity(session), profiles_dir)
        cells = expand_plan(plan, facts, rates)
        run_dir = Path("results") / "RUN-ID"  # logs land here in a run; the id is not known yet
        jobs = {
            c.id: job_file(
                c, session.fio_target, layout.cell_files(run_dir, session.target.name, c)[1]
            )
            for c in cells
            if c.kind != "idle"
        }
    summary = summarise(cells, facts, rates)
    if as_json:
        print_json(
            {
                "target": target,
                "plan": plan.to_dict(),
                "facts": facts.to_dict(),
                "summary": summary,
                "cells": [
                    dict(c.to_dict(), fio_job=jobs.get(c.id), max_written=max_write_note(c))
                    for c in cells
                ],
            }
        )
        return
    render_plan(f"plan {plan.name} on {target}", cells, summary, rates)
    for c in cells:
        note = max_write_note(c)
        if note:
            print_line(f"{c.id} writes {note}")
    if show_fio:
        for cell_id, text in jobs.items():  # job files are copied: never wrapped
            print_line(f"\n# {cell_id}")
            print_line(text)
