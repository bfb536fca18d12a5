"""The `qualify` workflow: run a plan (or take a profile), judge it, write JUnit XML.

`qualify` is what the command does once its options are parsed, usable from
Python as well: the CLI passes its live progress display as `run`; a script
leaves the default, `execute_run`. A run that fails before it measured
anything still leaves a JUnit file with one error, so CI shows why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nvmeprobe.analyze.store import profile_of
from nvmeprobe.errors import InputError, MeasurementFailed, ProbeError
from nvmeprobe.profile import read_profile
from nvmeprobe.qualify.criteria import Criteria
from nvmeprobe.qualify.evaluate import qualify_profile
from nvmeprobe.qualify.junit import junit_error_xml, junit_xml
from nvmeprobe.qualify.report import Qualification
from nvmeprobe.run.execute import RunOptions, RunSummary, execute_run

RunPlan = Callable[[RunOptions], RunSummary]


@dataclass(frozen=True)
class QualifyRequest:
    """What to qualify: a plan run on `target`, or an existing `profile`; and how to report."""

    criteria: Criteria
    target: str | None = None
    profile: Path | None = None          # a profile file or a run folder; runs nothing
    plan: str | None = None              # default: the criteria's plan, else smoke
    overrides: tuple[str, ...] = ()      # after the criteria's own
    destroy_data: tuple[str, ...] = ()
    results_dir: Path = Path("results")
    profiles_dir: Path = Path("profiles")
    baseline: Path | None = None
    junit_file: Path | None = None


def check_request(request: QualifyRequest) -> None:
    """InputError unless exactly one of target and profile is given, and something to judge."""
    if request.target and request.profile:
        raise InputError("give a TARGET to run or --profile PROFILE to judge, not both")
    if not request.target and not request.profile:
        raise InputError("qualify needs a TARGET to run a plan on, or --profile PROFILE to judge")
    if not request.criteria.criteria and request.baseline is None:
        raise InputError(f"{request.criteria.source}: no [[criterion]];"
                         f" give --baseline PROFILE to compare with")
    if request.baseline is not None:
        read_profile(request.baseline)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        raise InputError(f"cannot write JUnit file {path}: {err.strerror or err}") from None


def qualify(request: QualifyRequest, run: RunPlan = execute_run) -> Qualification:
    """Run (or take the profile), judge by the criteria and baseline, write JUnit if asked."""
    started, clock = datetime.now(timezone.utc), time.monotonic()
    check_request(request)
    criteria, summary, plan = request.criteria, None, None
    if request.target:
        plan = request.plan or criteria.plan or "smoke"
        options = RunOptions(target=request.target, plan=plan,
                             overrides=criteria.overrides + request.overrides,
                             destroy_data=request.destroy_data, results_dir=request.results_dir,
                             profiles_dir=request.profiles_dir)
        try:
            summary = run(options)
        except ProbeError as err:
            if request.junit_file is not None:
                _write(request.junit_file, junit_error_xml(
                    request.target, str(err), started, time.monotonic() - clock,
                    {"target": request.target, "criteria": criteria.source}))
            raise
        path = summary.profile
    else:
        assert request.profile is not None  # check_request: a target or a profile
        path = profile_of(request.profile)
    result = qualify_profile(path, criteria, request.baseline)
    result.started, result.seconds = started, time.monotonic() - clock
    if summary is not None:
        result.target, result.plan, result.run = request.target, plan, summary.to_dict()
    if request.junit_file is not None:
        _write(request.junit_file, junit_xml(result))
    return result


def raise_if_failed(result: Qualification) -> None:
    """MeasurementFailed (exit 1) when any check failed, or nothing was judged."""
    if not result.passed:
        raise MeasurementFailed(
            f"qualification failed: {len(result.failed)} of {len(result.verdicts)} checks failed"
            if result.verdicts else "qualification judged nothing")
