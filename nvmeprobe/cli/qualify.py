"""`nvmeprobe qualify`: run a plan (or take a profile) and judge it by acceptance criteria."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.table import Table

from nvmeprobe.analyze.store import profile_of
from nvmeprobe.cli.output import console, print_json
from nvmeprobe.cli.plan import set_option
from nvmeprobe.cli.run import destroy_option, profiles_option, results_option, run_with_progress
from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError
from nvmeprobe.profile import read_profile
from nvmeprobe.qualify import (Criteria, Qualification, junit_error_xml, junit_xml, load_criteria,
                               qualify_profile)
from nvmeprobe.qualify.judge import show
from nvmeprobe.run.execute import RunOptions
from nvmeprobe.units import format_bytes


def _value(metric: str, value: Any) -> str:
    """A measured value in the unit its name says: bytes, bytes/s, or a plain number."""
    if value is None or isinstance(value, bool):
        return show(value)
    if metric == "bw_bytes" or metric.endswith("_bw"):
        return f"{format_bytes(value)}/s"
    if metric.endswith("bytes") or metric.endswith("bytes_written"):
        return format_bytes(value)
    return show(value)


def render(result: Qualification) -> None:
    """The human view: one row per verdict, then the outcome."""
    table = Table(title=f"qualify {result.target or result.profile}", title_justify="left")
    for column in ("", "check", "measured", "expected", "on"):
        table.add_column(column)
    for v in result.verdicts:
        mark = "[bold green]PASS[/]" if v.passed else "[bold red]FAIL[/]"
        table.add_row(mark, v.name, _value(v.metric, v.value), v.expected, v.basis)
    console.print(table)
    for note in result.notes:
        console.print(f"not compared: {note}", style="dim")
    outcome = "[bold green]PASSED[/]" if result.passed else "[bold red]FAILED[/]"
    console.print(f"{outcome}: {len(result.verdicts) - len(result.failed)} of {len(result.verdicts)}"
                  f" checks passed; profile {result.profile}")


_RUN_ONLY = {"plan_name": "--plan", "overrides": "--set", "destroy_data": "--destroy-data",
             "results_dir": "--results", "profiles_dir": "--profiles"}
"""Options that only mean something when qualify runs a plan."""


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        raise InputError(f"cannot write JUnit file {path}: {err.strerror or err}") from None


def _check_arguments(ctx: click.Context, target: str | None, profile: Path | None,
                     criteria: Criteria, baseline: Path | None) -> None:
    if target and profile:
        raise InputError("give a TARGET to run or --profile PROFILE to judge, not both")
    if not target and not profile:
        raise InputError("qualify needs a TARGET to run a plan on, or --profile PROFILE to judge")
    if profile:
        given = [flag for name, flag in _RUN_ONLY.items()
                 if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT]
        if given:
            raise InputError(f"--profile judges an existing profile and runs nothing;"
                             f" drop {', '.join(given)}")
    if not criteria.criteria and baseline is None:
        raise InputError(f"{criteria.source}: no [[criterion]]; give --baseline PROFILE to compare with")
    if baseline is not None:
        read_profile(baseline)


def _run(target: str, criteria: Criteria, plan_name: str | None, overrides: tuple[str, ...],
         destroy_data: tuple[str, ...], results_dir: Path, profiles_dir: Path,
         ) -> tuple[Path, dict[str, Any], str]:
    plan = plan_name or criteria.plan or "smoke"
    options = RunOptions(target=target, plan=plan, overrides=criteria.overrides + overrides,
                         destroy_data=destroy_data, results_dir=results_dir,
                         profiles_dir=profiles_dir)
    summary = run_with_progress(options)
    return summary.profile, summary.to_dict(), plan


@click.command("qualify")
@click.argument("target", required=False)
@click.option("--criteria", "criteria_file", required=True, type=click.Path(path_type=Path),
              help="The criteria file (TOML) to judge by.")
@click.option("--profile", "profile", type=click.Path(path_type=Path), default=None,
              help="Judge this existing profile (or run folder) instead of running; writes nothing.")
@click.option("--plan", "plan_name", default=None,
              help="Plan to run (default: the criteria file's `plan`, else smoke).")
@set_option
@destroy_option
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="A baseline profile: also fail on regressions beyond the tolerances.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path), default=None,
              help="Also write the verdicts as JUnit XML to this file.")
@results_option
@profiles_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.pass_context
def command(ctx: click.Context, target: str | None, criteria_file: Path, profile: Path | None,
            plan_name: str | None, overrides: tuple[str, ...], destroy_data: tuple[str, ...],
            baseline: Path | None, junit_file: Path | None, results_dir: Path, profiles_dir: Path,
            as_json: bool) -> None:
    """Run a plan on TARGET (or take --profile) and judge it by --criteria; exit 1 if anything fails."""
    started, clock = datetime.now(timezone.utc), time.monotonic()
    criteria = load_criteria(criteria_file)
    _check_arguments(ctx, target, profile, criteria, baseline)
    run: dict[str, Any] | None = None
    if target:
        try:
            path, run, plan = _run(target, criteria, plan_name, overrides, destroy_data,
                                   results_dir, profiles_dir)
        except ProbeError as err:
            if junit_file is not None:
                _write(junit_file, junit_error_xml(target, str(err), started, time.monotonic() - clock,
                                                   {"target": target, "criteria": str(criteria_file)}))
            raise
    else:
        path = profile_of(profile)
    result = qualify_profile(path, criteria, baseline)
    result.started, result.seconds = started, time.monotonic() - clock
    if run is not None:
        result.target, result.plan, result.run = target, plan, run
    if junit_file is not None:
        _write(junit_file, junit_xml(result))
    if as_json:
        print_json(result.to_dict())
    else:
        render(result)
    if not result.passed:
        raise MeasurementFailed(f"qualification failed: {len(result.failed)} of {len(result.verdicts)}"
                                f" checks failed" if result.verdicts else "qualification judged nothing")
