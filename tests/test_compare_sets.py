"""`compare A/ B/` on two sets of drives, the statistics behind it, and qualify's `spread_max`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_report_support import write_synthetic

import nvmeprobe.cli as cli
from nvmeprobe.analyze.spread import (
    MANN_WHITNEY,
    POOLED_MAD,
    TOO_FEW,
    distribution,
    rank_test_possible,
    set_difference,
)


@pytest.fixture
def cli_main(monkeypatch):
    extra = tuple(c for c in ("compare", "qualify") if c not in cli.COMMANDS)
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + extra)
    return cli.main


def _fleet(root: Path, scales: list[float], firmware: str, prefix: str) -> Path:
    for index, scale in enumerate(scales):
        serial = f"{prefix}{index}"
        write_synthetic(
            root / f"SYNTH-QLC_{serial}" / f"run-{serial}.parquet",
            serial=serial,
            scale=float(scale),
            firmware=firmware,
            series=False,
        )
    return root


def _compare(cli_main, a: Path, b: Path) -> dict:
    result = CliRunner().invoke(cli_main, ["compare", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _iops_rows(doc: dict) -> list[dict]:
    return [row for row in doc["cells"] if row["metric"] == "iops"]


def test_rank_test_needs_enough_drives_to_reach_p_05():
    assert not any(rank_test_possible(a, b) for a, b in ((3, 3), (3, 4), (2, 7)))
    assert rank_test_possible(4, 4) and rank_test_possible(3, 5) and rank_test_possible(2, 8)


def test_outliers_beyond_three_mads_are_named():
    found = distribution({"a": 100.0, "b": 101.0, "c": 99.0, "d": 100.5, "e": 70.0})
    assert found.outliers == ["e"] and found.median == 100.0 and found.min == 70.0
    assert distribution({"a": 100.0, "b": 101.0, "c": 99.0}).outliers == []
    # most drives identical: the MAD floor (1% of the median) keeps a 2% drive in, flags a 50% one
    assert distribution({"a": 8.0, "b": 8.0, "c": 8.0, "d": 8.16}).outliers == []
    assert distribution({"a": 8.0, "b": 8.0, "c": 8.0, "d": 4.0}).outliers == ["d"]


def test_outlier_rule_on_random_fleets():
    """1000 random fleets of 6-24 drives, normal drive-to-drive spread of 0.5-4%: a drive 12 or
    more sigma away (up to 60%) is always named; ordinary drives are named rarely by chance
    (about 2% of them, measured; the README gives the rates)."""
    rng = np.random.default_rng(2026)
    flagged = drives = 0
    for _ in range(1000):
        n, sigma = int(rng.integers(6, 25)), rng.uniform(0.005, 0.04)
        values = {f"d{i}": float(1 + rng.normal(0, sigma)) for i in range(n)}
        flagged += len(distribution(values).outliers)
        drives += n
        bad = f"d{rng.integers(n)}"
        values[bad] = float(1 + rng.choice([-1, 1]) * rng.uniform(12 * sigma, 0.6))
        assert bad in distribution(values).outliers
    assert flagged / drives < 0.04


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_firmware_sets_a_real_drop_is_found_and_equal_sets_are_not(cli_main, tmp_path, seed):
    """Randomised fleets: 4-6 drives a side with 0-3% drive-to-drive spread; B either slower by
    12-30% or drawn from A's distribution."""
    rng = np.random.default_rng(seed)
    n_a, n_b = rng.integers(4, 7, size=2)
    jitter = rng.uniform(0.005, 0.03)
    drop = rng.uniform(0.12, 0.30)
    fw_a = _fleet(tmp_path / "fwA", list(1 + rng.uniform(-jitter, jitter, n_a)), "FW1", "A")
    slower = (1 - drop) * (1 + rng.uniform(-jitter, jitter, n_b))
    fw_b = _fleet(tmp_path / "fwB", list(slower), "FW2", "B")
    same = _fleet(tmp_path / "same", list(1 + rng.uniform(-jitter, jitter, n_b)), "FW1", "C")

    worse = _compare(cli_main, fw_a, fw_b)
    assert worse["a"]["drives"] == [f"A{i}" for i in range(n_a)]
    assert worse["b"]["firmware"] == ["FW2"]
    rows = _iops_rows(worse)
    assert rows and all(r["test"] == MANN_WHITNEY for r in rows)
    assert all((r["n_a"], r["n_b"]) == (n_a, n_b) for r in rows)
    assert all(r["beyond_noise"] and r["verdict"] == "worse" and r["p_value"] <= 0.05 for r in rows)
    assert all(r["change"] == pytest.approx(-drop, abs=jitter * 2 + 0.01) for r in rows)

    equal = _compare(cli_main, fw_a, same)
    assert equal["summary"]["cell_values_beyond_noise"] == 0
    assert all(r["test"] == MANN_WHITNEY for r in _iops_rows(equal))


def test_small_sets_say_which_test_and_too_few_drives(cli_main, tmp_path):
    two_a = _fleet(tmp_path / "a2", [1.0, 1.01], "FW1", "A")
    two_b = _fleet(tmp_path / "b2", [0.8, 0.81], "FW2", "B")
    pooled = _iops_rows(_compare(cli_main, two_a, two_b))
    assert all(r["test"] == POOLED_MAD and r["beyond_noise"] for r in pooled)
    noisy_b = _fleet(tmp_path / "b2noisy", [0.6, 1.1], "FW2", "N")
    assert not any(r["beyond_noise"] for r in _iops_rows(_compare(cli_main, two_a, noisy_b)))
    one = tmp_path / "a2" / "SYNTH-QLC_A0"
    few = _compare(cli_main, one, two_b)
    assert all(
        r["test"] == TOO_FEW and r["n_a"] == 1 and r["beyond_noise"] for r in _iops_rows(few)
    )
    text = CliRunner().invoke(cli_main, ["compare", str(one), str(two_b)])
    assert text.exit_code == 0 and "tested by: too few drives (" in text.output


def test_set_difference_without_values_on_a_side():
    assert set_difference([], [1.0]) is None
    found = set_difference([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0])
    assert found.test == MANN_WHITNEY and found.p_value == 1.0 and not found.beyond_spread


CRITERIA = """
[[criterion]]
name = "4k random write IOPS spread"
metric = "iops"
where = { rw = "randwrite", bs = "4k", iodepth = 16, offset = 0 }
spread_max = 0.10

[[criterion]]
name = "IU spread"
metric = "iu.inferred_bytes"
spread_max = 0

[[criterion]]
name = "4k random write IOPS"
metric = "iops"
where = { rw = "randwrite", bs = "4k", iodepth = 16, offset = 0 }
min = 1
"""


def test_qualify_gates_on_the_spread_across_drives(cli_main, tmp_path):
    criteria = tmp_path / "fleet.toml"
    criteria.write_text(CRITERIA)
    tight = _fleet(tmp_path / "tight", [1.0, 1.03, 0.98], "FW1", "T")
    result = CliRunner().invoke(
        cli_main, ["qualify", "--profile", str(tight), "--criteria", str(criteria), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    fleet = [v for v in doc["verdicts"] if v["kind"] == "fleet"]
    assert [v["name"] for v in fleet] == ["4k random write IOPS spread", "IU spread"]
    assert fleet[0]["value"] == pytest.approx(0.05, rel=1e-3) and fleet[1]["value"] == 0
    assert len(doc["verdicts"]) == 5 and len(doc["profiles"]) == 3
    assert doc["verdicts"][0]["name"].startswith("T0 run-T0: ")

    _fleet(tmp_path / "tight", [0.7], "FW1", "X")  # a fourth, slow drive joins the fleet
    failed = CliRunner().invoke(
        cli_main, ["qualify", "--profile", str(tight), "--criteria", str(criteria), "--json"]
    )
    assert failed.exit_code == 1
    spread = json.loads(failed.stdout)["verdicts"][-2]
    assert not spread["passed"] and "outliers: X0" in spread["message"]

    single = CliRunner().invoke(
        cli_main,
        [
            "qualify",
            "--profile",
            str(tight / "SYNTH-QLC_T0"),
            "--criteria",
            str(criteria),
            "--json",
        ],
    )
    assert single.exit_code == 1
    verdicts = json.loads(single.stdout)["verdicts"]
    assert "needs two or more drives" in verdicts[-1]["message"] and verdicts[0]["passed"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("metric = 'iops'\nspread_max = 0.1\nmin = 5", "put min, max or equals in a criterion"),
        ("metric = 'iops'\nspread_max = -1", "spread_max = -1 must be a number >= 0"),
        ("metric = 'slc.detected'\nspread_max = 0.1", "spread_max needs a numeric metric"),
    ],
)
def test_bad_spread_max_is_one_line(cli_main, tmp_path, text, message):
    criteria = tmp_path / "bad.toml"
    criteria.write_text("[[criterion]]\n" + text + "\n")
    result = CliRunner().invoke(
        cli_main, ["qualify", "--profile", str(tmp_path), "--criteria", str(criteria)]
    )
    assert result.exit_code == 2 and message in result.output
