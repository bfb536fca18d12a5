"""fio jobs: argument lists and INI files say what the cell says; real fio
puts every IO where the cell says; nothing can be injected."""

from __future__ import annotations

import configparser
import dataclasses
import json
import shutil
import subprocess
import time

import pytest
from fio_iolog import iolog_writes

from nvmeprobe.errors import InputError
from nvmeprobe.plan import (
    Cell,
    TargetFacts,
    expand_plan,
    fio_args,
    job_file,
    job_options,
    load_plan,
    parse_plan_text,
)
from nvmeprobe.targets import parse_target
from nvmeprobe.tools import run_tool

GIB, MIB = 1024**3, 1024**2
FACTS = TargetFacts(GIB, 512)
needs_fio = pytest.mark.skipif(shutil.which("fio") is None, reason="fio not installed")


def one_cell(text: str, facts: TargetFacts = FACTS, overrides: list[str] | None = None) -> Cell:
    cells = expand_plan(parse_plan_text(text, "t.toml", "t", overrides or []), facts)
    return cells[-1]


def matrix(extra: str = "", rw: str = "randwrite", bs: str = '"16k"') -> str:
    """A one-stage matrix plan; without logs unless `extra` says (they need a log prefix)."""
    logs = "" if "logs" in extra else "logs = false\n"
    return f'[[stage]]\nkind = "matrix"\nname = "m"\nrw = "{rw}"\nbs = {bs}\n{logs}{extra}'


@pytest.fixture
def file_target(tmp_path):
    return parse_target(str(tmp_path / "disk.img"), must_exist=False)


def parse_job(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(allow_no_value=True, delimiters=("=",), interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser


def test_job_file_and_args_say_what_the_cell_says(file_target, tmp_path):
    cell = one_cell(
        matrix(
            'offset = "4k"\niodepth = 8\nruntime = "3s"\nramp = "1500ms"\nlogs = true\n'
            "log_avg_msec = 250\nfio = { rate_iops = 900 }\n"
        )
    )
    prefix = tmp_path / "logs" / "cell"
    section = parse_job(job_file(cell, file_target, prefix))[cell.id]
    expected = {
        "ioengine": "io_uring",
        "filename": file_target.path,
        "direct": "1",
        "rw": "randwrite",
        "bs": "16384",
        "offset": "4096",
        "size": str(cell.region_bytes),
        "iodepth": "8",
        "numjobs": "1",
        "blockalign": "16384",
        "norandommap": None,
        "randrepeat": "0",
        "time_based": None,
        "runtime": "3s",
        "ramp_time": "1500ms",
        "write_bw_log": str(prefix),
        "write_iops_log": str(prefix),
        "write_lat_log": str(prefix),
        "log_avg_msec": "250",
        "rate_iops": "900",
        "group_reporting": None,
        "random_generator": "tausworthe64",
    }
    assert dict(section) == expected
    assert cell.region_bytes == (GIB - 4096) // 16384 * 16384
    args = fio_args(cell, file_target, tmp_path / "out.json", prefix, None)
    assert args[:3] == [
        "--output-format=json+",
        f"--output={tmp_path / 'out.json'}",
        f"--name={cell.id}",
    ]
    from_args = dict((a[2:].split("=", 1) + [None])[:2] for a in args[3:])
    assert from_args == expected


def test_size_based_sequential_multi_job_splits_region(file_target):
    cell = one_cell(matrix('numjobs = 4\nsize = "64m"\nregion = "256m"\n', rw="write", bs='"128k"'))
    options = dict(job_options(cell, file_target))
    assert options["size"] == options["offset_increment"] == str(64 * MIB)
    assert options["io_size"] == str(16 * MIB) and "time_based" not in options
    assert "norandommap" not in options and "blockalign" not in options


def test_mixed_cell_and_engines(tmp_path):
    cell = one_cell(matrix("rwmixread = 65\n", rw="randrw", bs='"4k"'))
    block = parse_target(str(tmp_path / "f"), must_exist=False)
    assert dict(job_options(cell, block, engine="libaio"))["ioengine"] == "libaio"
    assert dict(job_options(cell, block))["rwmixread"] == "65"
    nbd = parse_target("nbd+unix:///?socket=/run/sim.sock")
    options = dict(job_options(cell, nbd))
    assert options["ioengine"] == "nbd" and options["uri"] == "nbd+unix:///?socket=/run/sim.sock"
    assert "filename" not in options
    with pytest.raises(InputError, match="ioengine=nbd"):
        job_options(cell, nbd, engine="libaio")
    with pytest.raises(InputError, match="unsupported ioengine 'sync'"):
        job_options(cell, block, engine="sync")
    with pytest.raises(InputError, match="must be started first"):
        job_options(cell, parse_target("sim:qlc-16k"))


def test_idle_cells_and_missing_log_prefix(file_target):
    cells = expand_plan(load_plan("slc", []), FACTS)
    idle = next(c for c in cells if c.kind == "idle")
    burst = next(c for c in cells if c.kind == "sustained")
    with pytest.raises(InputError, match="idle period"):
        job_file(idle, file_target)
    with pytest.raises(InputError, match="give a log prefix"):
        job_options(burst, file_target)


@needs_fio
@pytest.mark.parametrize("name", ["smoke", "iu", "slc", "qd", "snia-iops", "qualify"])
def test_fio_accepts_every_builtin_job(name, file_target, tmp_path):
    """fio --parse-only checks every option name and value of every job (as a
    job file and as arguments); one fio process per form, jobs one after another."""
    cells = [c for c in expand_plan(load_plan(name, []), FACTS) if c.kind != "idle"]
    path = tmp_path / "plan.fio"
    path.write_text("".join(job_file(cell, file_target, tmp_path / "log") for cell in cells))
    run_tool("fio", ["--parse-only", str(path)], timeout=60)
    args = [
        arg
        for cell in cells
        for arg in fio_args(cell, file_target, tmp_path / "o.json", tmp_path / "log", None)[2:]
    ]
    run_tool("fio", ["--parse-only", *args], timeout=60)
    assert not (tmp_path / "disk.img").exists()


@needs_fio
@pytest.mark.live
def test_real_fio_puts_every_write_at_offset_plus_k_bs(tmp_path):
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as handle:
        handle.truncate(64 * MIB)
    target = parse_target(str(disk))
    cell = one_cell(
        matrix('offset = "4k"\niodepth = 8\nruntime = "1s"\n'), TargetFacts(64 * MIB, 4096)
    )
    assert (cell.bs, cell.offset) == (16384, 4096)
    iolog = tmp_path / "io.log"
    args = fio_args(cell, target, tmp_path / "out.json", None, None) + [f"--write_iolog={iolog}"]
    run_tool("fio", args, timeout=120)
    writes = iolog_writes(iolog)
    assert len(writes) > 100
    assert all(off % 16384 == 4096 and off >= 4096 for off, _ in writes)
    assert all(length == 16384 and off + length <= 64 * MIB for off, length in writes)
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["jobs"][0]["jobname"] == cell.id and result["jobs"][0]["write"]["io_bytes"] > 0


@needs_fio
@pytest.mark.live
def test_real_fio_writes_exactly_size_bytes(tmp_path):
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as handle:
        handle.truncate(16 * MIB)
    cell = one_cell(matrix('size = "3m"\nnumjobs = 2\n', bs='"4k"'), TargetFacts(16 * MIB, 512))
    run_tool(
        "fio",
        fio_args(cell, parse_target(str(disk)), tmp_path / "out.json", None, None),
        timeout=120,
    )
    job = json.loads((tmp_path / "out.json").read_text())["jobs"][0]
    assert job["write"]["io_bytes"] == cell.size_bytes == 3 * MIB


@needs_fio
@pytest.mark.live
@pytest.mark.skipif(shutil.which("nbdkit") is None, reason="nbdkit not installed")
def test_real_fio_over_nbd(tmp_path):
    sock, pidfile = tmp_path / "nbd.sock", tmp_path / "nbd.pid"
    subprocess.run(["nbdkit", "-U", str(sock), "-P", str(pidfile), "memory", "32M"], check=True)
    try:
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        target = parse_target(f"nbd+unix:///?socket={sock}")
        cell = one_cell(
            matrix('offset = "4k"\niodepth = 4\nruntime = "1s"\n'), TargetFacts(32 * MIB, 512)
        )
        iolog = tmp_path / "io.log"
        run_tool(
            "fio",
            fio_args(cell, target, tmp_path / "out.json", None, None) + [f"--write_iolog={iolog}"],
            timeout=120,
        )
        writes = iolog_writes(iolog)
        assert writes and all(off % 16384 == 4096 for off, _ in writes)
    finally:
        pid = int(pidfile.read_text())
        subprocess.run(["kill", str(pid)], check=False)


# --- injection ---------------------------------------------------------------

INJECTIONS = ["2s\nexec_prerun=touch /tmp/pwned", "2s\rexec_prerun=x", "4k\x00"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_set_values_with_control_characters_are_refused(value):
    with pytest.raises(InputError, match="control characters"):
        load_plan("smoke", [f"runtime={value}"])


@pytest.mark.parametrize(
    "setting",
    [
        "fio.exec_prerun=touch",
        "stage.rand4k.fio.exec_prerun=touch",
        "stage.rand4k.fio.rate=1\\nexec_prerun=x",
        "stage.rand4k.fio.rate=[1]",
        "stage.rand4k.fio={exec_postrun = 'x'}",
        "exec_prerun=touch",
        "stage.rand4k.exec_prerun=touch",
    ],
)
def test_set_cannot_add_fio_options(setting):
    with pytest.raises(InputError) as info:
        load_plan("smoke", [setting])
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "line",
    [
        'bs = "4k\\nexec_prerun=touch /tmp/pwned"',
        'rw = "randwrite\\nexec_prerun=x"',
        'runtime = "2s\\nexec_prerun=x"',
        'fio = { rate = "1\\nexec_prerun=x" }',
        'fio = { exec_prerun = "x" }',
        'fio = { "rate_iops\\nexec_prerun" = "1" }',
    ],
)
def test_plan_values_cannot_inject(line):
    text = matrix().replace(
        'rw = "randwrite"\n', "" if line.startswith("rw") else 'rw = "randwrite"\n'
    )
    text = text.replace('bs = "16k"\n', "" if line.startswith("bs") else 'bs = "16k"\n')
    with pytest.raises(InputError):
        expand_plan(parse_plan_text(text + line + "\n", "t.toml", "t"), FACTS)


@pytest.mark.parametrize(
    "change",
    [
        {"rw": "randwrite\nexec_prerun=touch /tmp/pwned"},
        {"extra": (("exec_prerun", "touch /tmp/pwned"),)},
        {"extra": (("rate", "1\nexec_prerun=x"),)},
        {"id": "x]\n[evil"},
    ],
)
def test_renderer_refuses_tampered_cells(change, file_target, tmp_path):
    """A manifest edited by hand must not smuggle options past the renderer."""
    cell = dataclasses.replace(one_cell(matrix()), **change)
    with pytest.raises(InputError):
        job_file(cell, file_target)
    with pytest.raises(InputError):
        fio_args(cell, file_target, tmp_path / "o.json", None, None)


def test_renderer_refuses_control_characters_in_paths(file_target, tmp_path):
    cell = one_cell(matrix("logs = true\n"))
    with pytest.raises(InputError):
        fio_args(cell, file_target, tmp_path / "o\n.json", tmp_path / "l", None)
    with pytest.raises(InputError):
        job_file(cell, file_target, tmp_path / "l\nexec_prerun=x")
