"""Criteria files: what parses, and one-line errors for everything malformed."""

from __future__ import annotations

import pytest

from nvmeprobe.errors import EXIT_USAGE, InputError
from nvmeprobe.qualify import load_criteria, parse_criteria
from nvmeprobe.qualify.criteria import DEFAULT_REGRESSION_METRICS

GOOD = """
plan = "mine.toml"
set = ["runtime=1s"]

[[criterion]]
name = "4 KiB random write IOPS at QD16"
metric = "iops"
where = { rw = "randwrite", bs = "4k", iodepth = [16, 32] }
min = 50000

[[criterion]]
metric = "media_bytes_written"
agg = "sum"
max = 1e9

[[criterion]]
name = "reported IU is the measured IU"
metric = "iu.inferred_bytes"
equals = "iu.reported_bytes"

[[criterion]]
metric = "iu.agrees"
equals = true

[regression]
tolerance = 0.05
metrics = ["iops", "slc.post_cache_bw"]
tolerances = { lat_p99_us = 0.25 }
"""


def test_a_full_file_parses(tmp_path):
    path = tmp_path / "criteria.toml"
    path.write_text(GOOD)
    criteria = load_criteria(path)
    assert criteria.plan == str(tmp_path / "mine.toml")
    assert criteria.overrides == ("runtime=1s",)
    first, wear, iu, agrees = criteria.criteria
    assert first.name == "4 KiB random write IOPS at QD16" and first.on_cells
    assert first.where == {"rw": ("randwrite",), "bs": (4096,), "iodepth": (16, 32)}
    assert (first.min, first.max, first.agg) == (50000, None, None)
    assert wear.name == "media_bytes_written" and wear.agg == "sum" and wear.max == 1e9
    assert not iu.on_cells and iu.equals == "iu.reported_bytes"
    assert agrees.equals is True
    rules = criteria.regression
    assert rules.metrics == ("iops", "slc.post_cache_bw", "lat_p99_us")
    assert rules.tolerance_for("iops") == 0.05 and rules.tolerance_for("lat_p99_us") == 0.25


def test_defaults_without_plan_or_regression():
    criteria = parse_criteria({"criterion": [{"metric": "bw_bytes", "min": 1}]})
    assert criteria.plan is None and criteria.overrides == ()
    assert criteria.regression.metrics == DEFAULT_REGRESSION_METRICS
    assert criteria.regression.tolerance_for("iops") == 0.10


def test_a_built_in_plan_name_is_kept_as_is(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('plan = "qd"\n[[criterion]]\nmetric = "iops"\nmin = 1\n')
    assert load_criteria(path).plan == "qd"


MALFORMED = [
    ('[[criterion]]\nmetric = "iopz"\nmin = 1', "unknown metric key 'iopz'"),
    ('[[criterion]]\nmetric = "iu.guessed"\nmin = 1', "unknown metric key 'iu.guessed'"),
    (
        '[[criterion]]\nmetric = "iops"\nwhere = { blocksize = 4096 }\nmin = 1',
        "unknown where column 'blocksize'",
    ),
    ('[[criterion]]\nname = "x"\nmetric = "iops"', "no min, max or equals"),
    ("[[criterion]]\nmin = 3", "no metric"),
    ('[[criterion]]\nmetric = "rw"\nequals = 1', "text column"),
    (
        '[[criterion]]\nmetric = "iu.inferred_bytes"\nwhere = { bs = 4096 }\nmin = 1',
        "where applies to cells",
    ),
    ('[[criterion]]\nmetric = "iops"\nagg = "p99"\nmin = 1', "agg 'p99'"),
    ('[[criterion]]\nmetric = "iu.inferred_bytes"\nagg = "mean"\nmin = 1', "agg 'mean'"),
    ('[[criterion]]\nmetric = "iops"\nmin = 10\nmax = 5', "min 10 is above max 5"),
    ('[[criterion]]\nmetric = "iops"\nmin = "fast"', "min = 'fast' is not a number"),
    ('[[criterion]]\nmetric = "iu.agrees"\nmin = 1', "use equals = true or false"),
    ('[[criterion]]\nmetric = "iu.agrees"\nequals = 1', "must be true or false"),
    ('[[criterion]]\nmetric = "iu.inferred_bytes"\nequals = "iu.measured"', "not an analysis key"),
    ('[[criterion]]\nmetric = "iu.inferred_bytes"\nequals = "iu.agrees"', "is a bool"),
    ('[[criterion]]\nmetric = "iops"\nequals = 3\nmin = 1', "cannot be combined"),
    ('[[criterion]]\nmetric = "iops"\nwhere = { bs = "4q" }\nmin = 1', "not a size"),
    ('[[criterion]]\nmetric = "iops"\nwhere = { iodepth = "deep" }\nmin = 1', "is not a number"),
    ('[[criterion]]\nmetric = "iops"\nwhere = { rw = [] }\nmin = 1', "empty list"),
    ('[[criterion]]\nmetric = "iops"\nmni = 1', "unknown key 'mni'"),
    ('planx = "smoke"\n[[criterion]]\nmetric = "iops"\nmin = 1', "unknown key 'planx'"),
    (
        '[[criterion]]\nmetric = "iops"\nmin = 1\n[regression]\ntolerance = -1',
        "must be a number >= 0",
    ),
    (
        '[[criterion]]\nmetric = "iops"\nmin = 1\n[regression]\nmetrics = ["speed"]',
        "unknown metric key 'speed'",
    ),
    (
        '[[criterion]]\nmetric = "iops"\nmin = 1\n[regression]\nmetrics = ["iu.agrees"]',
        "not numeric",
    ),
    (
        '[[criterion]]\nmetric = "iops"\nmin = 1\n[regression]\ntolerances = { lat = 0.1 }',
        "unknown metric key 'lat'",
    ),
    ('plan = "smoke"', "nothing to judge"),
    ('[[criterion]]\nmetric = "iops"\nmin = 1\nmin = 2', "malformed TOML"),
    ('[[criterion]\nmetric = "iops"', "line 1"),
]


@pytest.mark.parametrize("text,message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_criteria_are_one_line_input_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_criteria(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


def test_the_criterion_is_named_in_the_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[criterion]]\nmetric = "iops"\nmin = 1\n'
        '[[criterion]]\nname = "latency"\nmetric = "lat_p99_us"\nwhere = { qd = 1 }\nmax = 9'
    )
    with pytest.raises(InputError, match=r"criterion 2 \('latency'\): unknown where column 'qd'"):
        load_criteria(path)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such criteria file"):
        load_criteria(tmp_path / "absent.toml")
