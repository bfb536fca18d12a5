"""`nvmeprobe plan`: what a plan will do to a target, before anything runs."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from nvmeprobe.cli.output import console, print_json
from nvmeprobe.discover.session import open_session
from nvmeprobe.plan import expand_plan, job_file, load_plan, plan_facts, summarise
from nvmeprobe.run import layout
from nvmeprobe.units import format_bytes

plan_option = click.option("--plan", "plan_name", default="smoke", show_default=True,
                           help="A built-in plan name or a TOML plan file.")
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                          help="Override a plan value, e.g. runtime=2s or stage.rmw.bs=[4k,16k].")


@click.command("plan")
@click.argument("target")
@plan_option
@set_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--show-fio", is_flag=True, help="Also print each cell's exact fio job file.")
def command(target: str, plan_name: str, overrides: tuple[str, ...], as_json: bool,
            show_fio: bool) -> None:
    """Show the cells a plan runs on TARGET: fio jobs, time, bytes written, wear."""
    plan = load_plan(plan_name, list(overrides))
    with open_session(target) as session:
        facts = plan_facts(session.facts)
        cells = expand_plan(plan, facts)
        run_dir = Path("results") / "RUN-ID"  # logs land here in a run; the id is not known yet
        jobs = {c.id: job_file(c, session.fio_target,
                               layout.cell_files(run_dir, session.target.name, c)[1])
                for c in cells if c.kind != "idle"}
    summary = summarise(cells, facts)
    if as_json:
        print_json({"target": target, "plan": plan.to_dict(), "facts": facts.to_dict(),
                    "summary": summary,
                    "cells": [dict(c.to_dict(), fio_job=jobs.get(c.id)) for c in cells]})
        return
    table = Table(title=f"plan {plan.name} on {target}")
    for column in ("cell", "rw", "bs", "offset", "QD", "jobs", "est. time", "est. written"):
        table.add_column(column)
    for c in cells:
        table.add_row(c.id, c.rw or c.kind, format_bytes(c.bs), format_bytes(c.offset),
                      str(c.iodepth or "-"), str(c.numjobs or "-"), f"{c.est_seconds:.0f} s",
                      format_bytes(c.est_bytes_written))
    console.print(table)
    share = summary["endurance_fraction"]
    console.print(f"{summary['cells']} cells, about {summary['est_seconds']:.0f} s,"
                  f" up to {format_bytes(summary['est_bytes_written'])} written"
                  + (f" ({share:.4%} of rated endurance)" if share is not None
                     else " (rated endurance unknown)"))
    if show_fio:
        for cell_id, text in jobs.items():
            console.print(f"\n# {cell_id}", highlight=False)
            console.print(text, highlight=False, markup=False)
