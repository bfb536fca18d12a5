"""The simulated drive's pure parts: spec parsing, model semantics, data store, captures."""

from __future__ import annotations

import json
import math
import random

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.sim.identity import capture_files
from nvmeprobe.sim.model import DriveModel, iu_span, write_unit_time
from nvmeprobe.sim.presets import IDEALISED, PRESETS
from nvmeprobe.sim.spec import parse_spec
from nvmeprobe.sim.store import DataStore

KIB, MIB = 1024, 1024**2
SEED = random.SystemRandom().randrange(10**6)


# Spec parsing.


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_parse_and_name_the_model(name):
    params = parse_spec(name)
    assert params.model_name == f"nvmeprobe-sim {name}"
    assert len(params.serial) == 20
    assert parse_spec(f"sim:{name}") == params


def test_relative_behaviour_of_presets_is_realistic():
    tlc, qlc16, qlc64, liar = (
        parse_spec(n).truth() for n in ("tlc-4k", "qlc-16k", "qlc-64k", "liar-16k")
    )
    assert tlc["iu_bytes"] == 4 * KIB and tlc["slc_bytes"] == 0
    for qlc, iu in ((qlc16, 16 * KIB), (qlc64, 64 * KIB)):
        assert qlc["iu_bytes"] == iu and 128 * MIB <= qlc["slc_bytes"] <= 256 * MIB
        assert 3 <= qlc["in_cache_write_bw"] / qlc["native_write_bw"] <= 5
        assert tlc["native_write_bw"] / qlc["native_write_bw"] >= 3
    assert liar["iu_bytes"] == 16 * KIB and liar["reported_iu_bytes"] == 4 * KIB
    for name in IDEALISED:  # a cache fill at 128 KiB: long enough to watch live, still short
        truth = parse_spec(name).truth()
        if truth["slc_bytes"]:
            assert 5 <= truth["slc_bytes"] / truth["in_cache_write_bw"] < 10


def test_params_override_a_preset_and_custom_starts_from_defaults():
    params = parse_spec("preset=qlc-16k,slc=8m,noise=0.05")
    assert (params.preset, params.slc_bytes, params.noise, params.iu) == (
        "qlc-16k",
        8 * MIB,
        0.05,
        16 * KIB,
    )
    assert params.serial != parse_spec("qlc-16k").serial
    custom = parse_spec("iu=16k,slc=64m,prog_us=500,eio_lba=10-20")
    assert custom.model_name == "nvmeprobe-sim custom"
    assert (custom.iu, custom.reported_iu, custom.slc_bytes, custom.program_time) == (
        16 * KIB,
        16 * KIB,
        64 * MIB,
        500e-6,
    )
    assert custom.eio_lbas == (10, 20) and custom.store_bytes == custom.capacity
    assert parse_spec("iu=16k,report_iu=0").reported_iu is None


def test_a_preset_name_first_takes_overrides():
    params = parse_spec("sim:tlc-4k,eio_rate=0.5,units=4")
    assert (params.preset, params.eio_rate, params.units, params.lba) == ("tlc-4k", 0.5, 4, 512)
    assert params == parse_spec("preset=tlc-4k,eio_rate=0.5,units=4")
    silent = {**parse_spec("hot-tlc-silent").to_dict(), "preset": "hot-tlc"}
    assert parse_spec("hot-tlc,report=none").to_dict() == silent
    assert parse_spec("qlc-16k,slc=0").truth()["in_cache_write_bw"] is None


@pytest.mark.parametrize(
    "spec, words",
    [
        ("nosuch", "unknown sim preset"),
        ("iu=16k,colour=red", "unknown sim parameter 'colour'"),
        ("iu=16q", "iu='16q'"),
        ("iu=6k", "multiple of lba"),
        ("lba=1000", "power of two"),
        ("units=0", "units"),
        ("scale=0", "scale"),
        ("noise=nan", "noise"),
        ("prog_us=-5", "prog_us"),
        ("eio_lba=5", "eio_lba"),
        ("eio_lba=9-3", "eio_lba"),
        ("capacity=64m,lba=4096,hang_lba=0-16384", "hang_lba"),
        ("slc=8g", "slc"),
        ("iu=16k,iu=4k", "twice"),
        ("tlc-4k,preset=qlc-16k", "preset given twice"),
        ("nosuch,slc=1m", "unknown sim preset 'nosuch'"),
        ("tlc-4k,slc", "'slc': use key=value"),
        ("hot-tlc,report=some", "report"),
        ("heat=10,throttle_c=30", "throttle_c"),
        ("folding=8m", "needs an SLC cache"),
        ("slc_free=1.5", "slc_free"),
        ("capacity=256g,iu=4k,slc_free=0.1", "capacity / iu"),
        ("iu=", "key=value"),
        ("", "empty"),
    ],
)
def test_bad_specs_give_one_line_input_errors(spec, words):
    with pytest.raises(InputError) as err:
        parse_spec(spec)
    assert words in str(err.value) and "\n" not in str(err.value)


# Model semantics.


@pytest.mark.parametrize(
    "offset, length, expected",
    [
        (0, 16 * KIB, (0, 1, False, False)),
        (4 * KIB, 16 * KIB, (0, 2, True, True)),
        (4 * KIB, 4 * KIB, (0, 1, True, False)),
        (0, 4 * KIB, (0, 1, True, False)),
        (12 * KIB, 20 * KIB, (0, 2, True, False)),  # docs/field-notes.md section 8: 1.6x
        (32 * KIB, 48 * KIB, (2, 3, False, False)),
        (20 * KIB, 0, (1, 0, False, False)),
    ],
)
def test_iu_span(offset, length, expected):
    assert iu_span(offset, length, 16 * KIB) == expected


def _model(spec: str) -> DriveModel:
    return DriveModel(parse_spec(spec))


def test_media_bytes_equal_iu_rounded_host_writes():
    rng = random.Random(SEED)
    model = _model("iu=16k,lba=512,slc=1m")
    rounded = host = unaligned = rmw = 0
    for _ in range(2000):
        length = rng.randrange(1, 200) * 512
        offset = rng.randrange(0, 1000) * 512
        end = offset + length
        first, last = offset // (16 * KIB), -(-end // (16 * KIB))
        rounded += (last - first) * 16 * KIB
        host += length
        unaligned += bool(offset % (16 * KIB) or end % (16 * KIB))
        rmw += sum(
            1
            for iu in range(first, last)
            if not (offset <= iu * 16 * KIB and (iu + 1) * 16 * KIB <= end)
        )
        model.write(offset, length, 0.0)
    c = model.counters
    assert (c.media_bytes_written, c.host_bytes_written, c.unaligned_writes, c.rmw_count) == (
        rounded,
        host,
        unaligned,
        rmw,
    ), f"seed {SEED}"
    assert c.media_bytes_read == rmw * 16 * KIB


def test_slc_cache_is_consumed_then_writes_run_native_then_idle_refills_it():
    model = _model(
        "iu=16k,slc=64k,units=1,slc_prog_us=100,prog_us=400,rmw_us=50,fold=16k,fold_delay_us=1000"
    )
    t = 0.0
    for _ in range(4):  # 4 IUs fill the cache at 100 us each
        t = model.write(0, 16 * KIB, t)
    assert t == pytest.approx(400e-6) and model.cache_remaining == 0
    t = model.write(0, 16 * KIB, t)
    assert t == pytest.approx(800e-6)  # native
    assert model.counters.slc_bytes_written == 64 * KIB
    # idle 1 ms (the fold delay) + 2 s at 16 KiB/s: two IUs come back
    idle_end = t + 1e-3 + 2.0
    assert model.snapshot(idle_end)["cache_remaining_bytes"] == 32 * KIB
    finish = model.write(4 * KIB, 16 * KIB, idle_end)  # two IUs, both partial, both in cache
    assert finish - idle_end == pytest.approx(2 * (100e-6 + 50e-6))
    assert model.cache_remaining == 0


def test_no_folding_while_busy_or_within_the_fold_delay():
    model = _model("iu=16k,slc=64k,units=1,slc_prog_us=100,prog_us=400,fold=1g,fold_delay_us=1000")
    t = 0.0
    for _ in range(4):
        t = model.write(0, 16 * KIB, 0.0)  # queued back to back: busy until 400 us
    assert model.snapshot(t)["cache_remaining_bytes"] == 0
    assert model.snapshot(t + 0.9e-3)["cache_remaining_bytes"] == 0
    assert model.snapshot(t + 1.1e-3)["cache_remaining_bytes"] == 64 * KIB


def test_parallel_units_serve_requests_at_once_and_stripe_large_ones():
    model = _model("iu=4k,units=4,prog_us=100")
    finishes = [model.write(i * 4 * KIB, 4 * KIB, 0.0) for i in range(10)]
    assert finishes == pytest.approx([100e-6] * 4 + [200e-6] * 4 + [300e-6] * 2)
    striped = _model("iu=4k,units=4,prog_us=100")
    assert striped.write(0, 32 * KIB, 0.0) == pytest.approx(200e-6)  # 8 IUs over 4 units


def test_reads_cost_read_time_per_touched_iu():
    model = _model("iu=16k,units=1,read_us=80")
    assert model.read(8 * KIB, 16 * KIB, 0.0) == pytest.approx(160e-6)
    assert (
        model.counters.media_bytes_read == 32 * KIB and model.counters.host_bytes_read == 16 * KIB
    )


def test_noise_is_seeded_and_mean_one():
    times = [_model(f"iu=4k,units=1,prog_us=100,noise=0.2,seed={SEED}") for _ in range(2)]
    runs = [[m.write(0, 4 * KIB, 0.0) for _ in range(4000)] for m in times]
    assert runs[0] == runs[1]
    assert runs[0][-1] / (4000 * 100e-6) == pytest.approx(1.0, abs=0.03), f"seed {SEED}"
    assert len({round(b - a, 9) for a, b in zip(runs[0], runs[0][1:])}) > 100


def test_injected_errors_by_lba_range_and_rate():
    model = _model("lba=4096,eio_lba=100-101")
    assert not model.fails(99 * 4096, 4096)
    assert model.fails(98 * 4096, 3 * 4096)
    assert model.fails(101 * 4096, 4096)
    assert not model.fails(102 * 4096, 4096)
    assert model.counters.media_errors == 2
    rated = _model(f"eio_rate=0.1,seed={SEED}")
    failures = sum(rated.fails(0, 4096) for _ in range(5000))
    assert 350 < failures < 650, f"seed {SEED}"


def test_hung_lba_range_is_counted_and_keeps_other_drives_serials():
    model = _model("lba=4096,hang_lba=100-101")
    assert model.params.hang_lbas == (100, 101)
    assert [model.hangs(lba * 4096, 4096) for lba in (99, 100, 101, 102)] == [
        False,
        True,
        True,
        False,
    ]
    assert model.hangs(96 * 4096, 16 * 4096) and not model.hangs(100 * 4096, 0)
    assert model.counters.hung_commands == 3 and model.counters.media_errors == 0
    # hang_lba came after the first release: a drive without it keeps its old serial
    assert parse_spec("tlc-4k").serial == "NPS29781F7F472ACC958"
    assert parse_spec("preset=tlc-4k,hang_lba=1-2").serial != parse_spec("tlc-4k").serial
    assert parse_spec("preset=tlc-4k,hang_lba=1-2").to_dict()["hang_lbas"] == [1, 2]


def test_write_unit_time_is_the_cost_per_byte_at_full_load():
    params = parse_spec("qlc-16k")
    aligned = write_unit_time(params, 0, 16 * KIB, in_cache=False)
    misaligned = write_unit_time(params, 4 * KIB, 16 * KIB, in_cache=False)
    assert aligned == pytest.approx(8e-3)
    assert misaligned / aligned == pytest.approx(2 * (1000 + 100) / 1000)


# Data store.


def test_store_reads_zeros_until_written_and_keeps_partial_chunks():
    store = DataStore(1 * MIB)
    assert store.read(1000 * 512, 8192) == bytes(8192)
    store.write(512, b"a" * 1024)
    store.write(4096 - 512, b"b" * 1024)  # crosses a chunk boundary
    data = store.read(0, 8192)
    assert data[:512] == bytes(512) and data[512:1536] == b"a" * 1024
    assert data[3584:4608] == b"b" * 1024 and data[4608:] == bytes(8192 - 4608)
    assert store.stored_bytes == 8192


def test_store_is_bounded_and_refuses_whole_writes_beyond_it():
    store = DataStore(16 * KIB)
    assert store.write(0, b"x" * 16 * KIB)
    assert not store.write(16 * KIB, b"y" * 4096)
    assert store.read(16 * KIB, 4096) == bytes(4096)
    assert store.write(0, b"z" * 4096)  # overwriting needs no new memory
    assert store.stored_bytes == 16 * KIB


def test_store_drops_zero_chunks_and_trimmed_ones():
    store = DataStore(1 * MIB)
    store.write(0, b"q" * 16 * KIB)
    store.write(0, bytes(4096))
    assert store.stored_bytes == 12 * KIB
    store.trim(2048, 10 * KIB)  # whole chunks 1 and 2 only
    assert store.stored_bytes == 4 * KIB
    assert store.read(12 * KIB, 4096) == b"q" * 4096


# Captures in nvme-cli's formats.


def _state(stored_bytes: int = 0, **counts) -> dict:
    """A drive's state with `counts` as its counters, live and reported."""
    snapshot = DriveModel(parse_spec("qlc-16k")).snapshot(0.0)
    reported = {**snapshot["reported"], **counts}
    return {
        **snapshot,
        **counts,
        "reported": reported,
        "stored_bytes": stored_bytes,
        "model_time_s": 0.0,
    }


def test_captures_report_the_reported_iu_and_exact_counters():
    params = parse_spec("liar-16k")
    files = capture_files(
        params,
        _state(
            host_bytes_written=512_001,
            media_bytes_written=3 * 2**64 + 5,
            unaligned_starts=7,
            stored_bytes=8192,
        ),
    )
    assert set(files) == {
        "id-ctrl.json",
        "id-ns.json",
        "smart-log.json",
        "ocp-smart-add-log.json",
        "sysfs-queue.txt",
        "sysfs-size.txt",
        "kind.txt",
    }
    ctrl = json.loads(files["id-ctrl.json"])
    assert ctrl["mn"].strip() == "nvmeprobe-sim liar-16k" and len(ctrl["mn"]) == 40
    assert ctrl["sn"].strip() == params.serial and ctrl["psds"][0]["max_power"] == 2500
    ns = json.loads(files["id-ns.json"])
    assert (
        ns["nsfeat"] & 0x10 and ns["flbas"] == 0 and ns["lbafs"] == [{"ms": 0, "ds": 12, "rp": 0}]
    )
    assert [ns[k] for k in ("npwg", "npwa", "npdg", "npda", "nows", "noiob")] == [0, 0, 0, 0, 0, 0]
    assert ns["nsze"] == params.capacity // 4096 and ns["nuse"] == 2
    smart = json.loads(files["smart-log.json"])
    assert smart["data_units_written"] == "2"  # 512,001 bytes round up to 2 units of 512,000
    assert smart["temperature"] > 273 and smart["avail_spare"] == 100
    ocp = json.loads(files["ocp-smart-add-log.json"])
    assert ocp["Physical media units written"] == {"hi": 3, "lo": 5}
    assert ocp["Unaligned I/O"] == 7 and int(ocp["Endurance estimate"]) == 1000 * params.capacity
    queue = dict(line.split("=") for line in files["sysfs-queue.txt"].decode().split())
    assert queue == {
        "logical_block_size": "4096",
        "physical_block_size": "4096",
        "minimum_io_size": "4096",
        "optimal_io_size": "4096",
    }
    assert (
        files["sysfs-size.txt"] == f"{params.capacity}\n".encode() and files["kind.txt"] == b"nbd\n"
    )


def test_captures_for_a_64k_iu_and_for_a_drive_reporting_none():
    ns = json.loads(capture_files(parse_spec("qlc-64k"), _state())["id-ns.json"])
    assert (ns["npwg"], ns["nows"]) == (15, 15)
    files = capture_files(parse_spec("iu=16k,report_iu=0"), _state())
    ns = json.loads(files["id-ns.json"])
    assert ns["nsfeat"] == 0 and "npwg" not in ns and "nows" not in ns
    assert b"minimum_io_size=4096" in files["sysfs-queue.txt"]
    assert b"optimal_io_size=0" in files["sysfs-queue.txt"]


def test_percent_used_follows_media_writes_against_rated_endurance():
    params = parse_spec("qlc-16k")
    rated = params.pe_cycles * params.capacity
    smart = json.loads(
        capture_files(params, _state(media_bytes_written=math.ceil(rated * 0.42)))["smart-log.json"]
    )
    assert smart["percent_used"] == 42
