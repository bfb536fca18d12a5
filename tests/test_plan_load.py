"""Plans: built-ins, TOML validation with one-line errors, and --set overrides."""

from __future__ import annotations

import textwrap

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.plan import (
    TargetFacts,
    builtin_names,
    expand_plan,
    load_plan,
    parse_plan_text,
    summarise,
)
from nvmeprobe.plan.overrides import parse_value

GIB, TIB = 1024**3, 1024**4
FACTS = [
    TargetFacts(GIB, 512),
    TargetFacts(GIB, 4096),
    TargetFacts(4 * TIB, 512, 16384, 7 * 1000**5, 2e9),
    TargetFacts(4 * TIB, 4096),
]
EXPECTED = {"smoke", "iu", "slc", "qd", "snia-iops", "qualify"}


def plan_from(text: str, overrides: list[str] | None = None):
    return parse_plan_text(textwrap.dedent(text), "test.toml", "test", overrides or [])


def error_of(
    text: str, facts: TargetFacts | None = None, overrides: list[str] | None = None
) -> str:
    with pytest.raises(InputError) as info:
        plan = plan_from(text, overrides)
        expand_plan(plan, facts or TargetFacts(GIB, 512))
    message = str(info.value)
    assert "\n" not in message
    return message


MATRIX = """\
[[stage]]
kind = "matrix"
name = "m"
rw = "randwrite"
bs = ["4k", "16k"]
"""


def test_builtin_names():
    assert set(builtin_names()) >= EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("facts", FACTS, ids=["1g-512", "1g-4k", "4t-512", "4t-4k"])
def test_builtin_plans_load_and_expand(name, facts):
    plan = load_plan(name, [])
    cells = expand_plan(plan, facts)
    assert cells and len({c.id for c in cells}) == len(cells)
    for cell in cells:
        if cell.kind == "idle":
            continue
        assert cell.bs % facts.logical_block_size == 0
        assert 0 <= cell.offset < cell.bs and cell.offset % facts.logical_block_size == 0
        assert cell.offset + cell.region_bytes <= facts.capacity_bytes
        assert cell.region_bytes % cell.bs == 0
    summary = summarise(cells, facts)
    assert summary["cells"] == len(cells)
    assert (summary["endurance_fraction"] is None) == (facts.rated_endurance_bytes is None)


def test_smoke_is_short_on_a_loop_device():
    cells = expand_plan(load_plan("smoke", []), TargetFacts(GIB, 512))
    assert [(c.rw, c.bs, c.iodepth) for c in cells] == [
        ("randwrite", 4096, 1),
        ("randwrite", 4096, 16),
        ("randread", 4096, 1),
        ("randread", 4096, 16),
        ("write", 131072, 8),
    ]
    assert summarise(cells, TargetFacts(GIB, 512))["est_seconds"] < 30


def test_iu_sweep_adapts_to_lba_size():
    small = expand_plan(load_plan("iu", []), TargetFacts(GIB, 512))
    big = expand_plan(load_plan("iu", []), TargetFacts(GIB, 4096))
    pairs = {(c.bs, c.offset) for c in small if c.stage == "rmw"}
    assert (512, 0) in pairs and (4096, 512) in pairs and (16384, 4096) in pairs
    assert max(bs for bs, _ in pairs) >= 256 * 1024
    big_pairs = {(c.bs, c.offset) for c in big if c.stage == "rmw"}
    assert min(bs for bs, _ in big_pairs) == 4096
    assert {off for _, off in big_pairs} == {0, 4096}
    assert small[0].kind == "precondition" and small[0].size_bytes == small[0].region_bytes


def test_snia_iops_matrix_and_rounds():
    plan = load_plan("snia-iops", [])
    stage = plan.stage("iops")
    assert (stage.rounds_max, stage.steady_window, stage.steady_metric) == (25, 5, "iops")
    cells = expand_plan(plan, TargetFacts(4 * TIB, 512))
    pre, rounds = cells[0], cells[1:]
    assert pre.rw == "write" and pre.bs == 131072 and pre.size_bytes == 2 * 4 * TIB
    assert len(rounds) == 56 and {c.round for c in rounds} == {1}
    assert {c.bs for c in rounds} == {512, 4096, 8192, 16384, 32768, 65536, 131072, 1048576}
    assert [c.rwmixread for c in rounds[::8]] == [100, 95, 65, 50, 35, 5, 0]
    assert [c.bs for c in rounds[:2]] == [1048576, 131072]
    tracked = [c for c in rounds if c.steady_track]
    assert [(c.bs, c.rwmixread) for c in tracked] == [(4096, 0)]
    assert len(expand_plan(plan, TargetFacts(4 * TIB, 4096))) == 1 + 49


def test_slc_plan_has_burst_idle_burst_and_confirmation():
    cells = expand_plan(load_plan("slc", []), TargetFacts(GIB, 512))
    assert [c.kind for c in cells] == ["sustained", "idle", "sustained", "idle", "sustained"]
    burst = cells[0]
    assert burst.logs and burst.stop_on_drop and burst.bs == 131072 and burst.rw == "write"
    assert burst.log_avg_msec == 10 and burst.size_bytes == int(0.4 * GIB) // 131072 * 131072
    assert cells[1].idle_s == 60 and cells[1].est_seconds == 60
    assert cells[2].follows == "burst1" and cells[2].rate_share is None
    assert cells[4].follows == "burst1" and cells[4].rate_share == pytest.approx(0.45)


@pytest.mark.parametrize(
    "stage, error",
    [
        ('follows = "later"', "is not an earlier sustained stage"),
        ('rate = "45%"', "rate needs follows"),
        ('follows = "b1"\nrate = "95%"', "from 5% to 90%"),
        ('follows = "b1"\nrate = 0.45', "percentage"),
    ],
)
def test_follows_and_rate_are_checked(stage, error):
    text = (
        f'name = "x"\n[[stage]]\nkind = "sustained"\nname = "b1"\nsize = "1%"\n'
        f'[[stage]]\nkind = "sustained"\nname = "b2"\nsize = "1%"\n{stage}\n'
    )
    with pytest.raises(InputError, match=error):
        parse_plan_text(text, "x", "x")


def test_qualify_contains_precondition_iu_slc_qd():
    stages = [s.kind for s in load_plan("qualify", []).stages]
    assert stages[0] == "precondition" and "sustained" in stages and "idle" in stages
    assert stages.count("matrix") >= 2


# --- overrides --------------------------------------------------------------


def test_global_runtime_override_applies_to_every_timed_stage():
    plan = load_plan("qualify", ["runtime=1s"])
    for stage in plan.stages:
        if "runtime" in stage.params:
            assert stage.params["runtime"] == 1.0
    assert plan.stage("rest").params["runtime"] == 1.0
    assert plan.stage("fill").params["size"] == "1x"


def test_stage_override_and_lists():
    plan = load_plan(
        "iu", ["stage.rmw.bs=[4k,16k]", "stage.rmw.offset=[0, 4k]", "stage.rmw.iodepth=32"]
    )
    stage = plan.stage("rmw")
    assert stage.params["bs"] == [4096, 16384] and stage.params["offset"] == [0, 4096]
    assert stage.params["iodepth"] == [32]
    assert load_plan("iu", []).stage("rmw").params["iodepth"] == [8]


def test_override_of_a_table_key():
    plan = load_plan("snia-iops", ["stage.iops.steady_cell.bs=8k", "fio.rate_iops=1000"])
    assert plan.stage("iops").params["steady_cell"] == {"bs": 8192, "rwmixread": 0}
    assert plan.stage("wipc").params["fio"] == {"rate_iops": "1000"}


@pytest.mark.parametrize(
    "text, value",
    [
        ("2s", "2s"),
        ("8", 8),
        ("true", True),
        ('"16k"', "16k"),
        ("[1, 8, 32]", [1, 8, 32]),
        ("[4k,16k]", ["4k", "16k"]),
        ("[0, 4k]", [0, "4k"]),
        ("25%", "25%"),
        ("0.5", 0.5),
    ],
)
def test_override_values(text, value):
    assert parse_value(text, "k=" + text) == value


@pytest.mark.parametrize(
    "setting, fragment",
    [
        ("bogus=1", "no stage of plan iu has key 'bogus'"),
        ("stage.nope.bs=4k", "has no stage 'nope'"),
        ("stage.rmw.kind=idle", "cannot be overridden"),
        ("runtime", "use KEY=VALUE"),
        ("stage.rmw.bs=4q", "not a size"),
        ("stage.rmw.bsz=4k", "unknown key 'bsz'"),
        ("runtime=2 s;x", "not a TOML value"),
    ],
)
def test_override_errors(setting, fragment):
    with pytest.raises(InputError) as info:
        load_plan("iu", [setting])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_size_override_skips_time_based_stages():
    plan = load_plan("slc", ["size=10%"])
    assert [s.params.get("size") for s in plan.stages] == ["10%", None, "10%", None, "10%"]


# --- validation: one-line errors -------------------------------------------


def test_unknown_key_names_key_and_stage():
    message = error_of(MATRIX + 'bsz = "4k"\n')
    assert message.startswith("plan test.toml, stage 'm' (matrix): unknown key 'bsz'")


def test_unknown_top_level_key():
    assert "unknown top-level key 'stages'" in error_of("stages = 1\n" + MATRIX)


def test_bs_not_multiple_of_lba():
    message = error_of(MATRIX.replace('"4k"', '"6k"'), TargetFacts(GIB, 4096))
    assert (
        message == "plan test, stage 'm' (matrix): bs 6144 is not a multiple of the LBA size 4096"
    )


def test_bs_not_multiple_of_lba_with_512_lba():
    assert "bs 1000 is not a multiple of the LBA size 512" in error_of(
        MATRIX.replace('"4k"', "1000")
    )


def test_offset_not_below_bs():
    message = error_of(MATRIX + 'offset = [0, "16k"]\n')
    assert message.endswith(
        "offset 16384 is not below any bs (alignment offset must be 0 <= offset < bs)"
    )


def test_offset_not_multiple_of_lba():
    assert "offset 512 is not a multiple of the LBA size 4096" in error_of(
        MATRIX + "offset = [0, 512]\n", TargetFacts(GIB, 4096)
    )


def test_offset_pairs_at_or_above_bs_are_skipped():
    cells = expand_plan(plan_from(MATRIX + 'offset = [0, "4k"]\n'), TargetFacts(GIB, 512))
    assert [(c.bs, c.offset) for c in cells] == [(4096, 0), (16384, 0), (16384, 4096)]


def test_region_larger_than_target():
    message = error_of(MATRIX + 'region = "2g"\n')
    assert message.endswith("region 2 GiB is larger than the target (1 GiB)")
    assert "larger than the target" in error_of(MATRIX + 'region = "150%"\n')


def test_size_larger_than_region():
    text = MATRIX + 'size = "2g"\n'
    assert "size 2 GiB is larger than the region 1 GiB" in error_of(text)
    assert (
        expand_plan(plan_from(MATRIX + 'size = "2x"\n'), TargetFacts(GIB, 512))[0].size_bytes
        == 2 * GIB
    )


def test_region_too_small_for_one_io():
    assert "too small" in error_of(MATRIX + 'region = "8k"\n')


@pytest.mark.parametrize(
    "line, fragment",
    [
        ('bs = "16q"', "bs = '16q' is not a size"),
        ("bs = -4096", "bs = -4096 must be positive"),
        ("bs = 0", "must be positive"),
        ('runtime = "5 parsecs"', "runtime = '5 parsecs' is not a duration"),
        ('runtime = "0s"', "runtime = '0s' must be positive"),
        ('runtime = "1.0005s"', "finer than a millisecond"),
        ("iodepth = 0", "iodepth = 0 must be between 1 and 65536"),
        ('rw = "randomwrite"', "rw = 'randomwrite' must be one of"),
        ('region = "abc%"', "is not a size"),
        ("logs = 1", "logs = 1 must be true or false"),
    ],
)
def test_bad_values(line, fragment):
    text = MATRIX.replace('rw = "randwrite"\n', "") if line.startswith("rw") else MATRIX
    text = text.replace('bs = ["4k", "16k"]\n', "") if line.startswith("bs") else text
    assert fragment in error_of(text + line + "\n")


def test_unknown_stage_kind():
    message = error_of('[[stage]]\nkind = "warmup"\nname = "w"\n')
    assert message == (
        "plan test.toml, stage 'w' (warmup): unknown stage kind 'warmup'"
        " (known: precondition, matrix, sustained, idle, adaptive)"
    )


def test_malformed_toml_has_line_number():
    message = error_of(MATRIX + "iodepth = = 1\n")
    assert message.startswith("plan test.toml: malformed TOML:") and "line 6" in message


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "needs at least one [[stage]] table"),
        ('[[stage]]\nname = "x"\n', "missing key 'kind'"),
        ('[[stage]]\nkind = "matrix"\nname = "Bad Name"\nrw = "read"\nbs = 4096\n', "name must be"),
        (MATRIX + MATRIX, "two stages are named 'm'"),
        (MATRIX + 'runtime = "2s"\nsize = "1g"\n', "not both"),
        (MATRIX + "rwmixread = 70\n", "rwmixread needs a mixed rw"),
        (MATRIX + "rounds = 3\n", "needs steady_cell"),
        (MATRIX + "steady_window = 3\n", "steady_window needs rounds"),
        (MATRIX + 'rounds = 3\nsteady_cell = { bs = "8k" }\n', "matches no cell"),
        (MATRIX + "rounds = 3\nsteady_cell = { qd = 1 }\n", "unknown dimension 'qd'"),
        ('[[stage]]\nkind = "idle"\nname = "i"\n', "missing key 'runtime'"),
        ('[[stage]]\nkind = "sustained"\nname = "s"\n', "missing key 'size'"),
        (
            MATRIX + 'fio = { exec_prerun = "touch /tmp/pwned" }\n',
            "fio option 'exec_prerun' is not allowed",
        ),
    ],
)
def test_structural_errors(text, fragment):
    assert fragment in error_of(text)


def test_unknown_plan_name():
    with pytest.raises(InputError, match="unknown plan 'nosuch'"):
        load_plan("nosuch", [])


def test_plan_from_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(MATRIX))
    plan = load_plan(str(path), ["runtime=3s"])
    assert plan.name == "mine" and plan.stage("m").params["runtime"] == 3.0
    bad = tmp_path / "bad.toml"
    bad.write_text("[[stage]\n")
    with pytest.raises(InputError, match=r"^plan .*bad.toml: malformed TOML: .*line 1"):
        load_plan(str(bad), [])


def test_plan_name_must_be_safe(tmp_path):
    path = tmp_path / "My Plan.toml"
    path.write_text(MATRIX)
    with pytest.raises(InputError, match="plan name 'My Plan' must be"):
        load_plan(str(path), [])
    assert "must be >= 0" in error_of(MATRIX + "offset = -512\n")
