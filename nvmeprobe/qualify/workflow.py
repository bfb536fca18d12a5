"""The `qualify` workflow: run a plan (or take a profile), judge it, write JUnit XML.

`qualify` is what the command does once its options are parsed, usable from
Python as well: the CLI passes its live progress display as `run`; a script
leaves the default, `run_plan` (`execute_run`, or for a request with a
`host` the one-host `execute_remote_run`). A run that fails (or is refused) still
gives a qualification, judging nothing, with the run's summary and why, and
a JUnit file with one error, so CI shows why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError
from nvmeprobe.profile import read_profile
from nvmeprobe.profile.resolve import resolve_one, resolve_profiles
from nvmeprobe.qualify.criteria import Criteria
from nvmeprobe.qualify.evaluate import qualify_profile, qualify_profiles
from nvmeprobe.qualify.junit import junit_error_xml, junit_xml
from nvmeprobe.qualify.report import Qualification
from nvmeprobe.run.execute import RunFailed, RunOptions, RunSummary, execute_run
from nvmeprobe.run.hosts import HostSpec

RunPlan = Callable[[RunOptions], RunSummary]


@dataclass(frozen=True)
class QualifyRequest:
    """What to qualify: a plan run on `target`, or an existing `profile`; and how to report."""

    criteria: Criteria
    target: str | None = None
    profile: tuple[Path, ...] = ()  # profiles, run folders, drive folders, trees; runs nothing
    plan: str | None = None  # default: the criteria's plan, else smoke
    overrides: tuple[str, ...] = ()  # after the criteria's own
    destroy_data: tuple[str, ...] = ()
    results_dir: Path = Path("results")
    profiles_dir: Path = Path("profiles")
    baseline: Path | None = None
    junit_file: Path | None = None
    host: HostSpec | None = None  # run on this host (`run --host`); `target` is there


def check_request(request: QualifyRequest) -> None:
    """InputError unless exactly one of target and profile is given, and something to judge."""
    if request.target and request.profile:
        raise InputError("give a TARGET to run or --profile PROFILE to judge, not both")
    if not request.target and not request.profile:
        raise InputError(
            "qualify needs a TARGET to run a plan on (with --host: TARGET or"
            " --host HOST=TARGET), or --profile PROFILE to judge"
        )
    if not request.criteria.criteria and request.baseline is None:
        raise InputError(
            f"{request.criteria.source}: no [[criterion]]; give --baseline PROFILE to compare with"
        )
    if request.baseline is not None:
        read_profile(resolve_one(request.baseline, "--baseline"))


def write_junit(path: Path, text: str) -> None:
    """Write a JUnit document; InputError (one line) when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        raise InputError(f"cannot write JUnit file {path}: {err.strerror or err}") from None


def junit_document(result: Qualification) -> str:
    """The qualification as JUnit XML; one error case when nothing was judged."""
    if result.failure is None:
        return junit_xml(result)
    return junit_error_xml(
        result.target or "",
        str(result.failure),
        result.started,
        result.seconds,
        {"target": result.target, "criteria": result.criteria_file},
    )


def run_options(request: QualifyRequest) -> RunOptions:
    """What `run` is asked to do for the request's target (on its host, if it has one)."""
    criteria, host = request.criteria, request.host
    return RunOptions(
        target="" if host and host.target else request.target or "",
        plan=request.plan or criteria.plan or "smoke",
        overrides=criteria.overrides + request.overrides,
        destroy_data=request.destroy_data,
        results_dir=request.results_dir,
        profiles_dir=request.profiles_dir,
        hosts=(host,) if host else (),
    )


def run_plan(options: RunOptions) -> RunSummary:
    """Run the plan: here, or on its one host (that host's run as a one-target summary)."""
    if not options.remote:
        return execute_run(options)
    from nvmeprobe.run.remote import execute_remote_run  # only remote runs need it

    return execute_remote_run(options).hosts[0].summary()


def qualify(request: QualifyRequest, run: RunPlan = run_plan) -> Qualification:
    """Run (or take the profile), judge by the criteria and baseline, write JUnit if asked.

    A run that fails or is refused judges nothing: the result's `failure` says
    why and `run` holds the run's summary when there is one (its failed cells).
    """
    started, clock = datetime.now(UTC), time.monotonic()
    check_request(request)
    criteria, summary, plan = request.criteria, None, None
    baseline = None if request.baseline is None else resolve_one(request.baseline, "--baseline")
    if request.target:
        options = run_options(request)
        plan = options.plan
        try:
            summary = run(options)
        except ProbeError as err:
            summary = err.summary if isinstance(err, RunFailed) else None
            result = Qualification(
                profile=str(summary.profile) if summary else "",
                criteria_file=criteria.source,
                verdicts=[],
                failure=err,
            )
        else:
            result = qualify_profile(summary.profile, criteria, baseline)
    else:
        result = qualify_profiles(resolve_profiles(request.profile), criteria, baseline)
    result.started, result.seconds = started, time.monotonic() - clock
    if request.target:
        result.target, result.plan = request.target, plan
        result.run = summary.to_dict() if summary is not None else None
    if request.junit_file is not None:
        write_junit(request.junit_file, junit_document(result))
    return result


def raise_if_failed(result: Qualification) -> None:
    """The run's own error when it failed; else MeasurementFailed (exit 1) when any check
    failed, or nothing was judged."""
    if result.failure is not None:
        raise result.failure
    if not result.passed:
        raise MeasurementFailed(
            f"qualification failed: {len(result.failed)} of {len(result.verdicts)} checks failed"
            if result.verdicts
            else "qualification judged nothing"
        )


def raise_if_any_failed(results: list[Qualification]) -> None:
    """For several targets: one error naming every target that did not qualify.

    Its exit code is theirs when they share one (3: all refused), else 1.
    """
    failed = [r for r in results if not r.passed]
    if not failed:
        return
    codes = {
        r.failure.exit_code if r.failure is not None else MeasurementFailed.exit_code
        for r in failed
    }
    error = ProbeError(
        f"{len(failed)} of {len(results)} target(s) did not qualify: "
        + ", ".join(str(r.target) for r in failed)
    )
    error.exit_code = codes.pop() if len(codes) == 1 else MeasurementFailed.exit_code
    raise error
