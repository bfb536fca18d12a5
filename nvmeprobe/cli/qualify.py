"""`nvmeprobe qualify`: run a plan (or take a profile) and judge it by acceptance criteria."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from nvmeprobe.cli.output import Col, console, print_json, print_line, print_table
from nvmeprobe.cli.plan import set_option
from nvmeprobe.cli.run import (
    destroy_option,
    parallel_option,
    profiles_option,
    results_option,
    run_remote_with_progress,
    run_with_progress,
)
from nvmeprobe.errors import InputError
from nvmeprobe.qualify import Qualification, load_criteria
from nvmeprobe.qualify.judge import show
from nvmeprobe.qualify.junit import junit_merge
from nvmeprobe.qualify.verdict import Verdict
from nvmeprobe.qualify.workflow import (
    QualifyRequest,
    check_request,
    junit_document,
    qualify,
    raise_if_any_failed,
    raise_if_failed,
    run_options,
    write_junit,
)
from nvmeprobe.run.execute import RunOptions, RunSummary
from nvmeprobe.run.hosts import parse_host_spec
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


def _measured(verdict: Verdict) -> str:
    """The measured value; a fleet check's is the spread across drives."""
    if verdict.kind == "fleet" and verdict.value is not None:
        return f"spread {verdict.value:.1%}"
    return _value(verdict.metric, verdict.value)


def render(result: Qualification) -> None:
    """The human view: one row per verdict, then the outcome."""
    if result.failure is not None:
        console.print(f"[bold red]NOT JUDGED[/]: {result.target}: {result.failure}")
        return
    print_table(
        [
            Col("", keep=5),
            Col("check", key=True),
            Col("measured", keep=4),
            Col("expected", keep=3),
            Col("on", keep=1),
        ],
        [
            [
                "[bold green]PASS[/]" if v.passed else "[bold red]FAIL[/]",
                v.name,
                _measured(v),
                v.expected,
                v.basis,
            ]
            for v in result.verdicts
        ],
        title=f"qualify {result.target or result.profile}",
    )
    for note in result.notes:
        console.print(f"not compared: {note}", style="dim")
    outcome = "[bold green]PASSED[/]" if result.passed else "[bold red]FAILED[/]"
    console.print(
        f"{outcome}: {len(result.verdicts) - len(result.failed)} of {len(result.verdicts)}"
        " checks passed"
    )
    print_line(f"  profile: {result.profile}")


_RUN_ONLY = {
    "plan_name": "--plan",
    "overrides": "--set",
    "destroy_data": "--destroy-data",
    "results_dir": "--results",
    "profiles_dir": "--profiles",
    "host": "--host",
}
"""Options that only mean something when qualify runs a plan."""


def _check_profile_only(ctx: click.Context, target: str | None, profile: tuple[Path, ...]) -> None:
    """--profile runs nothing: refuse the options that only a run would use."""
    if profile and not target:  # both given: check_request refuses that
        given = [
            flag
            for name, flag in _RUN_ONLY.items()
            if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
        ]
        if given:
            raise InputError(
                f"--profile judges an existing profile and runs nothing; drop {', '.join(given)}"
            )


@click.command("qualify")
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option(
    "--criteria",
    "criteria_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The criteria file (TOML) to judge by.",
)
@click.option(
    "--profile",
    "profile",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Judge these existing profiles (files, run folders, drive folders or trees;"
    " repeatable) instead of running; writes nothing.",
)
@click.option(
    "--plan",
    "plan_name",
    default=None,
    help="Plan to run (default: the criteria file's `plan`, else smoke).",
)
@set_option
@destroy_option
@click.option(
    "--host",
    "host",
    metavar="ssh://[USER@]HOST[:PORT][=TARGET]",
    default=None,
    help="Run the plan on this host (as `run --host`) and judge its profile.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    default=None,
    help="A baseline profile: also fail on regressions beyond the tolerances.",
)
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the verdicts as JUnit XML to this file.",
)
@results_option
@profiles_option
@parallel_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object on stdout (a list of them for several targets).",
)
@click.pass_context
def command(
    ctx: click.Context,
    targets: tuple[str, ...],
    criteria_file: Path,
    profile: tuple[Path, ...],
    plan_name: str | None,
    overrides: tuple[str, ...],
    destroy_data: tuple[str, ...],
    host: str | None,
    baseline: Path | None,
    junit_file: Path | None,
    results_dir: Path,
    profiles_dir: Path,
    parallel: int | None,
    as_json: bool,
) -> None:
    """Run a plan on each TARGET (or take --profile) and judge it by --criteria.

    Exit 1 if anything fails. Several targets run at once (--parallel)."""
    criteria = load_criteria(criteria_file)
    spec = parse_host_spec(host) if host else None
    target = targets[0] if targets else (spec.target if spec else None)
    _check_profile_only(ctx, target, profile)
    request = QualifyRequest(
        criteria,
        target,
        profile,
        plan_name,
        overrides,
        destroy_data,
        results_dir,
        profiles_dir,
        baseline,
        junit_file,
        spec,
    )
    if len(targets) > 1:
        if spec is not None:
            raise InputError("--host runs one TARGET on one host; give one TARGET")
        _qualify_several(request, list(targets), parallel, as_json)
        return
    result = qualify(request, run=run_with_progress if spec is None else _on_host)
    if as_json:
        print_json(result.to_dict())  # also when the run failed: its summary says why
    elif result.failure is None:  # a failed run's error is the command's one line
        render(result)
    raise_if_failed(result)


def _on_host(options: RunOptions) -> RunSummary:
    """The plan on `--host` with a progress bar: that host's run as a one-target summary."""
    return run_remote_with_progress(options).hosts[0].summary()


def _qualify_several(
    request: QualifyRequest, targets: list[str], parallel: int | None, as_json: bool
) -> None:
    """Run every target at once, then judge each on its own profile."""
    from nvmeprobe.cli.run_many import DrivesInterrupted, run_drives
    from nvmeprobe.run.parallel import DriveRun, drive_options

    check_request(request)
    interrupted: DrivesInterrupted | None = None
    try:
        drives = run_drives(drive_options(run_options(request), targets, []), parallel)
    except DrivesInterrupted as stopped:  # judged as they are: a target cut short fails
        drives, interrupted = stopped.drives, stopped

    def replay(drive: DriveRun) -> Callable[[RunOptions], RunSummary]:
        def outcome(_: RunOptions) -> RunSummary:
            if drive.failure is not None:
                raise drive.failure
            assert drive.summary is not None  # a drive that did not fail has its summary
            return drive.summary

        return outcome

    results = [
        qualify(replace(request, target=d.target, junit_file=None), run=replay(d)) for d in drives
    ]
    if request.junit_file is not None:
        write_junit(request.junit_file, junit_merge([junit_document(r) for r in results]))
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        for result in results:
            render(result)
    if interrupted is not None:
        raise interrupted
    raise_if_any_failed(results)
