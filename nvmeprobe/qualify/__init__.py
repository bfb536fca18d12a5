"""Qualification: judge a profile by acceptance criteria and against a baseline; JUnit XML.

Pure judging (`judge`, `compare_to_baseline`, `junit_xml`) is kept apart from
the one edge that reads profiles (`qualify_profile`). The whole command (run,
judge, JUnit) is `workflow.qualify`, imported on its own as it needs `run`.
"""

from nvmeprobe.qualify.criteria import (
    Criteria,
    Criterion,
    RegressionRules,
    load_criteria,
    parse_criteria,
)
from nvmeprobe.qualify.evaluate import qualify_profile
from nvmeprobe.qualify.judge import judge, judge_criterion
from nvmeprobe.qualify.junit import junit_error_xml, junit_merge, junit_xml
from nvmeprobe.qualify.regression import compare_to_baseline
from nvmeprobe.qualify.report import Qualification
from nvmeprobe.qualify.verdict import Verdict

__all__ = [
    "Criteria",
    "Criterion",
    "RegressionRules",
    "load_criteria",
    "parse_criteria",
    "qualify_profile",
    "judge",
    "judge_criterion",
    "junit_error_xml",
    "junit_merge",
    "junit_xml",
    "compare_to_baseline",
    "Qualification",
    "Verdict",
]
